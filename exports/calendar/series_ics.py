"""A series as iCalendar: one VEVENT with its RRULE, EXDATE for cancelled dates, and a RECURRENCE-ID
override for each moved or changed occurrence or one with attendees or an agenda (PRODUCT.md section 5).

- DTSTART carries the series' TZID, so every client expands the rule in local time (a weekly 10:00
  stays 10:00 across daylight-saving changes); UNTIL is then in UTC (RFC 5545 3.3.10).
- EXDATE and RECURRENCE-ID name the rule's own start of that date, in the same TZID form as DTSTART,
  which is how ical.js, libical, vobject and recurring-ical-events match them to an instance.
- The overrides share the series' UID; each has its own SEQUENCE, raised on every change of that date.
- The work is in proportion to the exceptions, never to the number of occurrences.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Event, vRecur
from icalendar.prop import vCalAddress

from exports.calendar import ics
from exports.calendar.ics import MeetingEntry, stamp
from projections import queries
from projections.store import ReadStore

EVERY_TEXT = {"week": "every week", "2weeks": "every 2 weeks", "month": "every month"}


@dataclass(frozen=True)
class SeriesEntry:
    """A series' calendar data and the occurrence entries of its overrides."""

    series: dict[str, Any]
    rule: dict[str, Any]
    exdates: list[str]
    overrides: list[tuple[dict[str, Any], MeetingEntry]]

    @property
    def zone(self) -> str:
        return str(self.series["timezone"])

    @property
    def utc_only(self) -> bool:
        return self.zone in ("UTC", "Etc/UTC")

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(self.series["start"])

    @property
    def updated_at(self) -> datetime:
        times = [stamp(self.series["updated_at"]), *(entry.updated_at for _, entry in self.overrides)]
        return max(times)


def load_series(store: ReadStore, slug: str, load_entry: Any) -> SeriesEntry:
    """The series' calendar from the read models; `load_entry` reads one occurrence as a meeting entry."""
    found = queries.series_calendar(store, slug)
    overrides = [(d, load_entry(store, d["slug"])) for d in found["overrides"]]
    return SeriesEntry(found["series"], found["rule"], found["exdates"], overrides)


def local(iso: str, entry: SeriesEntry) -> datetime:
    """A stored instant as the series' calendar writes it: local time with the TZID, or UTC."""
    moment = datetime.fromisoformat(iso)
    return moment.astimezone(ZoneInfo("UTC" if entry.utc_only else entry.zone))


def master(entry: SeriesEntry) -> Event:
    s = entry.series
    updated = stamp(s["updated_at"])
    event = Event()
    event.add("UID", s["calendar_uid"])
    event.add("DTSTAMP", updated)
    event.add("CREATED", stamp(s["created_at"]))
    event.add("LAST-MODIFIED", updated)
    event.add("SEQUENCE", int(s["sequence"]))
    event.add("DTSTART", local(s["start"], entry))
    event.add("DTEND", local(s["end"], entry))
    event.add("RRULE", vRecur(entry.rule))
    if entry.exdates:
        event.add("EXDATE", [local(day, entry) for day in entry.exdates])
    event.add("SUMMARY", s["title"])
    event.add("DESCRIPTION", describe(s))
    place = s["location"] or s["video_url"]
    if place:
        event.add("LOCATION", place)
    organizer = vCalAddress(f"urn:uuid:{uuid.uuid5(ics.ORGANIZER_NAMESPACE, s['created_by'] or 'meeting-ledger')}")
    organizer.params["CN"] = s["created_by"] or "meeting-ledger"
    event.add("ORGANIZER", organizer)
    if s["video_url"]:
        event.add("URL", s["video_url"])
        event.add("CONFERENCE", s["video_url"], parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Video call"})
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    return event


def describe(s: dict[str, Any]) -> str:
    start, end = datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
    lines = [s["description"], ""] if s["description"] else []
    until = f" until {s['until']}" if s["until"] else (f", {s['count']} times" if s["count"] else "")
    lines.append(
        f"When: {EVERY_TEXT[s['every']]}, {start:%H:%M}-{end:%H:%M} {s['timezone']}, from {start:%Y-%m-%d}{until}"
    )
    if s["location"]:
        lines.append(f"Where: {s['location']}")
    if s["video_url"]:
        lines.append(f"Video: {s['video_url']}")
    if s["split_into"]:
        lines.append(f"Continued as {s['split_into']}")
    return "\n".join(lines)


def override(details: dict[str, Any], occurrence: MeetingEntry, entry: SeriesEntry) -> Event:
    """One date's own VEVENT: the occurrence as a meeting, tied to the rule's instance it replaces."""
    event = ics.vevent(occurrence)
    event.add("RECURRENCE-ID", local(details["recurrence_id"], entry))
    for name in ("DTSTART", "DTEND"):  # the occurrence's times, in the same TZID form as its RECURRENCE-ID
        event.pop(name)
    event.add("DTSTART", local(details["start"], entry))
    event.add("DTEND", local(details["end"], entry))
    return event


def components(entry: SeriesEntry) -> list[Event]:
    return [master(entry), *(override(d, occurrence, entry) for d, occurrence in entry.overrides)]


def zone_use(entries: list[SeriesEntry]) -> list[tuple[str, datetime, list[Event]]]:
    """What `ics.render` adds for series: each one's zone (for its VTIMEZONE), first start and VEVENTs."""
    return [(e.zone, e.start, components(e)) for e in entries]


def standalone(occurrence: MeetingEntry) -> MeetingEntry:
    """An occurrence as a meeting of its own (a personal feed lists only the dates a person attends):
    a UID of its own, so no client mistakes it for the whole series."""
    meeting = dict(occurrence.meeting)
    meeting["calendar_uid"] = f"{meeting['calendar_uid']}/{meeting['slug'].rpartition('/')[2]}"
    return MeetingEntry(meeting, occurrence.attendees, occurrence.agenda, occurrence.notes, occurrence.organizer)
