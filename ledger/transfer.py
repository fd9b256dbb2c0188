"""Moving a whole ledger to another database (SQLite to PostgreSQL or back), event for event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger import chain
from ledger.errors import RuleError
from ledger.storage.adapter import SIDE_TABLES

COPY_BATCH = 1_000


def copy_events(source: Any, destination: Any, progress: Callable[[int], None] | None = None) -> int:
    """Store every event row of `source` in the empty `destination`, at the same position, with its seal.

    The stored bytes are copied as they are (no decode and re-encode), and positions are kept
    (PostgreSQL's may have gaps), so the copy's hash chain and head digest are the source's own.
    Side tables (feed tokens and the like) follow the events. Snapshots and read models are
    not copied: they are caches that the destination rebuilds from the events.
    """
    if destination.recorder.max_notification_id():
        raise RuleError("the destination ledger already holds events; copy only into an empty one")
    copied = 0
    after = chain.FIRST - 1  # rows before position 1 are copied too: the copy is the source, as it is
    while True:
        batch = source.recorder.select_sealed(after, COPY_BATCH)
        if not batch:
            break
        destination.storage.insert_sealed(batch)
        copied += len(batch)
        after = batch[-1].position
        if progress is not None:
            progress(len(batch))
    for table in SIDE_TABLES:
        destination.storage.insert_side_rows(table, source.storage.side_rows(table))
    return copied
