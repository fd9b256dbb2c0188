"""Queries answered from the read models (or, for --as-of, from the events up to a moment).

Every function returns plain data in the shapes the CLI prints with --json; the CLI's
JSON contract lives here, in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.agenda import Agenda
from ledger.attendance import MODE_LABELS, Roster
from ledger.errors import NotFoundError
from ledger.meeting import Meeting
from ledger.notes import section_name
from projections.agenda import AgendaModel
from projections.attendees import AttendeesModel
from projections.meetings import MeetingsModel
from projections.notes import NotesModel
from projections.people import PeopleModel
from projections.store import ReadModel, ReadStore, fold

MODELS: tuple[ReadModel, ...] = (MeetingsModel(), AttendeesModel(), AgendaModel(), NotesModel(), PeopleModel())
MODELS_BY_NAME = {m.name: m for m in MODELS}


def meeting_id(slug: str) -> str:
    return Meeting.create_id(slug).hex


def _doc(store: ReadStore, model: ReadModel, slug: str, as_of: datetime | None) -> dict[str, Any]:
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


def meeting(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, Any]:
    doc = _doc(store, MODELS_BY_NAME["meetings"], slug, as_of)
    roster = attendees(store, slug, as_of)
    return {
        **{
            k: doc[k]
            for k in (
                "slug",
                "title",
                "start",
                "end",
                "timezone",
                "location",
                "video_url",
                "description",
                "capacity",
                "cancelled",
                "cancel_reason",
                "sequence",
                "calendar_uid",
                "publish_emails",
                "created_at",
                "updated_at",
            )
        },
        "status": "cancelled" if doc["cancelled"] else "scheduled",
        "counts": roster["counts"],
    }


def attendees(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, Any]:
    """`meetings attendees --json`: capacity, and seated/waitlist/remote/undecided lists."""
    doc = _doc(store, MODELS_BY_NAME["attendees"], slug, as_of)
    return attendee_view(doc, slug)


def attendee_view(doc: dict[str, Any], slug: str) -> dict[str, Any]:
    roster = Roster.from_dict(doc)
    entries: list[dict[str, Any]] = []
    for number, attendee in enumerate(roster.attendees.values(), start=1):
        entry: dict[str, Any] = {
            "position": number,
            "name": attendee.name,
            "mode": attendee.mode,
            "remark": attendee.remark,
            "email": attendee.email,
            "status": (
                "waitlisted"
                if attendee.key in roster.waitlist
                else "seated"
                if attendee.mode == "in-person"
                else attendee.mode
            ),
        }
        waiting = roster.waitlist_position(attendee.key)
        if waiting is not None:
            entry["waitlist_position"] = waiting
        entries.append(entry)
    by_key = dict(zip(roster.attendees, entries, strict=True))
    seated = [e for e in entries if e["status"] == "seated"]
    waitlist = [by_key[k] for k in roster.waitlist]
    over = roster.capacity is not None and len(seated) > roster.capacity
    return {
        "slug": slug,
        "capacity": roster.capacity,
        "seated": seated,
        "waitlist": waitlist,
        "remote": [e for e in entries if e["mode"] == "remote"],
        "undecided": [e for e in entries if e["mode"] == "undecided"],
        "attendees": entries,
        "withdrawn": [{k: w[k] for k in ("name", "reason", "by", "at")} for w in doc["withdrawn"]],
        "counts": {
            "seated": len(seated),
            "free": roster.free_seats,
            "waitlisted": len(waitlist),
            "remote": sum(1 for e in entries if e["mode"] == "remote"),
            "undecided": sum(1 for e in entries if e["mode"] == "undecided"),
            "total": len(entries),
            "over_capacity": over,
        },
    }


def agenda(store: ReadStore, slug: str, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """`meetings agenda --json`: topics with id, number, title, proposer and subtopics."""
    return agenda_view(_doc(store, MODELS_BY_NAME["agenda"], slug, as_of))


def agenda_view(doc: dict[str, Any]) -> list[dict[str, Any]]:
    tree = Agenda.from_dict(doc)
    numbers = tree.numbering()

    def item(topic: Any) -> dict[str, Any]:
        return {
            "id": topic.topic_id,
            "number": numbers[topic.topic_id],
            "title": topic.title,
            "proposer": topic.proposer,
        }

    return [
        {**item(t), "subtopics": [item(s) for s in tree.children(t.topic_id)]}
        for t in tree.active()
        if t.parent_id is None
    ]


def notes(store: ReadStore, slug: str, topic_id: int | None = None, as_of: datetime | None = None) -> dict[str, Any]:
    doc = _doc(store, MODELS_BY_NAME["notes"], slug, as_of)
    section = section_name(topic_id)
    revisions = doc["sections"].get(section, [])
    latest = revisions[-1] if revisions else None
    return {
        "slug": slug,
        "section": section,
        "topic_id": topic_id,
        "revision": latest["revision"] if latest else 0,
        "text": latest["text"] if latest else "",
        "revisions": [{k: r[k] for k in ("revision", "by", "at", "base_revision", "merged")} for r in revisions],
    }


def all_notes(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, str]:
    doc = _doc(store, MODELS_BY_NAME["notes"], slug, as_of)
    return {name: revs[-1]["text"] for name, revs in doc["sections"].items() if revs}


def meeting_list(store: ReadStore, now: datetime) -> list[dict[str, Any]]:
    """Every meeting, soonest first, with when it is relative to now."""
    rows = []
    for _, doc in store.all("meetings"):
        end = datetime.fromisoformat(doc["end"])
        when = "cancelled" if doc["cancelled"] else ("past" if end < now else "upcoming")
        rows.append(
            {
                "slug": doc["slug"],
                "title": doc["title"],
                "start": doc["start"],
                "end": doc["end"],
                "timezone": doc["timezone"],
                "location": doc["location"],
                "capacity": doc["capacity"],
                "status": when,
            }
        )
    rows.sort(key=lambda r: (datetime.fromisoformat(r["start"]), r["slug"]))
    return rows


def person_meetings(store: ReadStore, person_key: str) -> list[dict[str, Any]]:
    """The meetings a person is signed up for, in meeting-id order: name, email, meeting and mode."""
    import orjson

    from projections.people import entries

    # A document can only hold the person if their key appears in it as a JSON object key.
    needle = orjson.dumps(person_key).decode() + ":"
    return [entry for _, doc in store.containing("people", needle) for entry in entries(doc, person_key)]


def everyone(store: ReadStore) -> list[dict[str, Any]]:
    """Every sign-up standing in every meeting (one entry per person and meeting)."""
    from projections.people import entries

    return [entry for _, doc in store.all("people") for entry in entries(doc)]


MODE_LABEL = MODE_LABELS
