"""The light sign-up: `signup` without eventsourcing, storing exactly the row the full path stores.

A common sign-up's start-up was mostly importing eventsourcing and building the aggregate
classes. This path reads the meeting's newest sealed snapshot and the events after it with
orjson (as the read models do), decides with the domain's own rules (`Roster.admit`, the
names of ledger/people.py, the checks of ledger/text.py and ledger/vocabulary.py, `authorize`
of ledger/roles.py with the account and organizers the full path would use), seals the
personal fields as the mapper does (ledger/privacy.py) and appends through the recorder's SQL.

Whatever it does not handle it hands to the full path (`Ledger.sign_up`) by returning None,
always before anything is written: PostgreSQL, a new or read-only file, a series occurrence,
a ledger with a directory of accounts, a snapshot it does not trust or know, an event after it
that it does not fold, a sign-up that must take a snapshot, any refusal or bad input (the full
path then says it in its own words), and a lost race (the full path retries it).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from typing import Any

import orjson

from ledger import people, privacy, text
from ledger.attendance import Attendee, Roster
from ledger.attendance_commands import signed_up, withdrew
from ledger.errors import LedgerError
from ledger.roles import Account, Subject, acts_as_self, authorize
from ledger.steps import Saved
from ledger.storage.database import resolve
from ledger.storage.quick import Conflict, QuickLedger, Row
from ledger.streams import DIRECTORY_ID, SNAPSHOT_INTERVAL, meeting_id
from ledger.vocabulary import check_mode

MEETING = "meeting-ledger:Meeting"
SNAPSHOT_TOPIC = "meeting-ledger:Meeting.SealedSnapshot"
SCHEDULED = "meeting-ledger:Meeting.Scheduled"
RACES = 8  # light attempts after lost races before the full path retries
RETRY_WAIT = 0.01  # as Ledger's
LOCK_WAIT = 2.0  # seconds the light path waits for SQLite's write lock
CLASS_VERSION = 4  # the Meeting snapshots this reader knows (ledger.meeting.Meeting.class_version)
# Events after a snapshot that change nothing a sign-up reads (the roster, cancellation, organizers).
_UNREAD = frozenset(
    {"Edited", "Rescheduled", "TopicProposed", "TopicRetitled", "TopicMoved", "TopicWithdrawn", "NotesEdited"}
)


_Event = tuple[str, dict[str, Any]]  # an event's kind and its own fields, in the aggregate's order


class _Unhandled(Exception):
    """Not a case for the light path: the full path takes it."""


class _Meeting:
    """What a sign-up reads of a meeting."""

    def __init__(self, slug: str, version: int, roster: Roster, cancelled: bool, organizers: list[str] | None):
        self.slug, self.version, self.roster = slug, version, roster
        self.cancelled, self.organizers = cancelled, organizers


def sign_up(
    db: str | None, actor: str | None, slug: str, name: str, mode: str, email: str | None, remark: str
) -> Saved | None:
    """Sign NAME up as `Ledger.sign_up` would, or None (nothing written) for the full path to do it."""
    try:  # `AttendanceCommands.sign_up_step`'s checks
        name = people.display_name(name)
        mode = check_mode(mode)
        email = text.check("email", email) if email else None
        remark = text.check("remark", remark)
    except LedgerError:
        return None

    def change(meeting: _Meeting) -> tuple[list[_Event], str]:
        """`Meeting.sign_up`: the one SignedUp event, decided by `Roster.admit`."""
        roster = meeting.roster
        key, waitlisted = roster.admit(slug, meeting.cancelled, name, mode, email)
        roster.add(key, name, email, mode, remark, waitlisted)
        fields = {"person": name, "person_key": key, "email": email, "mode": mode, "remark": remark}
        return [("SignedUp", {**fields, "waitlisted": waitlisted})], signed_up(
            roster, slug, name, _one(roster, email or name)
        )

    return _run(db, actor, slug, "signup", lambda _: Subject(name, email), change)


def withdraw(db: str | None, actor: str | None, slug: str, name: str, reason: str) -> Saved | None:
    """Take NAME off the list as `Ledger.withdraw` would, or None (nothing written) for the full path."""
    try:  # `AttendanceCommands.withdraw_step`'s checks
        name = people.display_name(name)
        reason = text.check("reason", reason)
    except LedgerError:
        return None

    def subject(meeting: _Meeting) -> Subject:
        attendee = _one(meeting.roster, name)  # `roles.entry_of`
        return Subject(attendee.name, attendee.email)

    def change(meeting: _Meeting) -> tuple[list[_Event], str]:
        """`Meeting.withdraw`: Withdrew, then a Promoted event for each seat `Roster.to_promote` fills."""
        roster = meeting.roster
        waiting = list(roster.waitlist)
        attendee = _one(roster, name)
        events: list[_Event] = [("Withdrew", {"person": attendee.name, "person_key": attendee.key, "reason": reason})]
        roster.remove(attendee.key)
        for key in roster.to_promote():
            events.append(("Promoted", {"person": roster.attendees[key].name, "person_key": key}))
            roster.promote(key)
        return events, withdrew(roster, slug, attendee, waiting)

    return _run(db, actor, slug, "withdraw", subject, change)


def _one(roster: Roster, name_or_email: str) -> Attendee:
    """`Meeting.find_attendee`'s one match; none or several: the full path refuses it in its words."""
    found = roster.find(name_or_email)
    if len(found) != 1:
        raise _Unhandled
    return found[0]


