"""Feeds: which meetings each calendar URL shows, read from the ledger's read models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from exports.calendar import ics, series_ics
from exports.calendar.ics import MeetingEntry
from exports.calendar.series_ics import SeriesEntry
from ledger import text
from ledger.application import people
from ledger.errors import BadInputError, NotFoundError
from projections import queries
from projections.queries import everyone, person_meetings
from projections.store import ReadStore

# The all-meetings feed keeps meetings that ended this recently, so a subscriber still sees last week's.
PAST_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Person:
    """Whose meetings a personal feed shows."""

    key: str
    name: str


def find_person(store: ReadStore, name: str) -> Person:
    """A person who has signed up, by email or by name (ignoring case and extra spaces)."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise BadInputError("give a person's name or email")
    wanted = people.typed_person_key(cleaned)
    if people.is_email(cleaned):
        entries = person_meetings(store, wanted)
        if not entries:
            raise NotFoundError(f"no one with email {cleaned!r} has signed up for a meeting")
        return Person(wanted, entries[-1].name)
    # Several people may share a name when each gave an email: match what their name alone would key to.
    named = {entry.person_key: entry for entry in everyone(store) if people.person_key(entry.name, None) == wanted}
    matches = list(named.items())
    if not matches:
        raise NotFoundError(f"no one called {cleaned!r} has signed up for a meeting")
    if len(matches) > 1:
        raise BadInputError(f"several people are called {cleaned!r}; give the email instead")
    key, doc = matches[0]
    return Person(key, doc.name)


# ----- reading the ledger --------------------------------------------------------------------


def load_entry(store: ReadStore, slug: str, owner: Person | None = None) -> MeetingEntry:
    """One meeting as its public feed shows it, from the read models (NotFoundError if none).

    The organizer's `--attendee-list` level says how much of the attendee list is shown; notes
    only at level full; emails never, and those written into free text are masked. A personal
    feed's `owner` also sees their own entry in full.
    """
    meeting = queries.meeting(store, slug).public()
    mine = (lambda e: people.person_key(e.name, e.email) == owner.key) if owner is not None else None
    level = meeting.attendee_list
    notes = queries.all_notes(store, slug) if level == "full" else {}
    return MeetingEntry(
        meeting=meeting.to_json(),
        attendees=queries.attendees(store, slug).public(level, mine).to_json(),
        agenda=queries.agenda(store, slug).public().to_json(),
        notes={section: text.mask_emails(body) for section, body in notes.items()},
        organizer=meeting.created_by or "meeting-ledger",
    )


# `--past-days all`: every meeting ever (meetings start in 1900 at the earliest; this reaches back further).
ALL_PAST_DAYS = 100_000


def load_all(store: ReadStore, owner: Person | None = None) -> list[MeetingEntry]:
    """Every meeting (an occurrence of a series is shown by its series' entry)."""
    return [load_entry(store, doc["slug"], owner) for _, doc in store.all("meetings") if "/" not in doc["slug"]]


def load_series(store: ReadStore, slug: str) -> SeriesEntry:
    return series_ics.load_series(store, slug, load_entry)


def series_feed(store: ReadStore, slug: str) -> ics.Feed:
    entry = load_series(store, slug)
    return ics.Feed(ics.render([], entry.series["title"], series=series_ics.zone_use([entry])), entry.updated_at)


def occurrence_feed(store: ReadStore, slug: str) -> ics.Feed:
    """One occurrence alone: its override VEVENT (the series' UID with its RECURRENCE-ID)."""
    details, found = queries.occurrence_details(store, slug)
    entry = series_ics.SeriesEntry(found, {}, [], [(details, load_entry(store, slug))])
    events = [series_ics.override(details, entry.overrides[0][1], entry)]
    body = ics.render([], details["title"], series=[(entry.zone, entry.start, events)])
    return ics.Feed(body, entry.updated_at)


def window_start(today: datetime, past_days: int = PAST_WINDOW_DAYS) -> datetime:
    """Midnight UTC `past_days` ago: moving once a day keeps a feed's bytes stable within a day."""
    midnight = today.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=past_days)


def select_recent(
    entries: Sequence[MeetingEntry], now: datetime, past_days: int = PAST_WINDOW_DAYS
) -> tuple[list[MeetingEntry], datetime]:
    """Upcoming meetings plus those that ended inside the past window, and the feed's Last-Modified.

    Last-Modified covers every meeting in the ledger (so a withdrawal or a cancellation counts) and the
    midnight at which a meeting last left the window (its removal changed the feed too).
    """
    cutoff = window_start(now, past_days)
    kept = [e for e in entries if e.end >= cutoff]
    changed = [e.updated_at for e in entries]
    for entry in entries:
        if entry.end < cutoff:
            end_day = entry.end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            changed.append(end_day + timedelta(days=past_days + 1))
    return kept, max(changed, default=datetime(1970, 1, 1, tzinfo=UTC))


# ----- which meetings each feed shows --------------------------------------------------------


def all_meetings_feed(store: ReadStore, now: datetime, past_days: int = PAST_WINDOW_DAYS) -> ics.Feed:
    """Upcoming meetings plus those that ended within the past window."""
    entries = load_all(store)
    kept, last_modified = select_recent(entries, now, past_days)
    series = all_series(store)
    last_modified = max([last_modified, *(s.updated_at for s in series)])
    held = (
        "Every meeting in the ledger"
        if past_days >= ALL_PAST_DAYS
        else f"Upcoming meetings and those of the last {past_days} days"
    )
    body = ics.render(kept, "Meetings", held, series_ics.zone_use(series))
    return ics.Feed(body, last_modified)


def meeting_feed(store: ReadStore, slug: str) -> ics.Feed:
    """One meeting's feed; a series' (its VEVENT and overrides) or one occurrence's for their slugs."""
    if "/" in slug:
        return occurrence_feed(store, slug)
    if queries.is_series(store, slug):
        return series_feed(store, slug)
    return ics.render_meeting(load_entry(store, slug))


def all_series(store: ReadStore) -> list[SeriesEntry]:
    return [load_series(store, slug) for slug in queries.series_slugs(store)]


def person_feed(store: ReadStore, person: Person, now: datetime, past_days: int = PAST_WINDOW_DAYS) -> ics.Feed:
    """The meetings the person is signed up for (in any mode), upcoming plus the recent past."""
    mine = {doc.meeting_id for doc in person_meetings(store, person.key)}
    entries = load_all(store, person)
    # The occurrences of series they signed up for, each as an entry of its own.
    occurrences = [
        series_ics.standalone(load_entry(store, doc["slug"], person))
        for _, doc in store.all("meetings")
        if "/" in doc["slug"] and doc["meeting_id"] in mine
    ]
    kept, last_modified = select_recent([e for e in entries if e.meeting_id in mine] + occurrences, now, past_days)
    # A withdrawal removes a meeting: every meeting's updated_at counts towards Last-Modified.
    last_modified = max([last_modified, *(e.updated_at for e in entries)])
    return ics.Feed(ics.render(kept, f"Meetings of {person.name}"), last_modified)
