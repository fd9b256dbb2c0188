"""Which stream holds what: a meeting's id from its slug, the directory's id, and how often a meeting is snapshotted.

Plain values, apart from the aggregates, so that the light sign-up (`ledger/quick_write.py`)
finds the same streams without importing eventsourcing.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

DIRECTORY_ID: UUID = uuid5(NAMESPACE_URL, "/directory")
SNAPSHOT_INTERVAL = 10  # a load replays at most 9 events after the newest snapshot


def meeting_id(slug: str) -> UUID:
    """Slugs are unique because the id is derived from them: a second create collides."""
    return uuid5(NAMESPACE_URL, f"/meetings/{slug}")
