"""Queries answered from the read models (or, for --as-of, from the events up to a moment).

Every function returns the frozen values of `projections.results`; their `to_json()` is the
CLI's JSON contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from ledger import people
from ledger.agenda import Agenda
from ledger.attendance import Roster
from ledger.errors import BadInputError, NotFoundError
from ledger.meeting import Meeting
from ledger.notes import section_name
from ledger.vocabulary import DEFAULT_ATTENDEE_LIST
from projections.agenda import AgendaModel
from projections.attendees import AttendeesModel
from projections.events import LedgerEvent
from projections.folding import fold
from projections.meetings import MeetingsModel
from projections.notes import NotesModel
from projections.people import PeopleModel, email_changes, entries
from projections.results import (
    AgendaItem,
    AgendaView,
    AttendeeEntry,
    AttendeeList,
    Counts,
    MeetingRow,
    MeetingView,
    NotesSection,
    Revision,
    Signup,
    Topic,
    Withdrawal,
    from_document,
)
from projections.series import (
    SeriesModel,
    overlay,
    scheduled_event,
    series_id,
    split_slug,
)
from projections.series import occurrence as series_occurrence
from projections.store import ReadModel, ReadStore

MODELS: tuple[ReadModel, ...] = (
    MeetingsModel(),
    AttendeesModel(),
    AgendaModel(),
    NotesModel(),
    PeopleModel(),
    SeriesModel(),
)
MODELS_BY_NAME = {m.name: m for m in MODELS}


def meeting_id(slug: str) -> str:
    return Meeting.create_id(slug).hex


def stream_ids(slug: str) -> list[str]:
    """The streams a slug may name: a meeting's or an occurrence's, then a series'."""
    return [meeting_id(slug)] if split_slug(slug) is not None else [meeting_id(slug), series_id(slug)]


def _doc(store: ReadStore, model: ReadModel, slug: str, as_of: datetime | None) -> dict[str, Any]:
    if split_slug(slug) is not None:
        return _occurrence_doc(store, model, slug, as_of)
    if "/" in slug:
        day = slug.rpartition("/")[2]
        raise BadInputError(f"occurrence date {day!r} is not a date like 2026-12-08")
    mid = meeting_id(slug)
    if as_of is None:
        doc = store.get(model.name, mid)
    else:
        events = store.meeting_events(mid)
        cutoff = as_of.isoformat()
        # A prefix of the stream: a stream's events are recorded in order.
        kept = []
        for event in events:
            if datetime.fromisoformat(event.timestamp) > as_of:
                break
            kept.append(event)
        doc = fold(model, kept).get(mid)
        if doc is None and events:
            raise NotFoundError(f"meeting {slug!r} did not exist yet at {cutoff}")
    if doc is None:
        raise NotFoundError(f"no meeting {slug!r}")
    return doc


def _prefix(store: ReadStore, stream: str, as_of: datetime) -> tuple[list[LedgerEvent], bool]:
    """A stream's events up to a moment (a stream's events are recorded in order), and whether it has any."""
    events = store.meeting_events(stream)
    kept = []
    for event in events:
        if datetime.fromisoformat(event.timestamp) > as_of:
            break
        kept.append(event)
    return kept, bool(events)


def series_doc(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, Any]:
    sid = series_id(slug)
    if as_of is None:
        doc = store.get("series", sid)
    else:
        kept, existed = _prefix(store, sid, as_of)
        doc = fold(MODELS_BY_NAME["series"], kept).get(sid)
        if doc is None and existed:
            raise NotFoundError(f"series {slug!r} did not exist yet at {as_of.isoformat()}")
    if doc is None:
        raise NotFoundError(f"no series {slug!r}")
    return doc


