"""The SQL of a SQLite append, shared by the sealing recorder and the light sign-up (ledger/quick_write.py).

No eventsourcing here: the light sign-up stores exactly the row the recorder stores, through this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger import chain

MAX_ROWID = 2**63 - 1


def insert_statement(table: str) -> str:
    """Whole rows: position, stream, version, topic, state and seal in one INSERT."""
    return f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state, chain) VALUES (?,?,?,?,?,?)"


def last_statement(table: str) -> str:
    return f"SELECT rowid, chain FROM {table} ORDER BY rowid DESC LIMIT 1"


def sealed_rows(last: Any, stored_events: Sequence[Any]) -> tuple[range, list[tuple[Any, ...]]] | None:
    """The positions and the parameters of the rows appending these events after `last` (the row
    `last_statement` read, or None), each sealed to the one before; None when no position is left."""
    after = int(last["rowid"]) if last else 0
    if after + len(stored_events) > MAX_ROWID:
        return None
    positions = range(after + 1, after + 1 + len(stored_events))
    rows = chain.seal_appended(chain.link_of(last["chain"] if last else None), positions, stored_events)
    return positions, [(r.position, r.originator_id.hex, r.version, r.topic, r.state, r.seal) for r in rows]  # type: ignore[union-attr]