def _run(
    db: str | None,
    actor: str | None,
    slug: str,
    action: str,
    subject: Callable[[_Meeting], Subject],
    change: Callable[[_Meeting], tuple[list[_Event], str]],
) -> Saved | None:
    """One light write, retried on fresh state when another writer appended first; None whenever it is the
    full path's (always before anything is written)."""
    try:
        database = resolve(db)
        for_person = people.resolve_actor(actor)
    except LedgerError:
        return None
    if (
        "/" in slug
        or database.is_postgres
        or os.environ.get("TZINFO_TOPIC", "datetime:timezone.utc") != "datetime:timezone.utc"
        or not QuickLedger.usable(database.env["SQLITE_DBNAME"])
    ):
        return None
    try:
        # A lock held longer than a moment hands over to the full path, which waits its own patience out:
        # the light path adds at most LOCK_WAIT to it.
        wait = min(float(database.env["SQLITE_LOCK_TIMEOUT"]), LOCK_WAIT)
        ledger = QuickLedger(database.env["SQLITE_DBNAME"], wait)
    except Exception:  # noqa: BLE001 - whatever stops a plain open stops the light path only
        return None
    try:
        for attempt in range(RACES):
            try:
                return _attempt(ledger, for_person, slug, action, subject, change)
            except Conflict as conflict:
                if not conflict.raced:
                    return None
            # Another writer appended first: read again, as the full path's retry does.
            import random
            import time

            time.sleep(RETRY_WAIT * (1 + random.random()) * (attempt + 1))  # noqa: S311
        return None  # still losing: the full path's longer patience takes over
    except (_Unhandled, Conflict, LedgerError, ValueError, TypeError, KeyError, AttributeError, OSError):
        return None
    except Exception as error:
        if type(error).__module__ == "sqlite3":
            return None
        raise
    finally:
        ledger.close()


def _attempt(
    ledger: QuickLedger,
    for_person: str | None,
    slug: str,
    action: str,
    subject: Callable[[_Meeting], Subject],
    change: Callable[[_Meeting], tuple[list[_Event], str]],
) -> Saved:
    text.check("slug", slug)
    if not ledger.ready():
        raise _Unhandled
    keyring = privacy.Keyring(lambda: ledger)
    stream = meeting_id(slug)
    ledger.begin_read()
    try:
        if ledger.has_stream(DIRECTORY_ID):
            raise _Unhandled  # accounts and admins are the directory's: the full path replays it
        meeting = _load(ledger, keyring, slug, stream)
        account = _account(ledger)
        creator = None if meeting.organizers is not None else _principal(ledger.state_at(stream, 1))
    finally:
        ledger.end_read()
    # What Ledger.authenticate and Ledger._authorize set and check, before the change (`Ledger._apply`).
    principal = account.name
    acting = people.display_name(for_person) if for_person else account.person
    organizers = list(meeting.organizers) if meeting.organizers is not None else ([creator] if creator else [])
    authorize(
        action,
        account,
        where=slug,
        organizers=organizers,
        acting_for=None if acts_as_self(account, acting) else acting,
        subject=subject(meeting),
    )
    events, summary = change(meeting)
    first, last = meeting.version + 1, meeting.version + len(events)
    if (first - 1) // SNAPSHOT_INTERVAL != last // SNAPSHOT_INTERVAL:
        raise _Unhandled  # this write takes a snapshot: the full path's `_save` does
    rows = []
    try:
        for version, (kind, fields) in enumerate(events, start=first):
            now = datetime.datetime.now(datetime.UTC)
            state: dict[str, Any] = {
                "timestamp": {"_type_": "datetime_iso", "_data_": now.isoformat()},
                "actor": acting,
                "principal": principal,
                **fields,
            }
            if os.environ.get("MEETINGS_PLAINTEXT_EVENTS") != "1":
                privacy.seal_state(kind, state, keyring, dict)
            rows.append(Row(stream, version, f"{MEETING}.{kind}", orjson.dumps(state)))
        if not keyring.flush():
            raise Conflict("another process made a key for this person", raced=True)
    except BaseException:
        keyring.discard_new()
        raise
    position = ledger.append(rows)
    return Saved(position, summary)


