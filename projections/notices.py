"""The notifier's follower: events in, one outbox row per message owed, exactly once.

It follows the log as the read models do (projections/store.py): under the same lock, in one
transaction per batch, it folds its own state (each meeting's details and roster as the
`meetings` and `attendees` models fold them, and who is muted), writes the outbox rows the batch's
events call for, and moves its position. A crash before the commit loses the batch's rows and
its position together, so the batch is read again; a crash after it has both. Every row is a
pure function of the events, keyed by a Message-ID derived from the event and the recipient.

What each row says is the notice: the kind of change, the recipient, and the meeting as the
feed shows it after the event (its UID and SEQUENCE for the mail's iTIP part).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger import people
from ledger.attendance import Roster
from ledger.storage import outbox
from ledger.storage.outbox import OutboxRow
from projections.attendees import AttendeesModel
from projections.events import LedgerEvent
from projections.meetings import MeetingsModel
from projections.store import BATCH_SIZE, ReadStore, cyclic_gc_paused

NAME = "notifier"
VERSION = 1
MUTED = "muted"  # the state document of who is muted
START = "start-position"  # setting: events up to here were recorded before the notifier ran
DOMAIN = "meetings.invalid"  # Message-IDs name no real host
_MEETINGS, _ATTENDEES = MeetingsModel(), AttendeesModel()
DIRECTORY = frozenset({"Muted", "Unmuted"})
FOLDED = _MEETINGS.kinds | _ATTENDEES.kinds | DIRECTORY
# Changes every attendee hears of, and the iTIP method their calendar part carries.
MEETING_CHANGES = {"rescheduled": "REQUEST", "relocated": "REQUEST", "video-link": "REQUEST", "cancelled": "CANCEL"}
MEETING_CHANGES["reinstated"] = "REQUEST"


@dataclass(frozen=True)
class Notifier:
    """The follower as the read store's positions know it."""

    name: str = NAME
    version: int = VERSION


@dataclass
class State:
    meetings: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    attendees: dict[str, Any] = field(default_factory=dict)
    muted: set[str] = field(default_factory=set)


def message_id(event: LedgerEvent, recipient_key: str) -> str:
    """Stable across retries, restarts, rebuilds and copies: the meeting, its version, the recipient."""
    who = hashlib.sha256(recipient_key.encode()).hexdigest()[:16]
    # The meeting's 128-bit id in 22 characters, so the header fits one line and is never folded.
    meeting = base64.urlsafe_b64encode(bytes.fromhex(event.meeting_id)).decode().rstrip("=")
    return f"<{meeting}.{event.version}.{who}@{DOMAIN}>"


def is_muted(muted: set[str], key: str, name: str) -> bool:
    """Muted by the key they signed up under, or by their name alone."""
    return key in muted or people.person_key(name, None) in muted


# ----- which events call for which notices -----------------------------------------------------


def _by_someone_else(event: LedgerEvent, name: str) -> bool:
    return bool(event.actor) and people.name_key(event.actor) != people.name_key(name)


def _everyone(roster: Roster) -> list[dict[str, Any]]:
    return [{"key": a.key, "name": a.name, "email": a.email} for a in roster.attendees.values()]


def meeting_changes(event: LedgerEvent, meeting: dict[str, Any]) -> list[str]:
    """What an event changed that every attendee hears of (and the changes feed lists), given the meeting before it."""
    data = event.data
    kinds: list[str] = []
    if event.kind == "Rescheduled":
        kinds.append("rescheduled")
    elif event.kind == "Edited":
        changes = data["changes"]
        if "location" in changes and changes["location"] != meeting["location"]:
            kinds.append("relocated")
        if "video_url" in changes and changes["video_url"] != meeting["video_url"]:
            kinds.append("video-link")
    elif event.kind == "Cancelled":
        kinds.append("cancelled")
    elif event.kind == "Reinstated":
        kinds.append("reinstated")
    return kinds


