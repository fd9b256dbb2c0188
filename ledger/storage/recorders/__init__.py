"""Event recorders that seal each event into the ledger's hash chain as it is stored.

One persistence module per backend (`ledger.storage.recorders.sqlite`, `ledger.storage.recorders.postgres`),
selected by PERSISTENCE_MODULE, so a SQLite user never imports psycopg.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent


def canonical(stored_events: Sequence[StoredEvent]) -> Sequence[StoredEvent]:
    """Events whose ids are UUIDs, so each is stored in the one spelling its seal and its stream's reads use.

    An id given as text in any other spelling is parsed (and refused if it is no UUID): the seal
    hashes the id's 16 bytes, so storing the text as given would let two spellings share a seal.
    """
    if all(isinstance(e.originator_id, UUID) for e in stored_events):
        return stored_events
    return [
        e if isinstance(e.originator_id, UUID) else dataclasses.replace(e, originator_id=UUID(str(e.originator_id)))
        for e in stored_events
    ]
