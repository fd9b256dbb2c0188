"""Stored events as read models see them: plain JSON, decoded without building domain objects.

Read models fold what the domain recorded (who was seated, who was promoted), so they
never re-run a rule; decoding the stored JSON directly keeps rebuilds fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from ledger import text
from ledger.chain import FIRST
from ledger.meeting import TOPIC_PREFIX, Meeting
from ledger.privacy import reveal, reveal_all

_PREFIX = TOPIC_PREFIX + "."
_LEDGER = "meeting-ledger:"


class LedgerEvent(NamedTuple):
    """One stored event: its global position, meeting stream, kind and recorded fields.

    A named tuple rather than a frozen dataclass: a rebuild makes one per stored event, and
    a tuple is built several times faster.
    """

    position: int
    meeting_id: str  # UUID hex
    version: int
    kind: str  # "SignedUp", "Promoted", ...
    data: dict[str, Any]

    @property
    def timestamp(self) -> str:
        """UTC ISO 8601 time the event was recorded."""
        stamp = self.data["timestamp"]
        return stamp["_data_"] if isinstance(stamp, dict) else str(stamp)

    @property
    def actor(self) -> str:
        return str(self.data.get("actor", ""))


def decode(
    position: int, originator_id: Any, version: int, topic: str, state: bytes | memoryview, keyring: Any = None
) -> LedgerEvent:
    """One stored row as an event, its personal data decrypted with `keyring` (ledger/privacy.py)."""
    return LedgerEvent(
        position, _meeting_id(originator_id), version, kind_of(topic), reveal(orjson.loads(state), keyring)
    )


def _meeting_id(originator_id: Any) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "").lower()


def kind_of(topic: str) -> str:
    """A stored topic's event name: "meeting-ledger:Meeting.SignedUp" -> "SignedUp" (any aggregate)."""
    if topic.startswith(_PREFIX):
        return topic[len(_PREFIX) :]
    if topic.startswith(_LEDGER):
        return topic.rpartition(".")[2]
    return topic


def decode_rows(rows: list[Any], keyring: Any = None) -> list[LedgerEvent]:
    """`decode` over rows with position, originator_id, originator_version, topic and state.

    The same as calling `decode` per row, inlined: a rebuild decodes every stored event.
    """
    if not rows:
        return []
    loads, cut, new = orjson.loads, len(_PREFIX), LedgerEvent
    states = reveal_all([loads(r["state"]) for r in rows], keyring)  # one key query per batch
    if isinstance(rows[0]["originator_id"], str) and all(r["topic"].startswith(_PREFIX) for r in rows):
        return [
            new(
                r["position"],
                r["originator_id"].replace("-", "").lower(),
                r["originator_version"],
                r["topic"][cut:],
                state,
            )
            for r, state in zip(rows, states, strict=True)
        ]
    return [
        LedgerEvent(r["position"], _meeting_id(r["originator_id"]), r["originator_version"], kind_of(r["topic"]), state)
        for r, state in zip(rows, states, strict=True)
    ]


STREAM_BATCH = 1_000


def stream_id(slug: str) -> str:
    """The id of a meeting's event stream, as `stream_events` takes it (refuses a malformed slug)."""
    return str(Meeting.create_id(text.slug(slug)).hex)


def stream_events(app: Any, meeting_id: str | None = None, batch: int = STREAM_BATCH) -> Iterator[LedgerEvent]:
    """Events in position order, a batch per short read; one meeting's by its stream's index.

    Memory stays flat however long the ledger is: the audit writes each batch out as it reads.
    """
    storage, keyring = app.storage, app.keyring
    after = FIRST - 1 if meeting_id is None else -1  # a forger may slip a row in before position 1
    while True:
        if meeting_id is None:
            rows = storage.batches(lambda cursor, after=after: storage.select_events(cursor, after, batch))
        else:
            rows = storage.batches(lambda cursor, after=after: storage.select_stream(cursor, meeting_id, after, batch))
        if not rows:
            return
        yield from decode_rows(rows, keyring)
        after = rows[-1]["position"] if meeting_id is None else rows[-1]["originator_version"]
