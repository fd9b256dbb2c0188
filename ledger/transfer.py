"""Moving a whole ledger to another database (SQLite to PostgreSQL or back), event for event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.errors import RuleError

COPY_BATCH = 1_000


def copy_events(source: Any, destination: Any, progress: Callable[[int], None] | None = None) -> int:
    """Append every stored event of `source` to the empty `destination`, in global order.

    The stored bytes are copied as they are (no decode and re-encode), so the events, their
    recorded actors and times, and anything derived from the bytes stay identical. Snapshots
    are not copied: they are caches that the destination takes again as it needs them.
    """
    if destination.recorder.max_notification_id():
        raise RuleError("the destination ledger already holds events; copy only into an empty one")
    copied = 0
    start = 1
    while True:
        batch = source.recorder.select_notifications(start=start, limit=COPY_BATCH)
        if not batch:
            return copied
        destination.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=n.originator_id,
                    originator_version=n.originator_version,
                    topic=n.topic,
                    state=n.state,
                )
                for n in batch
            ]
        )
        copied += len(batch)
        start = batch[-1].id + 1
        if progress is not None:
            progress(len(batch))
