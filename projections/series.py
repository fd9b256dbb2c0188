"""The series read model: each series' rule, details and exceptions, and the occurrences they give.

An occurrence whose meeting stream has not started yet is shown from its series alone: the
documents the meeting models would hold right after its creation are made here by folding a
`Scheduled` event built from the series, so every query reads it like any other meeting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ledger.kinds import recorded_by
from ledger.series import SEPARATOR, SERIES_TOPIC, Series, occurrence_details, recurrence_of
from projections.events import LedgerEvent
from projections.store import DocumentModel

# The SeriesScheduled fields a document keeps as they were recorded.
FIELDS = (
    "slug",
    "title",
    "start",
    "end",
    "timezone",
    "every",
    "by",
    "until",
    "count",
    "location",
    "video_url",
    "description",
    "capacity",
    "calendar_uid",
    "organizers",
    "split_from",
)


def series_id(slug: str) -> str:
    return Series.create_id(slug).hex


class SeriesModel(DocumentModel):
    """One document per series: what `series show`, the series page and its calendar entry need."""

    name = "series"
    version = 1
    kinds = recorded_by(SERIES_TOPIC)  # the rule, shared details and exceptions of single dates
    replaces = frozenset({"SeriesScheduled"})
    personal_kinds = kinds  # not narrowed: each document names its creator

    def key(self, event: LedgerEvent) -> str | None:
        return event.meeting_id

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "SeriesScheduled":
            doc = {name: data[name] for name in FIELDS}
            doc.update(
                series_id=event.meeting_id,
                split_into="",
                sequence=0,
                cancelled={},
                moved={},
                changed={},
                revisions={},
                created_at=event.timestamp,
                created_by=event.actor,
            )
        assert doc is not None, f"event {event.position} precedes its series' creation"
        day = data.get("day")
        if event.kind == "SeriesEdited":
            doc.update(data["changes"])
            doc["sequence"] += 1
        elif event.kind == "SeriesEnded":
            doc.update(until=data["until"], count=None)
            doc["sequence"] += 1
        elif event.kind == "SeriesSplit":
            last = date.fromisoformat(data["day"]) - timedelta(days=1)
            doc.update(until=last.isoformat(), count=None, split_into=data["into"])
            doc["sequence"] += 1
        elif event.kind == "OccurrenceCancelled":
            doc["cancelled"][day] = data["reason"]
        elif event.kind == "OccurrenceMoved":
            doc["moved"][day] = {"start": data["start"], "end": data["end"]}
        elif event.kind == "SeriesOrganizerAdded":
            doc["organizers"] = [*doc["organizers"], data["account"]]
        elif event.kind == "SeriesOrganizerRemoved":
            doc["organizers"] = [a for a in doc["organizers"] if a != data["account"]]
        elif event.kind == "OccurrenceChanged":
            doc["changed"][day] = {**doc["changed"].get(day, {}), **data["changes"]}
        if event.kind.startswith("Occurrence"):
            doc["revisions"][day] = doc["revisions"].get(day, 0) + 1
        doc["updated_at"] = max(doc.get("updated_at", ""), event.timestamp)
        doc["version"] = event.version
        doc["position"] = event.position
        return doc


def occurrence(doc: dict[str, Any], day: date) -> dict[str, Any] | None:
    """The occurrence on `day` of the series document, or None when the series does not meet then."""
    local = recurrence_of(doc).occurs_on(day)
    return None if local is None else occurrence_details(doc, day, local)


def occurrences(doc: dict[str, Any], after: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The series' occurrences in rule order (from `after`'s local time on), at most `limit` of them."""
    found: list[dict[str, Any]] = []
    for local in recurrence_of(doc).local_starts(after):
        if limit is not None and len(found) >= limit:
            break
        found.append(occurrence_details(doc, local.date(), local))
    return found


def split_slug(slug: str) -> tuple[str, date] | None:
    """`SERIES/2026-12-08` as (series slug, date); None for a plain meeting slug."""
    if SEPARATOR not in slug:
        return None
    series_slug, _, day = slug.rpartition(SEPARATOR)
    try:
        return series_slug, date.fromisoformat(day)
    except ValueError:
        return None


def scheduled_event(details: dict[str, Any], meeting_id: str, series_doc: dict[str, Any]) -> LedgerEvent:
    """The `Scheduled` event an occurrence's stream would start with, as the meeting models read it."""
    data = {
        "slug": details["slug"],
        "title": details["title"],
        "start": details["start"],
        "end": details["end"],
        "timezone": details["timezone"],
        "location": details["location"],
        "video_url": details["video_url"],
        "description": details["description"],
        "capacity": details["capacity"],
        "calendar_uid": details["calendar_uid"],
        "timestamp": series_doc["created_at"],
        "actor": series_doc["created_by"],
    }
    return LedgerEvent(series_doc["position"], meeting_id, 0, "Scheduled", data)


def overlay(meeting_doc: dict[str, Any], details: dict[str, Any], series_doc: dict[str, Any]) -> dict[str, Any]:
    """An occurrence's meetings document with what its series says it is now."""
    doc = dict(meeting_doc)
    for name in ("title", "start", "end", "timezone", "location", "video_url", "description"):
        doc[name] = details[name]
    doc.update(
        cancelled=details["cancelled"],
        cancel_reason=details["cancel_reason"],
        calendar_uid=details["calendar_uid"],
        sequence=series_doc["sequence"] + details["revision"] + meeting_doc.get("sequence", 0),
        updated_at=max(meeting_doc.get("updated_at", ""), series_doc["updated_at"]),
    )
    return doc


def rule_parts(doc: dict[str, Any]) -> dict[str, Any]:
    """The series' RRULE parts for a calendar (UNTIL in UTC, as RFC 5545 wants beside a TZID)."""
    zone = doc["timezone"]
    return recurrence_of(doc).ical(None if zone in ("UTC", "Etc/UTC") else zone)


def started_occurrences(store: Any, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The meetings documents of the series' occurrences whose streams started, by date; the raw
    text filter finds them without listing every occurrence."""
    prefix = doc["slug"] + SEPARATOR
    found = {}
    for _, meeting_doc in store.containing("meetings", f'"slug":"{prefix}'):
        parts = split_slug(meeting_doc["slug"])
        if parts is not None and parts[0] == doc["slug"] and occurrence(doc, parts[1]) is not None:
            found[parts[1].isoformat()] = meeting_doc
    return found
