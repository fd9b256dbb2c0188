"""Meetings as iCalendar: the VCALENDAR, VEVENT and VTIMEZONE of every feed (PRODUCT.md section 5).

Design choices, each forced by a real client (see /work/shared/research/calendar-interop.md):

- Times are written in the meeting's own zone (TZID) so clients show "13:00 Pacific Time" and keep the
  wall-clock time the organizer chose. Each TZID comes with a VTIMEZONE in RRULE form that we build from the
  zone's transitions, as Google and Microsoft do: icalendar's own RDATE-list VTIMEZONEs put daylight-time
  events an hour off in ical.js (Thunderbird), vobject and Outlook. A local time that happens twice (the
  fall-back hour) is written in UTC instead, because parsers disagree on which of the two a TZID time means.
- `METHOD:PUBLISH` without ATTENDEE (RFC 5546 3.2.1): a feed is an announcement, not an invitation. Who comes
  is listed by name in DESCRIPTION; emails only when the organizer turned `publish_emails` on.
- Output is a pure function of the ledger state: UID is the meeting's stored `calendar_uid`, DTSTAMP and
  LAST-MODIFIED are its `updated_at`, SEQUENCE its `sequence`; so the bytes (and the HTTP ETag) only change
  when the ledger does.
"""

from __future__ import annotations

import bisect
import calendar as gregorian
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytz
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vRecur
from icalendar.prop import vCalAddress

from projections import queries

PRODID = "-//meeting-ledger//meetings//EN"
REFRESH = timedelta(hours=1)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Any fixed namespace works: it only has to stay the same so ORGANIZER addresses stay stable.
ORGANIZER_NAMESPACE = uuid.UUID("6f1d3b2c-5a4e-4c8f-9d7b-2e0a1c9f8b34")


@dataclass(frozen=True)
class MeetingEntry:
    """Everything one VEVENT shows: the meeting, who comes, the agenda and the current notes."""

    meeting: dict[str, Any]
    attendees: dict[str, Any]
    agenda: list[dict[str, Any]]
    notes: dict[str, str]
    organizer: str

    @property
    def meeting_id(self) -> str:
        return queries.meeting_id(self.meeting["slug"])

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(self.meeting["start"])

    @property
    def end(self) -> datetime:
        return datetime.fromisoformat(self.meeting["end"])

    @property
    def updated_at(self) -> datetime:
        return stamp(self.meeting["updated_at"])


@dataclass(frozen=True)
class Feed:
    """A rendered calendar: its bytes and when what it shows last changed."""

    body: bytes
    last_modified: datetime


def stamp(iso: str) -> datetime:
    """A ledger timestamp as a whole-second UTC datetime (iCalendar and HTTP dates have no fractions)."""
    return datetime.fromisoformat(iso).astimezone(UTC).replace(microsecond=0)


# ----- rendering -----------------------------------------------------------------------------


def render(
    entries: Iterable[MeetingEntry],
    name: str,
    description: str = "",
    series: Iterable[tuple[str, datetime, list[Event]]] = (),
) -> bytes:
    """A VCALENDAR with one VEVENT per meeting (soonest first), then each series' VEVENTs (its zone,
    first start and components, from `series_ics`), and the VTIMEZONEs they use."""
    series = list(series)
    ordered = sorted(entries, key=lambda e: (e.start, e.meeting["slug"]))
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.add("NAME", name)
    cal.add("X-WR-CALNAME", name)
    if description:
        cal.add("DESCRIPTION", description)
        cal.add("X-WR-CALDESC", description)
    # RFC 7986 5.7 requires VALUE=DURATION; X- properties are text, so pass the duration already formatted.
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH).to_ical().decode())

    first_use: dict[str, datetime] = {}
    for entry in ordered:
        zone = entry.meeting["timezone"]
        if uses_tzid(entry):
            first_use[zone] = min(first_use.get(zone, entry.start), entry.start)
    for zone, start, _ in series:
        if zone not in ("UTC", "Etc/UTC"):
            first_use[zone] = min(first_use.get(zone, start), start)
    for zone in sorted(first_use):
        cal.add_component(vtimezone(zone, first_use[zone]))
    for entry in ordered:
        cal.add_component(vevent(entry))
    for _, _, events in series:
        for event in events:
            cal.add_component(event)
    return cal.to_ical()


def render_meeting(entry: MeetingEntry) -> Feed:
    return Feed(render([entry], entry.meeting["title"]), entry.updated_at)


