"""What the light sign-up (ledger/quick_write.py) reads and writes, in plain `sqlite3`: no eventsourcing.

It reads a SQLite ledger that already holds the tables, triggers and key table a full open
would make (else it is not used), and appends through the recorder's own SQL
(`ledger/storage/sqlite_rows.py`). `QuickLedger.usable` says whether it may be used at all.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

from ledger.storage.sqlite_rows import insert_statement, last_statement, sealed_rows

EVENTS = "stored_events"
SNAPSHOTS = "stored_snapshots"
# What a full open makes, and a light write needs to find there already.
_NEEDED = frozenset({EVENTS, SNAPSHOTS, f"{EVENTS}_no_update", f"{EVENTS}_no_delete", "person_keys"})


class Row(NamedTuple):
    """A stored event as `chain.seal_appended` takes it."""

    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class Conflict(Exception):
    """The write did not happen: `raced` when another writer appended (or keyed the person) first, so
    that a fresh read may succeed; else (a lock held past the timeout) the full path is to take over."""

    def __init__(self, message: str, *, raced: bool = False) -> None:
        super().__init__(message)
        self.raced = raced


class QuickLedger:
    """One connection to a SQLite ledger file, for one light write."""

    def __init__(self, path: str, lock_timeout: float) -> None:
        self.connection = sqlite3.connect(path, timeout=lock_timeout, isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA secure_delete = ON")  # as every connection of the recorder
        if self.connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self.connection.execute("PRAGMA journal_mode = WAL")  # as eventsourcing's connections

    @staticmethod
    def usable(path: str) -> bool:
        """An existing ledger file this process may write (a new, read-only or foreign one: the full path)."""
        return (
            os.path.isfile(path)
            and os.access(path, os.W_OK)
            and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
            and (not hasattr(os, "geteuid") or os.stat(path).st_uid == os.geteuid())
        )

    def ready(self) -> bool:
        found = self.connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        names = {r[0] for r in found}
        return _NEEDED <= names

    def close(self) -> None:
        self.connection.close()

    # ----- reading ---------------------------------------------------------------------------

    def begin_read(self) -> None:
        self.connection.execute("BEGIN")

    def end_read(self) -> None:
        self.connection.execute("COMMIT")

    def has_stream(self, stream: UUID) -> bool:
        row = self.connection.execute(
            f"SELECT 1 FROM {EVENTS} WHERE originator_id = ? LIMIT 1", (stream.hex,)
        ).fetchone()
        return row is not None

    def newest_snapshot(self, stream: UUID) -> tuple[int, str, bytes] | None:
        row = self.connection.execute(
            f"SELECT originator_version, topic, state FROM {SNAPSHOTS} WHERE originator_id = ?"
            " ORDER BY originator_version DESC LIMIT 1",
            (stream.hex,),
        ).fetchone()
        return None if row is None else (row[0], row[1], bytes(row[2]))

    def seal(self, stream: UUID, version: int) -> Any:
        row = self.connection.execute(
            f"SELECT chain FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?", (stream.hex, version)
        ).fetchone()
        return None if row is None else row[0]

    def events_after(self, stream: UUID, version: int) -> list[tuple[int, str, bytes]]:
        rows = self.connection.execute(
            f"SELECT originator_version, topic, state FROM {EVENTS}"
            " WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version",
            (stream.hex, version),
        ).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def state_at(self, stream: UUID, version: int) -> bytes | None:
        row = self.connection.execute(
            f"SELECT state FROM {EVENTS} WHERE originator_id = ? AND originator_version = ?", (stream.hex, version)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def first_state(self) -> bytes | None:
        row = self.connection.execute(f"SELECT state FROM {EVENTS} ORDER BY rowid LIMIT 1").fetchone()
        return None if row is None else bytes(row[0])

    # ----- person keys (the table ledger/storage/keys.py keeps: the same rows, the same SQL) ----------

    def secrets(self, key_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(key_ids), 500):
            chunk = list(key_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            rows = self.connection.execute(
                f"SELECT key_id, secret FROM person_keys WHERE key_id IN ({marks})", chunk
            ).fetchall()
            found.update((r["key_id"], r["secret"]) for r in rows)
        return found

    def by_lookup(self, lookups: Sequence[str]) -> dict[str, tuple[str, str]]:
        if not lookups:
            return {}
        marks = ", ".join("?" * len(lookups))
        rows = self.connection.execute(
            f"SELECT key_id, lookup, secret FROM person_keys WHERE lookup IN ({marks})", tuple(lookups)
        ).fetchall()
        return {r["lookup"]: (r["key_id"], r["secret"]) for r in rows}

    def add(self, rows: Sequence[tuple[str, str, str, str]]) -> dict[str, tuple[str, str]]:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.executemany(
                "INSERT INTO person_keys (key_id, lookup, secret, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (lookup) DO NOTHING",
                rows,
            )
            self.connection.execute("COMMIT")
        except sqlite3.Error as error:
            self._rollback()
            raise Conflict(str(error)) from None
        return self.by_lookup([r[1] for r in rows])

    # ----- writing ---------------------------------------------------------------------------

    def append(self, rows: Sequence[Row]) -> int:
        """Append events as the recorder does (BEGIN IMMEDIATE, the last row, one sealed INSERT); the last position.

        Raises Conflict, having written nothing, when another writer took the version or holds the lock.
        """
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            sealed = sealed_rows(self.connection.execute(last_statement(EVENTS)).fetchone(), rows)
            if sealed is None:
                raise Conflict("no position left")
            positions, params = sealed
            self.connection.executemany(insert_statement(EVENTS), params)
            self.connection.execute("COMMIT")
        except (sqlite3.Error, Conflict) as error:
            self._rollback()
            raise Conflict(str(error), raced=isinstance(error, sqlite3.IntegrityError)) from None
        return positions[-1]

    def _rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