def occurrence_details(
    store: ReadStore, slug: str, as_of: datetime | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An occurrence's details from its series (and the series document), refusing a date it does not meet."""
    parts = split_slug(slug)
    if parts is None:
        raise NotFoundError(f"{slug!r} is not an occurrence (SERIES/2026-12-08)")
    found = series_doc(store, parts[0], as_of)
    details = series_occurrence(found, parts[1])
    if details is None:
        raise NotFoundError(f"series {parts[0]!r} has no occurrence on {parts[1].isoformat()}")
    return details, found


def _occurrence_doc(store: ReadStore, model: ReadModel, slug: str, as_of: datetime | None) -> dict[str, Any]:
    """An occurrence's document: its own once its stream started, else the one its creation would give."""
    details, found = occurrence_details(store, slug, as_of)
    mid = meeting_id(slug)
    doc = store.get(model.name, mid) if as_of is None else fold(model, _prefix(store, mid, as_of)[0]).get(mid)
    if doc is None:
        doc = fold(model, [scheduled_event(details, mid, found)])[mid]
    return overlay(doc, details, found) if model.name == "meetings" else doc


def meeting(store: ReadStore, slug: str, as_of: datetime | None = None) -> MeetingView:
    """`meetings show --json`: the meeting's details and its attendance counts."""
    doc = _doc(store, MODELS_BY_NAME["meetings"], slug, as_of)
    return from_document(
        MeetingView,
        doc,
        created_by=str(doc.get("created_by") or ""),
        counts=attendees(store, slug, as_of).counts,
        attendee_list=str(doc.get("attendee_list") or DEFAULT_ATTENDEE_LIST),
    )


def attendees(store: ReadStore, slug: str, as_of: datetime | None = None) -> AttendeeList:
    """`meetings attendees --json`: capacity, and seated/waitlist/remote/undecided lists."""
    return attendee_list(_doc(store, MODELS_BY_NAME["attendees"], slug, as_of), slug)


def attendee_list(doc: dict[str, Any], slug: str) -> AttendeeList:
    """The attendee list of an attendees document (a roster plus who withdrew)."""
    roster = Roster.from_dict(doc)
    entries: list[AttendeeEntry] = []
    for number, attendee in enumerate(roster.attendees.values(), start=1):
        waiting = roster.waitlist_position(attendee.key)
        status = "waitlisted" if waiting is not None else "seated" if attendee.mode == "in-person" else attendee.mode
        entries.append(
            AttendeeEntry(number, attendee.name, attendee.mode, attendee.remark, attendee.email, status, waiting)
        )
    by_key = dict(zip(roster.attendees, entries, strict=True))
    seated = sum(1 for e in entries if e.status == "seated")
    counts = Counts(
        seated=seated,
        free=roster.free_seats,
        waitlisted=len(roster.waitlist),
        remote=sum(1 for e in entries if e.mode == "remote"),
        undecided=sum(1 for e in entries if e.mode == "undecided"),
        total=len(entries),
        over_capacity=roster.capacity is not None and seated > roster.capacity,
    )
    return AttendeeList(
        slug=slug,
        capacity=roster.capacity,
        attendees=tuple(entries),
        waitlist=tuple(by_key[k] for k in roster.waitlist),
        withdrawn=tuple(Withdrawal(w["name"], w["reason"], w["by"], w["at"]) for w in doc["withdrawn"]),
        counts=counts,
    )


def agenda(store: ReadStore, slug: str, as_of: datetime | None = None) -> AgendaView:
    """`meetings agenda --json`: topics with id, number, title, proposer and subtopics."""
    return agenda_view(_doc(store, MODELS_BY_NAME["agenda"], slug, as_of))


def agenda_view(doc: dict[str, Any]) -> AgendaView:
    """The numbered agenda of an agenda document."""
    tree = Agenda.from_dict(doc)
    numbers = tree.numbering()
    return AgendaView(
        tuple(
            AgendaItem(
                t.topic_id,
                numbers[t.topic_id],
                t.title,
                t.proposer,
                tuple(Topic(s.topic_id, numbers[s.topic_id], s.title, s.proposer) for s in tree.children(t.topic_id)),
            )
            for t in tree.active()
            if t.parent_id is None
        )
    )


def notes(store: ReadStore, slug: str, topic_id: int | None = None, as_of: datetime | None = None) -> NotesSection:
    """`meetings notes show --json`: a section's latest text and its revisions."""
    doc = _doc(store, MODELS_BY_NAME["notes"], slug, as_of)
    section = section_name(topic_id)
    revisions = tuple(
        Revision(r["revision"], r["by"], r["at"], r["base_revision"], r["merged"], r["text"])
        for r in doc["sections"].get(section, [])
    )
    return NotesSection(slug, section, topic_id, revisions)


def all_notes(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, str]:
    """The current text of every section that has one, by section name."""
    doc = _doc(store, MODELS_BY_NAME["notes"], slug, as_of)
    return {name: revs[-1]["text"] for name, revs in doc["sections"].items() if revs}


def meeting_list(store: ReadStore, now: datetime) -> list[MeetingRow]:
    """Every meeting, soonest first, with when it is relative to now."""
    rows = []
    for _, doc in store.all("meetings"):
        if split_slug(doc["slug"]) is not None:
            continue  # an occurrence: listed with its series
        end = datetime.fromisoformat(doc["end"])
        when = "cancelled" if doc["cancelled"] else ("past" if end < now else "upcoming")
        rows.append(
            MeetingRow(
                doc["slug"],
                doc["title"],
                doc["start"],
                doc["end"],
                doc["timezone"],
                doc["location"],
                doc["capacity"],
                when,
            )
        )
    rows.sort(key=lambda r: (datetime.fromisoformat(r.start), r.slug))
    return rows


def person_meetings(store: ReadStore, person_key: str) -> list[Signup]:
    """The meetings a person is signed up for, in meeting-id order: name, email, meeting and mode."""
    needle = _as_json_key(person_key)
    return [Signup(**entry) for _, doc in store.containing("people", needle) for entry in entries(doc, person_key)]


def everyone(store: ReadStore) -> list[Signup]:
    """Every sign-up standing in every meeting (one entry per person and meeting)."""
    return [Signup(**entry) for _, doc in store.all("people") for entry in entries(doc)]


def linked_identities(store: ReadStore, person_key: str) -> set[str]:
    """The person keys an email change linked to this one, in any meeting, however many steps away
    (ledger/rekeying.py): the identities a person had before and after giving or changing an email."""
    links = [pair for _, doc in store.containing("people", '"rekeyed":') for pair in email_changes(doc)]
    found = {person_key}
    grown = True
    while grown:
        grown = False
        for before, after in links:
            if (before in found) != (after in found):
                found |= {before, after}
                grown = True
    return found - {person_key}


def names_shown_for(store: ReadStore, person_key: str, linked: Iterable[str] = ()) -> set[str]:
    """The names and emails the sign-up sheets show a person under, in any meeting.

    Those of each entry keyed by the person or by an identity `linked` to theirs, and those of each
    entry whose name alone keys to them: signing up with an email keys the entry by the email,
    while the events the person made themselves name them.
    """
    keys = {person_key, *linked}
    if person_key.startswith("email:"):
        # No name alone keys to an email: only documents holding one of the keys can show them.
        holding = {key: doc for k in sorted(keys) for key, doc in store.containing("people", _as_json_key(k))}
        docs = list(holding.items())
    else:
        docs = store.all("people")
    names_theirs: dict[str, bool] = {}  # the same few names recur in every meeting: key each once
    found: set[str] = set()
    for _, doc in docs:
        for key, entry in doc["people"].items():
            name = entry["name"]
            if key not in keys:
                theirs = names_theirs.get(name)
                if theirs is None:
                    theirs = names_theirs[name] = people.person_key(name, None) == person_key
                if not theirs:
                    continue
            found.add(name)
            if entry.get("email"):
                found.add(entry["email"])
    return found


def _as_json_key(person_key: str) -> str:
    """A person key as a people document spells it as an object key: a document can only hold
    the person if this appears in it (what `ReadStore.containing` looks for)."""
    return orjson.dumps(person_key).decode() + ":"


# The series queries live beside the series model; they are part of this module's interface.
from projections.series_queries import (  # noqa: E402
    Window as Window,
)
from projections.series_queries import (  # noqa: E402
    is_series as is_series,
)
from projections.series_queries import (  # noqa: E402
    next_occurrence as next_occurrence,
)
from projections.series_queries import (  # noqa: E402
    series as series,
)
from projections.series_queries import (  # noqa: E402
    series_calendar as series_calendar,
)
from projections.series_queries import (  # noqa: E402
    series_list as series_list,
)
from projections.series_queries import (  # noqa: E402
    series_slugs as series_slugs,
)
