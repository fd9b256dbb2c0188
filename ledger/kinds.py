"""The registry of event kinds: every event the Meeting, Series and Directory aggregates record, and its verb.

Kinds are taken from the aggregate's own event classes, so a new event is registered by being
defined; defining one without a verb here fails at import. Read models and the audit are held
against this registry by tests/test_kinds.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.accounts import DIRECTORY_TOPIC, Directory
from ledger.lineage import LINEAGE_TOPIC, Lineage
from ledger.meeting import TOPIC_PREFIX, Meeting
from ledger.series import SERIES_TOPIC, Series

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
    "EmailChanged": "email-changed",
    "TopicProposed": "topic-proposed",
    "TopicRetitled": "topic-retitled",
    "TopicMoved": "topic-moved",
    "TopicWithdrawn": "topic-withdrawn",
    "NotesEdited": "notes-edited",
    "OrganizerAdded": "organizer-added",
    "OrganizerRemoved": "organizer-removed",
    # Series: the rule and its exceptions (each occurrence's own events are the meeting kinds above).
    "SeriesScheduled": "series-created",
    "SeriesEdited": "series-edited",
    "SeriesEnded": "series-ended",
    "SeriesSplit": "series-split",
    "OccurrenceCancelled": "occurrence-cancelled",
    "OccurrenceMoved": "occurrence-moved",
    "OccurrenceChanged": "occurrence-changed",
    "SeriesOrganizerAdded": "series-organizer-added",
    "SeriesOrganizerRemoved": "series-organizer-removed",
    # The directory of accounts (one stream per ledger).
    "Opened": "directory-opened",
    "AccountAdded": "account-added",
    "AccountRevoked": "account-revoked",
    "AdminGranted": "admin-granted",
    "AdminRevoked": "admin-revoked",
    "Muted": "muted",
    "Unmuted": "unmuted",
    "PersonErased": "erased",
    # The first event of a ledger written by `meetings migrate` (its own one-event stream).
    "Migrated": "migrated",
}


@dataclass(frozen=True)
class Kind:
    """One kind of stored event: its name ("SignedUp"), stored topic and audit verb."""

    name: str
    topic: str
    action: str


def _registered() -> dict[str, Kind]:
    kinds = {}
    aggregates: tuple[tuple[Any, str], ...] = (
        (Meeting, TOPIC_PREFIX),
        (Series, SERIES_TOPIC),
        (Directory, DIRECTORY_TOPIC),
        (Lineage, LINEAGE_TOPIC),
    )
    for aggregate, prefix in aggregates:
        for name, value in vars(aggregate).items():
            # Only the events declared with their own fixed topic: eventsourcing's `Created`
            # inherits the base class's topic, and the base class itself is never recorded.
            if isinstance(value, type) and issubclass(value, aggregate.Event) and value is not aggregate.Event:
                topic = getattr(value, "TOPIC", "")
                if topic == f"{prefix}.{name}":
                    kinds[name] = Kind(name, topic, _ACTIONS[name])
    return kinds


KINDS: dict[str, Kind] = _registered()
ACTIONS: dict[str, str] = {name: kind.action for name, kind in KINDS.items()}


def recorded_by(aggregate_topic: str) -> frozenset[str]:
    """The kinds one aggregate records, by its stored topic (`SERIES_TOPIC`: every series event)."""
    return frozenset(name for name, kind in KINDS.items() if kind.topic.startswith(aggregate_topic + "."))
