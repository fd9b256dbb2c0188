"""Where a ledger comes from: the one event that starts a ledger written from another one.

`meetings migrate --encrypt-personal-data` writes a new ledger whose events carry the old
ones' content with their personal data encrypted. The new chain cannot be the old one (its
bytes differ), so its first event records the old ledger's head digest: `verify --expect
OLD_DIGEST` on the new ledger passes when that record is intact and the old history it
names is the one the new ledger carries.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from ledger.attributed import LedgerAggregate

LINEAGE_TOPIC = "meeting-ledger:Lineage"
LINEAGE_ID: UUID = uuid5(NAMESPACE_URL, "/lineage")


class Lineage(LedgerAggregate):
    """A one-event stream: the ledger this one was migrated from."""

    TOPIC = LINEAGE_TOPIC
    STREAM_ID = LINEAGE_ID

    @event("Migrated", topic=f"{LINEAGE_TOPIC}.Migrated")
    def __init__(self, from_digest: str, from_events: int, change: str) -> None:
        self.from_digest = from_digest
        self.from_events = from_events
        self.change = change
