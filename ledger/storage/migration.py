"""`meetings migrate --encrypt-personal-data`: a new ledger holding an old one's events, personal data encrypted.

Each old event is decoded as the old ledger stores it and stored again through the new ledger's
sealing mapper (ledger/privacy.py), in the same order, stream and version, with the same
timestamp, actor and content; the new chain seals the new bytes. The new ledger's first event
(ledger/lineage.py) records the old ledger's head digest, so `verify --expect OLD_DIGEST` on the
new ledger ties it to the old history. The old ledger is only read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger import chain
from ledger.errors import RuleError
from ledger.lineage import Lineage
from ledger.storage.adapter import SIDE_TABLES, WriteConflict

BATCH = 500
CHANGE = "personal data encrypted"


def encrypt_personal_data(source: Any, destination: Any, progress: Callable[[int], None] | None = None) -> Any:
    """Write `source`'s events into the empty `destination`; return the source's verification."""
    if destination.recorder.max_notification_id():
        raise RuleError("the destination ledger already holds events; migrate only into an empty one")
    checked = chain.verify_ledger(source.recorder)
    if checked.broken is not None:
        raise RuleError(f"the ledger fails verify ({checked.broken.message}); nothing was migrated")
    destination.save(Lineage(from_digest=str(checked.head), from_events=checked.count, change=CHANGE))
    mapper, keyring = destination.mapper, destination.keyring
    after = chain.FIRST - 1
    while True:
        rows = source.recorder.select_sealed(after, BATCH)
        if not rows:
            break
        events = [
            source.mapper.to_domain_event(
                StoredEvent(originator_id=r.originator_id, originator_version=r.version, topic=r.topic, state=r.state)
            )
            for r in rows
        ]
        stored = [mapper.to_stored_event(e) for e in events]
        if not keyring.flush():
            raise WriteConflict  # only another writer on the new ledger could have made a key
        destination.recorder.insert_events(stored)
        after = rows[-1].position
        if progress is not None:
            progress(len(rows))
    # Feed tokens and credentials carry over; the old ledger's keys (of events it encrypted
    # already) do not: the new ledger encrypted everything under keys of its own.
    for table in SIDE_TABLES:
        if table.name != "person_keys":
            destination.storage.insert_side_rows(table, source.storage.side_rows(table))
    return checked
