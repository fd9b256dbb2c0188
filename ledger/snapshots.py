"""Snapshots a load may trust: of a meeting only, and tied to the hash chain at the event they were taken at.

A snapshot lives outside the chain, so anyone able to write the database could edit one and
change what every later load sees. A load therefore takes a snapshot only when it is this
module's class (its stored type is checked before it is decoded: decoding resolves the type
name, which could import any module), it restores a Meeting, and the seal it recorded is the
seal the chain still holds for the event at its version. Anything else is ignored and the
meeting is replayed from its events. `meetings verify --deep` compares the state itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from eventsourcing.domain import EventSourcingError, Snapshot
from eventsourcing.utils import get_topic, register_topic

from ledger.errors import StorageError
from ledger.meeting import Meeting

MEETING_TOPIC = get_topic(Meeting)
# A damaged snapshot, whatever its damage, is only skipped: it is a cache.
_UNREADABLE = (EventSourcingError, ValueError, TypeError, KeyError, AttributeError)


@dataclasses.dataclass(frozen=True)
class SealedSnapshot(Snapshot):
    """A meeting's state at a version, with the hex seal of the event at that version."""

    TOPIC = "meeting-ledger:Meeting.SealedSnapshot"
    seal: str

    @classmethod
    def of(cls, meeting: Meeting, seal: bytes) -> SealedSnapshot:
        plain = Snapshot.take(meeting)
        return cls(
            originator_id=plain.originator_id,
            originator_version=plain.originator_version,
            timestamp=plain.timestamp,
            topic=plain.topic,
            state=plain.state,
            seal=seal.hex(),
        )


register_topic(SealedSnapshot.TOPIC, SealedSnapshot)


def take(app: Any, meeting: Meeting) -> bool:
    """Store a snapshot of the meeting as it is in memory (its events are stored already)."""
    seal = app.storage.select_seal(meeting.id, meeting.version)
    if not isinstance(seal, bytes):
        return False  # no seal, or one re-typed by a forger: `verify` says which
    app.snapshots.put([SealedSnapshot.of(meeting, seal)])
    return True


def trusted(app: Any, meeting_id: UUID, lte: int | None = None) -> SealedSnapshot | None:
    """The meeting's newest snapshot (at or before `lte`) if a load may use it, else None."""
    if app.snapshots is None:
        return None
    stored = app.snapshots.recorder.select_events(meeting_id, lte=lte, desc=True, limit=1)
    if not stored or stored[0].topic != SealedSnapshot.TOPIC:
        return None  # not decoded at all: its type name could point anywhere
    try:
        snapshot = app.mapper.to_domain_event(stored[0])
    except _UNREADABLE:
        return None
    if not isinstance(snapshot, SealedSnapshot) or snapshot.topic != MEETING_TOPIC:
        return None
    if snapshot.originator_id != meeting_id or not isinstance(snapshot.seal, str):
        return None
    seal = app.storage.select_seal(meeting_id, snapshot.originator_version)
    if not isinstance(seal, bytes) or seal.hex() != snapshot.seal:
        return None  # taken of another history than the one the chain now holds
    return snapshot


def load(app: Any, meeting_id: UUID, version: int | None = None, *, replay: bool = False) -> Meeting | None:
    """The meeting from its trusted snapshot and the events after it (up to `version`), None if it has none.

    With `replay`, from the events alone.
    """
    snapshot = None if replay else trusted(app, meeting_id, version)
    meeting: Any = None
    if snapshot is not None:
        try:
            meeting = snapshot.mutate(None)
        except Exception:  # noqa: BLE001 - an undecodable state: replay instead
            meeting = None
    if not isinstance(meeting, Meeting):
        meeting = None
    try:
        for event in app.events.get(meeting_id, gt=None if meeting is None else meeting.version, lte=version):
            if event.originator_version != (1 if meeting is None else meeting.version + 1):
                raise ValueError(f"version {event.originator_version} follows {getattr(meeting, 'version', 0)}")
            meeting = event.mutate(meeting)
    except _UNREADABLE as error:
        # Stored events that do not decode, or do not follow on, were tampered with.
        raise StorageError(
            f"the stored events of meeting {meeting_id.hex} are damaged ({type(error).__name__}: {error});"
            " run 'meetings verify'"
        ) from None
    return meeting if isinstance(meeting, Meeting) else None


def newest_problem(app: Any, meeting_id: UUID) -> tuple[int, str] | None:
    """What is wrong with the meeting's newest snapshot, as (its version, why), or None when it is sound.

    A snapshot of eventsourcing's own class (taken before snapshots were sealed) is never
    loaded, so it is only a problem when it names another type than the meeting.
    """
    if app.snapshots is None:
        return None
    stored = app.snapshots.recorder.select_events(meeting_id, desc=True, limit=1)
    if not stored:
        return None
    version = stored[0].originator_version
    if stored[0].topic == get_topic(Snapshot) and _state_topic(stored[0].state) == MEETING_TOPIC:
        return None
    if stored[0].topic != SealedSnapshot.TOPIC:
        return version, f"its stored type is {stored[0].topic[:80]!r}, not the meeting snapshot (loads ignore it)"
    snapshot = trusted(app, meeting_id)
    if snapshot is None:
        kept = _state_topic(stored[0].state)
        if kept != MEETING_TOPIC:
            return version, f"it names the type {str(kept)[:80]!r}, not the meeting (loads ignore it)"
        return version, "it does not match the seal of the event it was taken at (loads ignore it)"
    replayed = load(app, meeting_id, version, replay=True)
    if replayed is None:
        return version, "its meeting has no events up to its version"
    expected = Snapshot.take(replayed).state
    return _state_difference(app, snapshot.state, expected, version)


def _state_topic(state: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(state).get("topic")
    except (ValueError, AttributeError):
        return None


def _state_difference(app: Any, stored: Any, expected: Any, version: int) -> tuple[int, str] | None:
    import orjson

    from ledger.difference import first_difference

    as_json = [orjson.loads(app.mapper.transcoder.encode(state)) for state in (stored, expected)]
    found = first_difference(*as_json)
    if found is None:
        return None
    return version, f"its state differs from its events at {found}"
