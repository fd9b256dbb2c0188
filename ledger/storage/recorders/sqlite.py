"""SQLite: eventsourcing's recorder, each row stored with its `chain` seal by the one INSERT.

Triggers make the table append-only: every DELETE is refused, and the one UPDATE they let
through writes a seal into an empty `chain` column (how ledgers of earlier versions sealed
their events, in a second statement after the insert).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing import sqlite
from eventsourcing.persistence import DataError, OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnection, SQLiteCursor, SQLiteTransaction

from ledger import chain
from ledger.storage.recorders import canonical
from ledger.storage.sqlite_rows import insert_statement, last_statement, sealed_rows

APPEND_ONLY = "stored events are append-only"


class _Appending(SQLiteTransaction):
    """eventsourcing's transaction (its error translation, commit and rollback), begun IMMEDIATE.

    An append reads the last row before it writes, so it takes the write lock first: a deferred
    transaction would read, then find another writer's newer rows and fail at its first write.
    """

    def __init__(self, connection: SQLiteConnection) -> None:
        super().__init__(connection, commit=True)

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:  # "database is locked" after the busy timeout
            raise OperationalError(error) from error
        return cursor


class SealedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Stores events as eventsourcing does, plus each event's seal in the `chain` column."""

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        t = self.events_table_name
        # Whole rows: position, stream, version, topic, state and seal in one INSERT.
        self.insert_events_statement = insert_statement(t)
        self._select_last = last_statement(t)

    def construct_create_table_statements(self) -> list[str]:
        t = self.events_table_name
        return [
            f"CREATE TABLE IF NOT EXISTS {t} ("
            "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, chain BLOB, "
            "PRIMARY KEY (originator_id, originator_version))",
            # Run on every open, so a ledger made before the triggers existed gets them too.
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t}"
            " WHEN NOT (OLD.chain IS NULL AND NEW.chain IS NOT NULL AND NEW.rowid = OLD.rowid"
            " AND NEW.originator_id IS OLD.originator_id AND NEW.originator_version IS OLD.originator_version"
            " AND NEW.topic IS OLD.topic AND NEW.state IS OLD.state)"
            f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: UPDATE refused'); END",
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t}"
            f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: DELETE refused'); END",
        ]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self.datastore.get_connection(commit=True) as connection, _Appending(connection) as c:
            return self._insert_events(c, stored_events, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Append a batch in one pass: positions and seals are computed here, then one executemany.

        The transaction holds SQLite's write lock from its start (BEGIN IMMEDIATE), so the last
        row read here stays the last until the batch commits: the positions are the ones SQLite
        would have given (the next rowids) and each seal chains on from the row before it.
        """
        stored_events = canonical(stored_events)
        if not stored_events:
            return []
        c.execute(self._select_last)
        sealed = sealed_rows(c.fetchone(), stored_events)
        if sealed is None:
            raise DataError("the events table has no position left; run 'meetings verify'")
        positions, rows = sealed
        c.executemany(self.insert_events_statement, rows)
        return list(positions)

    def insert_sealed(self, rows: Sequence[chain.StoredRow]) -> None:
        """Store rows exactly as given, positions and seals included (copying a ledger)."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {self.events_table_name}"
                " (rowid, originator_id, originator_version, topic, state, chain) VALUES (?,?,?,?,?,?)",
                [(r.position, _as_stored(r.originator_id), r.version, r.topic, r.state, r.seal) for r in rows],
            )

    def select_states(self, originator_id: Any, topic: str, up_to_version: int, cursor: Any = None) -> Iterator[bytes]:
        """One stream's stored states of one topic, newest first (only those rows are read), in the
        transaction of `cursor` when one is given."""
        with contextlib.nullcontext(cursor) if cursor is not None else self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT state FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version <= ? AND topic = ? ORDER BY originator_version DESC",
                (originator_id.hex, up_to_version, topic),
            )
            rows = c.fetchall()
        return (bytes(r["state"]) for r in rows)

    def select_seal(self, originator_id: Any, version: int) -> bytes | None:
        """The seal stored with one event of a stream (a snapshot records the one it was taken at)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT chain FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return chain.as_bytes(row["chain"]) if row else None

    def select_sealed(self, after: int, limit: int) -> list[chain.StoredRow]:
        """Rows after a position, in position order, with their seals, as stored (for verification)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state, chain"
                f" FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            # sqlite3 returns a BLOB as bytes, never a memoryview: the rows are stored rows as they are.
            return [chain.StoredRow._make(r) for r in c.fetchall()]

    def schema_problem(self) -> tuple[int, str] | None:
        """SQLite keeps each value's own type, which `chain.verify` checks row by row."""
        return None


def _as_stored(originator_id: Any) -> Any:
    # A copied id keeps its stored spelling: a copy must not mend (or hide) what `verify` found.
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


# The module, not the class, is imported: eventsourcing picks the one factory class defined here.
class SealedSQLiteFactory(sqlite.SQLiteFactory):
    """eventsourcing's SQLite infrastructure with the sealing application recorder."""

    application_recorder_class = SealedSQLiteApplicationRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # Every connection deletes with secure_delete: the pages a deleted or rewritten row
        # leaves (a destroyed person key, an old snapshot or read-model document holding an
        # erased person's name) are zeroed rather than left readable in the file's free list.
        pool = self.datastore.pool
        create = pool._create_connection

        def create_secure() -> Any:
            connection = create()
            connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
            return connection

        pool._create_connection = create_secure  # type: ignore[method-assign]


Factory = SealedSQLiteFactory
