"""The registry of event kinds: every event the Meeting aggregate records, and the verb people read it by.

Kinds are taken from the aggregate's own event classes, so a new event is registered by being
defined; defining one without a verb here fails at import. Read models and the audit are held
against this registry by tests/test_kinds.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.meeting import TOPIC_PREFIX, Meeting

# Stored kinds as the verbs the audit shows and people filter by.
_ACTIONS = {
    "Scheduled": "created",
    "Edited": "edited",
    "Rescheduled": "rescheduled",
    "Cancelled": "cancelled",
    "Reinstated": "reinstated",
    "CapacityChanged": "capacity-changed",
    "SignedUp": "signed-up",
    "Withdrew": "withdrew",
    "AttendanceChanged": "attendance-changed",
    "Promoted": "promoted",
    "TopicProposed": "topic-proposed",
    "TopicRetitled": "topic-retitled",
    "TopicMoved": "topic-moved",
    "TopicWithdrawn": "topic-withdrawn",
    "NotesEdited": "notes-edited",
}


@dataclass(frozen=True)
class Kind:
    """One kind of stored event: its name ("SignedUp"), stored topic and audit verb."""

    name: str
    topic: str
    action: str


def _registered() -> dict[str, Kind]:
    kinds = {}
    for name, value in vars(Meeting).items():
        # Only the events declared with their own fixed topic: eventsourcing's `Created`
        # inherits the base class's topic, and the base class itself is never recorded.
        if isinstance(value, type) and issubclass(value, Meeting.Event) and value is not Meeting.Event:
            topic = getattr(value, "TOPIC", "")
            if topic == f"{TOPIC_PREFIX}.{name}":
                kinds[name] = Kind(name, topic, _ACTIONS[name])
    return kinds


KINDS: dict[str, Kind] = _registered()
ACTIONS: dict[str, str] = {name: kind.action for name, kind in KINDS.items()}
