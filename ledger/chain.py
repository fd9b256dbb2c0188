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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from ledger.errors import BadInputError

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

_sha256 = hashlib.sha256
GENESIS = bytes(32)
FIRST = -(2**63) + 1  # the lowest position either backend can store, bar one
SEAL_SIZE = 64
_DIGEST = re.compile(r"^(\d{1,19}):([0-9a-f]{64})$")
_CANONICAL_ID = re.compile(r"[0-9a-f]{32}")


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


def as_bytes(value: Any) -> Any:
    """A stored binary value as bytes; anything else (a forger's text or number) as it is, for `verify` to name."""
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def stored_row(position: Any, originator_id: Any, version: Any, topic: Any, state: Any, seal: Any) -> StoredRow:
    """A row as the database returned it, binary columns as bytes, nothing else converted."""
    if type(state) is not bytes or type(seal) is not bytes:
        state, seal = as_bytes(state), as_bytes(seal)
    return StoredRow(position, originator_id, version, topic, state, seal)


def canonical_id(originator_id: UUID | str) -> str:
    """A meeting id in the one spelling the ledger stores and queries on SQLite: 32 lower-case hex digits."""
    return originator_id.hex if isinstance(originator_id, UUID) else UUID(str(originator_id)).hex


def _type_problem(row: StoredRow) -> str | None:
    """How a row's stored values differ in type or spelling from what the ledger writes, if they do.

    The seal hashes values, not their stored form: a meeting id re-spelled in upper case or with
    dashes, or a state re-typed as text, hashes the same but is read differently (or not at all).
    """
    seal, meeting = row.seal, row.originator_id
    if (  # the ledger's own types, checked first and fast: verify asks this of every row
        type(row.version) is int
        and type(row.topic) is str
        and type(row.state) is bytes
        and (seal is None or type(seal) is bytes)
        and (type(meeting) is UUID or (type(meeting) is str and _CANONICAL_ID.fullmatch(meeting)))
    ):
        return None
    if not isinstance(row.originator_id, UUID) and not (
        isinstance(row.originator_id, str) and _CANONICAL_ID.fullmatch(row.originator_id)
    ):
        return f"its meeting id is stored as {str(row.originator_id)[:40]!r}, not in the ledger's own spelling"
    expected = (("version", row.version, int), ("topic", row.topic, str), ("state", row.state, bytes))
    for name, value, kind in expected:
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"its {name} is stored as {type(value).__name__}, not {kind.__name__}"
    if row.seal is not None and not isinstance(row.seal, bytes):
        return f"its seal is stored as {type(row.seal).__name__}, not bytes"
    return None


def _uuid_bytes(originator_id: UUID | str) -> bytes:
    # SQLite stores the id as 32 hex digits and PostgreSQL as a uuid: hash the same 16 bytes.
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    if isinstance(originator_id, str) and len(originator_id) == 32:
        # 32 characters giving 16 bytes are 32 hex digits (fromhex skips spaces): what UUID() reads, sooner.
        try:
            parsed = bytes.fromhex(originator_id)
        except ValueError:
            parsed = b""
        if len(parsed) == 16:
            return parsed
    return UUID(str(originator_id)).bytes