def notices(event: LedgerEvent, meeting: dict[str, Any] | None, roster: Roster | None) -> list[dict[str, Any]]:
    """The notices an event calls for, given the meeting and roster before it: kind, recipient, reason."""
    data = event.data
    if meeting is None or roster is None:
        return []
    found: list[dict[str, Any]] = []
    kinds = meeting_changes(event, meeting)
    if kinds:
        # One message per attendee for the event, whatever it changed.
        for person in _everyone(roster):
            found.append({"kind": kinds[0], "also": kinds[1:], "recipient": person, "reason": data.get("reason", "")})
        return found
    key = data.get("person_key")
    if event.kind == "Promoted" and key in roster.attendees:
        a = roster.attendees[key]
        found.append({"kind": "promoted", "recipient": {"key": a.key, "name": a.name, "email": a.email}})
    elif event.kind == "Withdrew" and key in roster.attendees and _by_someone_else(event, data["person"]):
        a = roster.attendees[key]
        recipient = {"key": a.key, "name": a.name, "email": a.email}
        found.append({"kind": "withdrawn", "recipient": recipient, "reason": data["reason"]})
    elif event.kind == "AttendanceChanged" and key in roster.attendees and _by_someone_else(event, data["person"]):
        a = roster.attendees[key]
        recipient = {"key": a.key, "name": a.name, "email": a.email}
        found.append({"kind": "entry-changed", "recipient": recipient, "mode": data["mode"], "remark": data["remark"]})
    return found


def summary_counts(roster: Roster) -> dict[str, Any]:
    """What the iTIP part's DESCRIPTION tells of attendance: counts only, no names or emails."""
    seated = sum(1 for a in roster.attendees.values() if a.mode == "in-person" and a.seated)
    modes = [a.mode for a in roster.attendees.values()]
    return {
        "capacity": roster.capacity,
        "counts": {
            "total": len(modes),
            "seated": seated,
            "waitlisted": len(roster.waitlist),
            "remote": modes.count("remote"),
            "undecided": modes.count("undecided"),
        },
        "seated": [],
        "waitlist": [],
        "remote": [],
        "undecided": [],
    }


def rows_for(event: LedgerEvent, state: State, emit: bool) -> Iterator[OutboxRow]:
    """Fold the event into the state and yield its outbox rows (none when `emit` is false)."""
    if event.kind in DIRECTORY:
        (state.muted.add if event.kind == "Muted" else state.muted.discard)(event.data["person_key"])
        return
    mid = event.meeting_id
    meeting, roster_state = state.meetings.get(mid), state.attendees.get(mid)
    owed = notices(event, meeting, roster_state.roster if roster_state is not None else None) if emit else []
    state.meetings[mid] = _MEETINGS.apply(meeting, event) if event.kind in _MEETINGS.kinds else meeting
    if event.kind in _ATTENDEES.kinds:
        state.attendees[mid] = _ATTENDEES.apply(roster_state, event)
    after = state.meetings[mid]
    if not owed or after is None:
        return
    counts = summary_counts(state.attendees[mid].roster)
    for notice in owed:
        person = notice["recipient"]
        reason = (
            "no email"
            if not person["email"]
            else "muted"
            if is_muted(state.muted, person["key"], person["name"])
            else ""
        )
        body = {
            **notice,
            "meeting": after,
            "attendees": counts,
            "actor": event.actor,
            "at": event.timestamp,
            "method": MEETING_CHANGES.get(notice["kind"]),
        }
        yield OutboxRow(
            message_id=message_id(event, person["key"]),
            position=event.position,
            meeting_id=mid,
            kind=notice["kind"],
            recipient=person["name"],
            email=person["email"],
            status=outbox.SKIPPED if reason else outbox.PENDING,
            reason=reason,
            body=orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode(),
            attempts=0,
            next_attempt=0.0,
            last_error="",
            created_at=datetime.now(UTC).isoformat(),
            sent_at=None,
        )


def changes(events: list[LedgerEvent]) -> list[dict[str, Any]]:
    """A meeting's changes, oldest first, from its stream: its creation, then every change attendees hear of.

    Each is the kind(s), the event's version and time, who made it, and the meeting as it was after.
    """
    found: list[dict[str, Any]] = []
    meeting: dict[str, Any] | None = None
    for event in events:
        if event.kind not in _MEETINGS.kinds:
            continue
        kinds = ["scheduled"] if event.kind == "Scheduled" else meeting_changes(event, meeting) if meeting else []
        meeting = _MEETINGS.apply(meeting, event)
        if kinds and meeting is not None:
            entry = {"kinds": kinds, "version": event.version, "at": event.timestamp, "actor": event.actor}
            found.append({**entry, "reason": event.data.get("reason", ""), "meeting": dict(meeting)})
    return found