def vevent(entry: MeetingEntry) -> Event:
    m = entry.meeting
    event = Event()
    event.add("UID", m["calendar_uid"])
    event.add("DTSTAMP", entry.updated_at)
    event.add("CREATED", stamp(m["created_at"]))
    event.add("LAST-MODIFIED", entry.updated_at)
    event.add("SEQUENCE", int(m["sequence"]))
    start, end = event_times(entry)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    # Clients that ignore STATUS (or show cancelled events like any other) still say it in the title.
    event.add("SUMMARY", ("Cancelled: " if m["cancelled"] else "") + m["title"])
    event.add("DESCRIPTION", describe(entry))
    location = m["location"] or m["video_url"]
    if location:
        event.add("LOCATION", location)
    # PUBLISH requires exactly one ORGANIZER (RFC 5546 3.2.1); a urn:uuid address names no mailbox.
    organizer = vCalAddress(f"urn:uuid:{uuid.uuid5(ORGANIZER_NAMESPACE, entry.organizer)}")
    organizer.params["CN"] = entry.organizer
    event.add("ORGANIZER", organizer)
    if m["video_url"]:
        # Thunderbird, Outlook and Apple ignore CONFERENCE, so the link is in URL and DESCRIPTION too.
        event.add("URL", m["video_url"])
        event.add("CONFERENCE", m["video_url"], parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Video call"})
    event.add("STATUS", "CANCELLED" if m["cancelled"] else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    return event


def uses_tzid(entry: MeetingEntry) -> bool:
    """Local time with a TZID, unless the zone is UTC or a time happens twice there (then UTC)."""
    zone = entry.meeting["timezone"]
    if zone in ("UTC", "Etc/UTC"):
        return False
    return not any(repeated(moment, zone) for moment in (entry.start, entry.end))


def repeated(moment: datetime, zone: str) -> bool:
    """Whether the local time of `moment` in `zone` happens twice (the standard library's rules hold for
    every year; pytz's tables end in 2037)."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def event_times(entry: MeetingEntry) -> tuple[datetime, datetime]:
    if not uses_tzid(entry):
        return entry.start.astimezone(UTC), entry.end.astimezone(UTC)
    # icalendar writes TZID plus the local time.
    tz = ZoneInfo(entry.meeting["timezone"])
    return entry.start.astimezone(tz), entry.end.astimezone(tz)


def describe(entry: MeetingEntry) -> str:
    """The human part: when, where, the video link, who comes (counts and names) and the agenda."""
    m, roster = entry.meeting, entry.attendees
    lines: list[str] = []
    if m["cancelled"]:
        lines.append("CANCELLED" + (f": {m['cancel_reason']}" if m["cancel_reason"] else ""))
        lines.append("")
    if m["description"]:
        lines += [m["description"], ""]
    tz = ZoneInfo(m["timezone"])
    start, end = entry.start.astimezone(tz), entry.end.astimezone(tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    lines.append(f"When: {start:%Y-%m-%d %H:%M}-{end_text} {m['timezone']} ({start:%Z})")
    if m["location"]:
        lines.append(f"Where: {m['location']}")
    if m["video_url"]:
        lines.append(f"Video: {m['video_url']}")
    counts = roster["counts"]
    limit = "no limit" if roster["capacity"] is None else f"limit {roster['capacity']}"
    if counts["total"] is not None:  # None: the organizer publishes nothing of who comes
        lines += [
            "",
            f"Attendees: {counts['total']} signed up: {counts['seated']} in person ({limit}), "
            f"{counts['waitlisted']} waitlisted, {counts['remote']} remote, {counts['undecided']} undecided",
        ]
    show_email = bool(m["publish_emails"])
    for label, group in (
        ("In person", roster["seated"]),
        ("Waitlist", roster["waitlist"]),
        ("Remote", roster["remote"]),
        ("Undecided", roster["undecided"]),
    ):
        if group:
            lines.append(f"{label}:")
            lines += [f"- {person_line(p, show_email)}" for p in group]
    if entry.agenda:
        lines += ["", "Agenda:"]
        for topic in entry.agenda:
            lines.append(f"{topic['number']}. {topic['title']} ({topic['proposer']})")
            lines += [f"   {sub['number']}. {sub['title']} ({sub['proposer']})" for sub in topic["subtopics"]]
    general = entry.notes.get("general", "")
    if general:
        lines += ["", "Notes:", general]
    numbers = {t["id"]: t["number"] for top in entry.agenda for t in (top, *top["subtopics"])}
    titles = {t["id"]: t["title"] for top in entry.agenda for t in (top, *top["subtopics"])}
    for section, text in sorted(entry.notes.items()):
        if section.startswith("topic-") and text:
            topic_id = int(section.removeprefix("topic-"))
            if topic_id in numbers:
                lines += ["", f"Notes on {numbers[topic_id]}. {titles[topic_id]}:", text]
    return "\n".join(lines)


def person_line(person: dict[str, Any], show_email: bool) -> str:
    text = person["name"]
    if show_email and person.get("email"):
        text += f" <{person['email']}>"
    if person.get("remark"):
        text += f" ({person['remark']})"
    return text


# ----- time zones ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """One change of a zone's offset: the UTC instant, the offsets either side, and its name."""

    at: datetime  # naive UTC
    offset_from: timedelta
    offset_to: timedelta
    dst: bool
    name: str

    @property
    def onset(self) -> datetime:
        """Local time of the change on the clock before it, as VTIMEZONE DTSTART wants (RFC 5545 3.6.5)."""
        return self.at + self.offset_from

    def rules(self) -> set[str]:
        """The BYDAY forms that name this day: the nth weekday of the month, and -1 if it is the last."""
        day, weekday = self.onset.day, WEEKDAYS[self.onset.weekday()]
        forms = {f"{(day - 1) // 7 + 1}{weekday}"}
        if day + 7 > gregorian.monthrange(self.onset.year, self.onset.month)[1]:
            forms.add(f"-1{weekday}")
        return forms

    def shape(self) -> tuple[Any, ...]:
        return (self.dst, self.offset_from, self.offset_to, self.name, self.onset.month, self.onset.time())


def transitions(zone: str, since: datetime) -> list[Transition]:
    """The zone's transitions from the one in force a year before `since` to the end of pytz's data."""
    tz = pytz.timezone(zone)
    times: list[datetime] = list(getattr(tz, "_utc_transition_times", []))
    infos: list[tuple[timedelta, timedelta, str]] = list(getattr(tz, "_transition_info", []))
    if not times:  # a fixed-offset zone
        offset = tz.utcoffset(datetime(2000, 1, 1)) or timedelta(0)
        return [Transition(datetime(1970, 1, 1), offset, offset, False, tz.tzname(datetime(2000, 1, 1)) or zone)]
    horizon = (since.astimezone(UTC) - timedelta(days=366)).replace(tzinfo=None)
    # pytz's table ends in 2037; a time past it needs the last few years, whose yearly rule the VTIMEZONE
    # then writes open-ended (the zone's current rule, which the standard library's zoneinfo applies too).
    horizon = min(horizon, times[-1] - timedelta(days=3 * 366))
    first = max(bisect.bisect_right(times, horizon) - 1, 0)
    found = []
    for i in range(first, len(times)):
        offset, dst, name = infos[i]
        if i == 0:
            found.append(Transition(datetime(1970, 1, 1), offset, offset, bool(dst), name))
        else:
            found.append(Transition(times[i], infos[i - 1][0], offset, bool(dst), name))
    return found


def vtimezone(zone: str, since: datetime) -> Timezone:
    """An RRULE-form VTIMEZONE valid from a year before `since` on.

    Transitions of the same kind in consecutive years on the same weekday rule become one observance
    with a yearly RRULE (ending at its last transition, or open-ended when the zone's rule runs on);
    anything irregular becomes an observance of its own with a single DTSTART, which every parser reads.
    """
    found = transitions(zone, since)
    last_year = found[-1].at.year
    runs: list[tuple[list[Transition], set[str]]] = []
    for dst in (False, True):
        current: list[Transition] = []
        forms: set[str] = set()
        for t in (t for t in found if t.dst == dst):
            if (
                current
                and t.shape() == current[-1].shape()
                and t.at.year == current[-1].at.year + 1
                and forms & t.rules()
            ):
                current.append(t)
                forms &= t.rules()
                continue
            if current:
                runs.append((current, forms))
            current, forms = [t], t.rules()
        if current:
            runs.append((current, forms))
    runs.sort(key=lambda run: run[0][0].at)

    tz = Timezone()
    tz.add("TZID", zone)
    for run, forms in runs:
        head = run[0]
        part: TimezoneStandard | TimezoneDaylight = TimezoneDaylight() if head.dst else TimezoneStandard()
        part.add("TZNAME", head.name)
        part.add("TZOFFSETFROM", head.offset_from)
        part.add("TZOFFSETTO", head.offset_to)
        part.add("DTSTART", head.onset)
        if len(run) > 1:
            rule: dict[str, Any] = {"FREQ": "YEARLY", "BYMONTH": head.onset.month, "BYDAY": sorted(forms)[0]}
            # pytz lists transitions up to 2037: a rule still running then is the zone's current rule.
            if run[-1].at.year < last_year:
                rule["UNTIL"] = run[-1].at.replace(tzinfo=UTC)
            part.add("RRULE", vRecur(rule))
        tz.add_component(part)
    return tz
