"""Stored events as read models see them: plain JSON, decoded without building domain objects.

Read models fold what the domain recorded (who was seated, who was promoted), so they
never re-run a rule; decoding the stored JSON directly keeps rebuilds fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from ledger.meeting import TOPIC_PREFIX

_PREFIX = TOPIC_PREFIX + "."


@dataclass(frozen=True)
class LedgerEvent:
    """One stored event: its global position, meeting stream, kind and recorded fields."""

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


def decode(position: int, originator_id: Any, version: int, topic: str, state: bytes | memoryview) -> LedgerEvent:
    meeting_id = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    kind = topic[len(_PREFIX) :] if topic.startswith(_PREFIX) else topic
    return LedgerEvent(position, meeting_id, version, kind, orjson.loads(state))