# ----- following the log -------------------------------------------------------------------------


def _load(store: ReadStore, cursor: Any, mids: set[str]) -> State:
    state = State()
    docs = store._get_many(cursor, NAME, {*mids, MUTED})
    muted = docs.pop(MUTED)
    state.muted = set(muted["keys"]) if muted else set()
    for mid, doc in docs.items():
        state.meetings[mid] = doc["meeting"] if doc else None
        state.attendees[mid] = _ATTENDEES.load(doc["attendees"]) if doc else None
    return state


def _dump(store: ReadStore, cursor: Any, state: State) -> None:
    docs: dict[str, dict[str, Any] | None] = {MUTED: {"keys": sorted(state.muted)}}
    for mid, meeting in state.meetings.items():
        attendees = state.attendees.get(mid)
        if meeting is not None and attendees is not None:
            docs[mid] = {"meeting": meeting, "attendees": _ATTENDEES.dump(attendees)}
    store._put(cursor, NAME, docs)


def start_position(store: ReadStore, from_start: bool = False) -> int:
    """Where notices begin: recorded on the notifier's first run, at the log's end (or 0 with from_start)."""
    stored = outbox.setting(store.storage, START)
    if stored is None:
        stored = "0" if from_start else str(store.last_position())
        outbox.set_setting(store.storage, START, stored)
    return int(stored)


def follow(store: ReadStore, *, from_start: bool = False, batch: int = BATCH_SIZE) -> int:
    """Bring the outbox up to the log's end; return how many messages were added."""
    start = start_position(store, from_start)
    if store.positions().get(NAME, (0, VERSION))[0] >= store.last_position():
        return 0  # nothing new: no write transaction (a notifier polls every second)
    model = Notifier()
    added = 0
    with cyclic_gc_paused():
        while True:
            with store.transaction(write=True) as cursor:
                store._lock(cursor)
                outbox.ensure(store.storage, cursor)
                position = store.positions(cursor).get(NAME, (0, VERSION))[0]
                events = store._select_events(cursor, position, batch)
                if not events:
                    return added
                state = _load(
                    store, cursor, {e.meeting_id for e in events if e.kind in FOLDED and e.kind not in DIRECTORY}
                )
                rows: list[OutboxRow] = []
                for event in events:
                    if event.kind in FOLDED:
                        rows.extend(rows_for(event, state, event.position > start))
                outbox.insert(store.storage, cursor, rows)
                _dump(store, cursor, state)
                store._set_position(cursor, model, events[-1].position)  # type: ignore[arg-type]
                added += len(rows)


# ----- the outbox, for delivery and status --------------------------------------------------------


class Outbox:
    """The notifier's outbox and settings in the ledger's database (the SQL is in ledger/storage)."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.storage = store.storage

    def position(self) -> int:
        return self.store.positions().get(NAME, (0, VERSION))[0]

    def due(self, limit: int = 100, at: float | None = None) -> list[OutboxRow]:
        return outbox.due(self.storage, time.time() if at is None else at, limit)

    def take_lease(self, holder: str, seconds: float) -> bool:
        return outbox.take_lease(self.storage, holder, time.time(), seconds)

    def release_lease(self, holder: str) -> None:
        outbox.release_lease(self.storage, holder)

    def mark_sent(self, message_id: str) -> None:
        outbox.mark_sent(self.storage, message_id, datetime.now(UTC).isoformat())

    def mark_failed(self, message_id: str, error: str, next_attempt: float) -> None:
        outbox.mark_failed(self.storage, message_id, error, next_attempt)

    def rows(self, status: str | None = None, meeting_id: str | None = None) -> list[OutboxRow]:
        return outbox.select(self.storage, status=status, meeting_id=meeting_id)

    def counts(self) -> dict[str, int]:
        return outbox.counts(self.storage)

    def setting(self, name: str) -> str | None:
        return outbox.setting(self.storage, name)

    def set_setting(self, name: str, value: str | None) -> None:
        outbox.set_setting(self.storage, name, value)


PENDING, SENT, SKIPPED = outbox.PENDING, outbox.SENT, outbox.SKIPPED
