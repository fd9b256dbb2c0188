"""Queries about series: a series with its occurrences, the next occurrence, the list, and what its calendar
entry needs. Re-exported by `projections.queries`, the read side's one interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from projections.results import Counts, from_document
from projections.series import occurrence as series_occurrence
from projections.series import occurrences, rule_parts, series_id, split_slug, started_occurrences
from projections.series_results import OccurrenceRow, SeriesRow, SeriesView
from projections.store import ReadStore

NEXT_WINDOW = 40  # occurrences looked at for the next one: more than a month's moves and cancellations
NO_COUNTS = Counts(seated=0, free=None, waitlisted=0, remote=0, undecided=0, total=0, over_capacity=False)
ENDLESS_LIMIT = 60  # occurrences a series without an end lists unless told


@dataclass(frozen=True)
class Window:
    """Which of a series' occurrences a view lists: those from `after` on, at most `limit` of them.

    A naive `after` is a local time of the series' zone (`series show --from 2026-12-08`); an aware
    one is an instant. A series without an end lists ENDLESS_LIMIT unless `limit` says otherwise.
    """

    after: datetime | None = None
    limit: int | None = None

    @classmethod
    def upcoming(cls, count: int, now: datetime) -> Window:
        """`count` occurrences from the start of today (UTC), as the web page lists them."""
        return cls(now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0), count)

    def local_after(self, zone: tzinfo | None) -> datetime | None:
        if self.after is None or self.after.tzinfo is None:
            return self.after
        return self.after.astimezone(zone).replace(tzinfo=None)

    def limit_for(self, series_doc: dict[str, Any]) -> int | None:
        endless = not series_doc.get("until") and not series_doc.get("count")
        return ENDLESS_LIMIT if self.limit is None and endless else self.limit


def _occurrence_rows(store: ReadStore, found: dict[str, Any], listed: list[dict[str, Any]]) -> list[OccurrenceRow]:
    """Rows for the occurrences listed, with the counts of those whose streams started (one read)."""
    from projections.queries import attendee_list, meeting_id

    ids = {meeting_id(o["slug"]): o for o in listed}
    docs = store.get_many("attendees", set(ids)) if ids else {}
    rows = []
    for mid, o in ids.items():
        doc = docs.get(mid)
        if doc is None:
            free = o["capacity"]
            counts = Counts(0, free, 0, 0, 0, 0, False) if free is not None else NO_COUNTS
        else:
            counts = attendee_list(doc, o["slug"]).counts
        rows.append(
            OccurrenceRow(
                date=o["day"],
                slug=o["slug"],
                start=o["start"],
                end=o["end"],
                start_utc=datetime.fromisoformat(o["start"]).astimezone(UTC).isoformat(),
                end_utc=datetime.fromisoformat(o["end"]).astimezone(UTC).isoformat(),
                status="cancelled" if o["cancelled"] else "scheduled",
                moved=o["moved"],
                location=o["location"],
                video_url=o["video_url"],
                counts=counts,
            )
        )
    return rows


def series(store: ReadStore, slug: str, as_of: datetime | None = None, window: Window = Window()) -> SeriesView:
    """`meetings series show --json`: the series and the occurrences in `window`."""
    from projections.queries import series_doc

    found = series_doc(store, slug, as_of)
    zone = datetime.fromisoformat(found["start"]).tzinfo
    listed = occurrences(found, window.local_after(zone), window.limit_for(found))
    return from_document(
        SeriesView,
        found,
        organizers=tuple(found["organizers"]),
        occurrences=tuple(_occurrence_rows(store, found, listed)),
    )


def next_occurrence(store: ReadStore, slug: str, now: datetime) -> OccurrenceRow | None:
    """The first occurrence that has not ended and is not cancelled (`meetings next`)."""
    from projections.queries import series_doc

    found = series_doc(store, slug)
    zone = datetime.fromisoformat(found["start"]).tzinfo
    # An occurrence moved up to a month later than its rule date may still be ahead.
    local = (now.astimezone(zone) - timedelta(days=31)).replace(tzinfo=None)
    ahead = [o for o in occurrences(found, local, NEXT_WINDOW) if not o["cancelled"]]
    ahead = [o for o in ahead if datetime.fromisoformat(o["end"]) > now]
    if not ahead:
        return None
    return _occurrence_rows(store, found, [min(ahead, key=lambda o: datetime.fromisoformat(o["start"]))])[0]


def series_list(store: ReadStore, now: datetime) -> list[SeriesRow]:
    """Every series, by its first occurrence."""
    rows = []
    for _, doc in store.all("series"):
        upcoming = next_occurrence(store, doc["slug"], now)
        rows.append(
            SeriesRow(
                doc["slug"],
                doc["title"],
                doc["timezone"],
                doc["every"],
                doc["start"],
                doc["until"],
                doc["count"],
                upcoming.date if upcoming else None,
            )
        )
    rows.sort(key=lambda r: (datetime.fromisoformat(r.start), r.slug))
    return rows


def series_calendar(store: ReadStore, slug: str) -> dict[str, Any]:
    """What a series' calendar entry needs: the series, its RRULE, the cancelled dates' rule starts
    (EXDATE), and the dates that need an override of their own (moved, changed, or with attendees or
    an agenda); work in proportion to the exceptions, not to the occurrences."""
    from projections.queries import series_doc

    found = series_doc(store, slug)
    started = started_occurrences(store, found)
    special = set(found["moved"]) | set(found["changed"]) | set(started)
    days = sorted(special | set(found["cancelled"]))
    details = {}
    for day in days:
        shown = series_occurrence(found, datetime.fromisoformat(day).date())
        if shown is not None:
            details[day] = shown
    exdates = [d["recurrence_id"] for d in details.values() if d["cancelled"]]
    overrides = []
    for day, d in details.items():
        if d["cancelled"]:
            continue
        if day in started and day not in found["moved"] and day not in found["changed"]:
            doc = started[day]
            busy = store.get("attendees", doc["meeting_id"]) or {}
            topics = store.get("agenda", doc["meeting_id"]) or {}
            if not busy.get("attendees") and not topics.get("topics"):
                continue  # nothing of its own to show: the rule's instance says it all
        overrides.append(d)
    return {"series": found, "rule": rule_parts(found), "exdates": exdates, "overrides": overrides}


def series_slugs(store: ReadStore) -> list[str]:
    return sorted(doc["slug"] for _, doc in store.all("series"))


def is_series(store: ReadStore, slug: str) -> bool:
    return split_slug(slug) is None and store.get("series", series_id(slug)) is not None
