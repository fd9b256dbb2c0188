"""SQLite: eventsourcing's recorder, with a `chain` column sealed in the insert's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing import sqlite
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from ledger import chain


class SealedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Stores events as eventsourcing does, plus each event's seal in the `chain` column."""

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        # The table now has five columns, so the insert names the four it fills.
        self.insert_events_statement = (
            f"INSERT INTO {self.events_table_name} (originator_id, originator_version, topic, state) VALUES (?,?,?,?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
            "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, chain BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The first INSERT took SQLite's write lock, so no other writer can slip an event in
        # between reading the previous seal and writing ours.
        positions = super()._insert_events(c, stored_events, **kwargs)
        if not positions:
            return positions
        c.execute(
            f"SELECT chain FROM {self.events_table_name} WHERE rowid < ? ORDER BY rowid DESC LIMIT 1",
            (min(positions),),
        )
        row = c.fetchone()
        previous = chain.link_of(row["chain"] if row else None)
        sealed = chain.seal_inserted(previous, positions, stored_events)
        c.executemany(f"UPDATE {self.events_table_name} SET chain = ? WHERE rowid = ?", sealed)
        return positions

    def select_states(self, originator_id: Any, topic: str, up_to_version: int) -> Iterator[bytes]:
        """One stream's stored states of one topic, newest first (only those rows are read)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT state FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version <= ? AND topic = ? ORDER BY originator_version DESC",
                (originator_id.hex, up_to_version, topic),
            )
            rows = c.fetchall()
        return (bytes(r["state"]) for r in rows)

    def select_sealed(self, after: int, limit: int) -> list[chain.StoredRow]:
        """Rows after a position, in position order, with their seals (for verification)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state, chain"
                f" FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [
                chain.StoredRow(
                    r["rowid"], r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]), r["chain"]
                )
                for r in c.fetchall()
            ]


# The module, not the class, is imported: eventsourcing picks the one factory class defined here.
class SealedSQLiteFactory(sqlite.SQLiteFactory):
    """eventsourcing's SQLite infrastructure with the sealing application recorder."""

    application_recorder_class = SealedSQLiteApplicationRecorder


Factory = SealedSQLiteFactory