def _load(ledger: QuickLedger, keyring: privacy.Keyring, slug: str, stream: Any) -> _Meeting:
    """The meeting from its trusted snapshot (trusted as ledger/snapshots.py trusts one) and the events
    after it; from all its events when it has no snapshot (as a full load replays it)."""
    stored = ledger.newest_snapshot(stream)
    meeting = None if stored is None else _from_snapshot(ledger, slug, stream, *stored)
    stored_events = ledger.events_after(stream, 0 if meeting is None else meeting.version)
    # Decrypted together: the keys they name are read in one query (as the read models read them).
    states = privacy.reveal_all([orjson.loads(raw) for _, _, raw in stored_events], keyring)
    for (version, topic, _), data in zip(stored_events, states, strict=True):
        if meeting is None:
            meeting = _scheduled(slug, version, topic, data)
        elif version != meeting.version + 1 or not topic.startswith(MEETING + "."):
            raise _Unhandled
        else:
            _fold(meeting, topic[len(MEETING) + 1 :], data)
            meeting.version = version
    if meeting is None:
        raise _Unhandled  # no such meeting: the full path says so
    return meeting


def _from_snapshot(ledger: QuickLedger, slug: str, stream: Any, version: int, topic: str, raw: bytes) -> _Meeting:
    if topic != SNAPSHOT_TOPIC:
        raise _Unhandled  # another kind of snapshot, which a full load ignores: it replays
    snapshot = orjson.loads(raw)
    state = snapshot["state"]
    seal = ledger.seal(stream, version)
    if (
        snapshot.get("topic") != MEETING
        or not isinstance(snapshot.get("seal"), str)
        or not isinstance(seal, bytes)
        or seal.hex() != snapshot["seal"]
        or state.get("class_version") != CLASS_VERSION
        or state.get("slug") != slug
        or state["roster"].get("_type_") != "roster"
    ):
        raise _Unhandled
    roster = Roster.from_dict(state["roster"]["_data_"])
    return _Meeting(slug, version, roster, state["cancelled"], state["organizers"])


def _scheduled(slug: str, version: int, topic: str, data: dict[str, Any]) -> _Meeting:
    """A meeting as its first event makes it (`Meeting.__init__`): what a sign-up reads of it."""
    if version != 1 or topic != SCHEDULED or data.get("originator_topic") != MEETING or data.get("slug") != slug:
        raise _Unhandled
    if "class_version" in data:
        raise _Unhandled
    return _Meeting(slug, 1, Roster(capacity=data["capacity"]), cancelled=False, organizers=None)


def _fold(meeting: _Meeting, kind: str, data: dict[str, Any]) -> None:
    """An event's change to what a sign-up reads, through the same Roster methods the aggregate's events call."""
    roster = meeting.roster
    if "class_version" in data:
        raise _Unhandled
    if kind == "SignedUp":
        roster.add(data["person_key"], data["person"], data["email"], data["mode"], data["remark"], data["waitlisted"])
    elif kind == "Withdrew":
        roster.remove(data["person_key"])
    elif kind == "Promoted":
        roster.promote(data["person_key"])
    elif kind == "AttendanceChanged":
        roster.change(data["person_key"], data["mode"], data["remark"], data["waitlisted"])
    elif kind == "EmailChanged":
        roster.rekey(data["previous_key"], data["person_key"], data["email"])
    elif kind == "CapacityChanged":
        roster.capacity = data["capacity"]
    elif kind in ("Cancelled", "Reinstated"):
        meeting.cancelled = kind == "Cancelled"
    elif kind == "OrganizerAdded":
        meeting.organizers = [*(meeting.organizers or []), data["account"]]
    elif kind == "OrganizerRemoved" and meeting.organizers is not None:
        meeting.organizers.remove(data["account"])
    elif kind not in _UNREAD:
        raise _Unhandled


def _account(ledger: QuickLedger) -> Account:
    """The authenticated account as `Ledger.current_account` finds it on a SQLite ledger without a directory:
    the OS login, an admin when it recorded the ledger's first event."""
    name = text.check("account", people.login_name())
    first = ledger.first_state()
    founder = _principal(first) if first is not None else None
    if first is None or founder is None:
        raise _Unhandled
    return Account(name, None, name, admin=name == founder)


def _principal(state: bytes | None) -> str | None:
    """The account that recorded a stored event (not personal data: never sealed)."""
    if state is None:
        return None
    data = orjson.loads(state)
    if not isinstance(data, dict):
        raise _Unhandled
    return str(data.get("principal") or "")