def content_hash(position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one event's stored fields, each length-prefixed so no two events collide."""
    topic_bytes = topic.encode("utf-8")
    # One buffer, one call: the same bytes as hashing each field in turn, at a fraction of the calls.
    return hashlib.sha256(
        b"".join(
            (
                position.to_bytes(8, "big", signed=True),
                _uuid_bytes(originator_id),
                version.to_bytes(8, "big", signed=True),
                len(topic_bytes).to_bytes(4, "big"),
                topic_bytes,
                len(state).to_bytes(8, "big"),
                state,
            )
        )
    ).digest()


def link(previous: bytes, content: bytes) -> bytes:
    return hashlib.sha256(previous + content).digest()


def seal(previous: bytes, position: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The 64 bytes stored with an event: its content hash, then its link to `previous`."""
    content = content_hash(position, originator_id, version, topic, state)
    return content + link(previous, content)


def link_of(stored: bytes | memoryview | None) -> bytes:
    """The link part of a stored seal; a missing or mangled seal chains on from nothing."""
    if not isinstance(stored, bytes | memoryview) or len(stored) != SEAL_SIZE:
        return GENESIS
    return bytes(stored)[32:]


def seal_appended(previous: bytes, positions: Sequence[int], events: Sequence[StoredEvent]) -> list[StoredRow]:
    """The rows of events about to be appended at these ascending positions, each sealed to the one before.

    One pass builds everything an insert stores, so an append is a single INSERT of whole rows
    (no second statement to fill the seals in), and `previous` is the link of the last row stored.
    """
    rows = []
    for position, e in zip(positions, events, strict=True):
        content = content_hash(position, e.originator_id, e.originator_version, e.topic, e.state)
        previous = link(previous, content)
        rows.append(StoredRow(position, e.originator_id, e.originator_version, e.topic, e.state, content + previous))
    return rows


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
    meeting_id: str | None = None  # the stream of the event named, as 32 hex digits


class Verification:
    """What `verify` found: how many events were checked, the head, and the first break if any.

    A plain class (not a named tuple: it has a `count`), compared and shown as a frozen dataclass would be.
    """

    __slots__ = ("broken", "count", "expected", "head")

    def __init__(self, count: int, head: Digest, broken: Break | None = None, expected: str | None = None) -> None:
        self.count = count
        self.head = head
        self.broken = broken
        # With an expected digest: "extends" when the recomputed history passes through it,
        # "differs" when its position now holds another history, "missing" when that position is gone.
        self.expected = expected

    def _fields(self) -> tuple[Any, ...]:
        return (self.count, self.head, self.broken, self.expected)

    def __eq__(self, other: object) -> bool:
        return type(other) is Verification and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Verification(count={self.count!r}, head={self.head!r}, broken={self.broken!r},"
            f" expected={self.expected!r})"
        )

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
    previous_id: Any = None
    expected = None if expect is None else "extends" if expect == EMPTY else "missing"
    for row in rows:
        problem, current = _check(row, previous, before_previous, previous_position)
        if problem is not None:
            named = previous_id if problem.kind == "inserted" else row.originator_id
            problem = problem._replace(meeting_id=_id_text(named))
            return Verification(count, Digest(previous_position or 0, previous), problem, expected)
        if expect is not None and row.position == expect.position:
            expected = "extends" if current == expect.link else "differs"
        before_previous, previous, previous_position, previous_id = previous, current, row.position, row.originator_id
        count += 1
    return Verification(count, Digest(previous_position or 0, previous), None, expected)


def verify_ledger(
    recorder: Any, expect: Digest | None = None, progress: Callable[[int], Any] | None = None
) -> Verification:
    """`verify` over every stored row, after checking that the events table still has its column types.

    A column re-typed by ALTER TABLE changes every event's stored form at once (and can make the
    rows unreadable), so it is reported at the first event rather than as a database error.
    """
    retyped = recorder.schema_problem()
    if retyped is not None:
        first, problem = retyped
        return Verification(0, EMPTY, Break(first, "altered", f"event at position {first} was altered: {problem}"))
    rows = stored_rows(recorder)
    if progress is not None:
        rows = _counted(rows, progress)
    return verify(rows, expect)


def _counted(rows: Iterable[StoredRow], progress: Callable[[int], Any]) -> Iterator[StoredRow]:
    """The rows as they are, telling `progress` every 500 (a progress bar on a terminal)."""
    count = 0
    for row in rows:
        yield row
        count += 1
        if count % 500 == 0:
            progress(500)
    progress(count % 500)


def _id_text(originator_id: Any) -> str | None:
    try:
        return canonical_id(originator_id)
    except (TypeError, ValueError):
        return None


def _check(
    row: StoredRow, previous: bytes, before_previous: bytes, previous_position: int | None
) -> tuple[Break | None, bytes]:
    """The row's break, if any, and its recomputed link (which the next row must chain on from)."""
    at = row.position
    retyped = _type_problem(row)
    if retyped is not None:
        return Break(at, "altered", f"event at position {at} was altered: {retyped}"), previous
    stored = row.seal
    if stored is None or len(stored) != SEAL_SIZE:
        broken = f"event at position {at} has no chain seal: it was inserted outside the ledger"
        return Break(at, "unsealed", broken), previous
    # content_hash and link, written out: the row's types are the ledger's own (checked above), and
    # verify spends most of its time here.
    meeting, topic, state = row.originator_id, row.topic.encode("utf-8"), row.state
    content = _sha256(
        b"".join(
            (
                at.to_bytes(8, "big", signed=True),
                meeting.bytes if isinstance(meeting, UUID) else bytes.fromhex(meeting),
                row.version.to_bytes(8, "big", signed=True),
                len(topic).to_bytes(4, "big"),
                topic,
                len(state).to_bytes(8, "big"),
                state,
            )
        )
    ).digest()
    current = _sha256(previous + content).digest()
    if stored == content + current:
        return None, current
    return _broken(row, stored, content, current, before_previous, previous_position), current


def _broken(
    row: StoredRow, stored: bytes, content: bytes, current: bytes, before_previous: bytes, previous_position: int | None
) -> Break | None:
    at = row.position
    if stored[:32] != content:
        return Break(
            at,
            "altered",
            f"event at position {at} was altered or moved: "
            "its stored content no longer matches the hash recorded with it",
        )
    if stored[32:] == current:
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
