"""Tamper evidence: every stored event is chained to the one before it by a SHA-256 hash.

The chain runs over the whole ledger in position (notification) order, not per meeting:
one head digest then vouches for everything, so removing a meeting's whole stream, or
moving an event between streams, breaks it as surely as editing one byte.

Each event row carries a 64-byte seal in its `chain` column, written in the same
transaction as the event itself:

    content = sha256(position || meeting id || version || topic || state)
    link    = sha256(previous link || content)          (the first event follows 32 zero bytes)
    seal    = content || link

Keeping `content` beside `link` costs 32 bytes an event and lets `verify` say what
happened at the first break: an event whose bytes no longer match its own content hash
was altered (or moved), one whose link only fits if the event before it is skipped follows
an inserted event, and any other broken link follows a removed one. The seal lives in the
events table, so the chain travels with the events when the ledger is copied.

A hash chain proves the history is internally consistent; someone able to rewrite the
database can recompute every seal after their change. Recording the head digest
elsewhere (`meetings verify --head`) and checking it later (`--expect`) closes that gap.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from ledger.errors import BadInputError

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

GENESIS = bytes(32)
FIRST = -(2**63) + 1  # the lowest position either backend can store, bar one
SEAL_SIZE = 64
_DIGEST = re.compile(r"^(\d{1,19}):([0-9a-f]{64})$")


class StoredRow(NamedTuple):
    """An event row as stored: its position, stream, version, topic, state and seal.

    This module's value types are named tuples, not dataclasses: every write command
    imports the module, and making a dataclass costs milliseconds of start-up.
    """

    position: int
    originator_id: UUID | str
    version: int
    topic: str
    state: bytes
    seal: bytes | None


def _uuid_bytes(originator_id: UUID | str) -> bytes:
    # SQLite stores the id as 32 hex digits and PostgreSQL as a uuid: hash the same 16 bytes.
    return (originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))).bytes


def content_hash(position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one event's stored fields, each length-prefixed so no two events collide."""
    topic_bytes = topic.encode("utf-8")
    h = hashlib.sha256()
    h.update(position.to_bytes(8, "big", signed=True))
    h.update(_uuid_bytes(originator_id))
    h.update(version.to_bytes(8, "big", signed=True))
    h.update(len(topic_bytes).to_bytes(4, "big"))
    h.update(topic_bytes)
    h.update(len(state).to_bytes(8, "big"))
    h.update(state)
    return h.digest()


def link(previous: bytes, content: bytes) -> bytes:
    return hashlib.sha256(previous + content).digest()


def seal(previous: bytes, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The 64 bytes stored with an event: its content hash, then its link to `previous`."""
    content = content_hash(position, originator_id, version, topic, state)
    return content + link(previous, content)


def link_of(stored: bytes | memoryview | None) -> bytes:
    """The link part of a stored seal; a missing or mangled seal chains on from nothing."""
    if stored is None or len(stored) != SEAL_SIZE:
        return GENESIS
    return bytes(stored)[32:]


def seal_inserted(previous: bytes, positions: Sequence[int], events: Sequence[StoredEvent]) -> list[tuple[bytes, int]]:
    """(seal, position) for events just inserted at these positions, chained on from `previous`."""
    sealed = []
    for position, e in sorted(zip(positions, events, strict=True), key=lambda pair: pair[0]):
        stored = seal(previous, position, e.originator_id, e.originator_version, e.topic, e.state)
        previous = stored[32:]
        sealed.append((stored, position))
    return sealed


class Digest(NamedTuple):
    """A point in the history, written `<position>:<hex link>` so checking it needs one lookup."""

    position: int
    link: bytes

    def __str__(self) -> str:
        return f"{self.position}:{self.link.hex()}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        match = _DIGEST.match(text.strip().lower())
        if not match:
            raise BadInputError(
                f"{text!r} is not a ledger digest like 1234:<64 hex digits> (from 'meetings verify --head')"
            )
        return cls(int(match.group(1)), bytes.fromhex(match.group(2)))


EMPTY = Digest(0, GENESIS)


class Break(NamedTuple):
    """The first place the recomputed chain disagrees with what is stored."""

    position: int
    kind: str  # "altered", "inserted", "removed" or "unsealed"
    message: str


@dataclass(frozen=True)
class Verification:
    """What `verify` found: how many events were checked, the head, and the first break if any."""

    count: int
    head: Digest
    broken: Break | None = None
    # With an expected digest: "extends" when the recomputed history passes through it,
    # "differs" when its position now holds another history, "missing" when that position is gone.
    expected: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(rows: Iterable[StoredRow], expect: Digest | None = None) -> Verification:
    """Recompute the chain over rows in position order, stopping at the first break.

    Streams: only the last two links are kept, whatever the ledger's size.
    """
    count = 0
    before_previous = previous = GENESIS
    previous_position: int | None = None
    expected = None if expect is None else "extends" if expect == EMPTY else "missing"
    for row in rows:
        problem = _check(row, previous, before_previous, previous_position)
        if problem is not None:
            return Verification(count, Digest(previous_position or 0, previous), problem, expected)
        content = content_hash(row.position, row.originator_id, row.version, row.topic, row.state)
        current = link(previous, content)
        if expect is not None and row.position == expect.position:
            expected = "extends" if current == expect.link else "differs"
        before_previous, previous, previous_position = previous, current, row.position
        count += 1
    return Verification(count, Digest(previous_position or 0, previous), None, expected)


def _check(row: StoredRow, previous: bytes, before_previous: bytes, previous_position: int | None) -> Break | None:
    stored = bytes(row.seal) if row.seal is not None else None
    at = row.position
    if stored is None or len(stored) != SEAL_SIZE:
        return Break(at, "unsealed", f"event at position {at} has no chain seal: it was inserted outside the ledger")
    content = content_hash(at, row.originator_id, row.version, row.topic, row.state)
    if stored[:32] != content:
        return Break(
            at,
            "altered",
            f"event at position {at} was altered or moved: "
            "its stored content no longer matches the hash recorded with it",
        )
    if stored[32:] == link(previous, content):
        return None
    if previous_position is not None and stored[32:] == link(before_previous, content):
        return Break(
            previous_position,
            "inserted",
            f"event at position {previous_position} was inserted: "
            f"the event at position {at} was chained directly to the one before it",
        )
    after = f"after position {previous_position}" if previous_position is not None else "at the start"
    return Break(
        at,
        "removed",
        f"the chain breaks at position {at}: an event {after} was removed, or the history before it was rewritten",
    )


def stored_rows(recorder: Any, batch: int = 2_000) -> Iterator[StoredRow]:
    """Every event row in position order, read a batch at a time so memory stays flat."""
    after = FIRST - 1  # a forger may slip a row in before position 1
    while True:
        rows = recorder.select_sealed(after, batch)
        if not rows:
            return
        yield from rows
        after = rows[-1].position
