"""The SQL of crypto-shredding: the person_keys side table, and what an erasure deletes beside it.

Only this module (and the adapter) knows these tables; `ledger/privacy.py` holds the keys in
memory and does the cryptography.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ledger.storage.adapter import FEED_TOKENS, PERSON_KEYS, Storage


class KeyTable:
    """Rows of `person_keys`: (key_id, lookup, secret as hex, created_at)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._ready = False
        self._missing_in: Any = None  # the read transaction in which the table was found missing

    def _cursor(self, cursor: Any) -> Any:
        if not self._ready:
            self.storage.ensure_side_table(cursor, PERSON_KEYS)
            self._ready = True
        return cursor

    def _exists(self) -> bool:
        # Reads run inside other transactions (a read model's catch-up holds the writer), so
        # they never create the table: a ledger without it simply holds no keys yet.
        if not self._ready:
            # A table found missing stays missing for the rest of that read transaction (a
            # batch of events being sealed asks once per new person): keys another process
            # stores meanwhile are found by `add`, which keeps theirs.
            cursor = self.storage.active.get()
            if cursor is not None and cursor is self._missing_in:
                return False
            self._ready = self.storage.has_table(PERSON_KEYS)
            self._missing_in = None if self._ready else cursor
        return self._ready

    def all(self) -> dict[str, str]:
        """key_id -> secret (hex) of every key the ledger holds."""
        if not self._exists():
            return {}
        with self.storage.reading() as cursor:
            cursor.execute(self.storage.sql("SELECT key_id, secret FROM {p}person_keys"))
            return {r["key_id"]: r["secret"] for r in cursor.fetchall()}

    def secrets(self, key_ids: Sequence[str]) -> dict[str, str]:
        """key_id -> secret (hex) of those of the keys the ledger still holds."""
        if not key_ids or not self._exists():
            return {}
        found: dict[str, str] = {}
        with self.storage.reading() as cursor:
            for start in range(0, len(key_ids), 500):
                chunk = key_ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                cursor.execute(
                    self.storage.sql(f"SELECT key_id, secret FROM {{p}}person_keys WHERE key_id IN ({marks})"), chunk
                )
                found.update((r["key_id"], r["secret"]) for r in cursor.fetchall())
        return found

    def by_lookup(self, lookups: Sequence[str]) -> dict[str, tuple[str, str]]:
        """lookup -> (key_id, secret hex) for the lookups that have a key."""
        if not lookups or not self._exists():
            return {}
        with self.storage.reading() as cursor:
            marks = ", ".join("?" * len(lookups))
            cursor.execute(
                self.storage.sql(f"SELECT key_id, lookup, secret FROM {{p}}person_keys WHERE lookup IN ({marks})"),
                tuple(lookups),
            )
            return {r["lookup"]: (r["key_id"], r["secret"]) for r in cursor.fetchall()}

    def add(self, rows: Sequence[tuple[str, str, str, str]]) -> dict[str, tuple[str, str]]:
        """Store new keys (key_id, lookup, secret, created_at); return what each lookup holds now.

        A lookup another process gave a key first keeps that key (the caller then re-encrypts).
        """
        with self.storage.transaction(write=True) as cursor:
            self._cursor(cursor).executemany(
                self.storage.sql(
                    "INSERT INTO {p}person_keys (key_id, lookup, secret, created_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (lookup) DO NOTHING"
                ),
                rows,
            )
        return self.by_lookup([r[1] for r in rows])


def destroy(
    storage: Storage, key_ids: Sequence[str], person_keys: Iterable[str], *, then_checkpoint: bool = True
) -> dict[str, set[str]]:
    """Delete the keys, the feed tokens of the erased person keys, and the snapshots of every
    meeting whose events hold data under those keys; return those meetings' ids (32 hex digits),
    each with the topics of its events that hold such data.

    The rows go in one transaction. On SQLite every connection deletes with `secure_delete`
    (ledger/storage/recorders/sqlite.py), so freed pages are zeroed, and the write-ahead log is
    checkpointed and truncated afterwards (`then_checkpoint`; a caller that writes more first
    checkpoints once itself): no copy of a key or of the plain text stays in the file.
    """
    meetings: dict[str, set[str]] = {}
    events = storage.events
    with storage.transaction(write=True) as cursor:
        storage.ensure_side_table(cursor, PERSON_KEYS)
        storage.ensure_side_table(cursor, FEED_TOKENS)
        # One scan of the events for every key: the key ids are stored in clear beside their ciphertext.
        if storage.postgres:
            match = " OR ".join(["position(%s::bytea in state) > 0"] * len(key_ids))
        else:
            match = " OR ".join(["instr(state, ?) > 0"] * len(key_ids))
        cursor.execute(
            f"SELECT DISTINCT originator_id, topic FROM {events} WHERE {match}", [k.encode() for k in key_ids]
        )
        for row in cursor.fetchall():
            meetings.setdefault(_hex(row["originator_id"]), set()).add(row["topic"])
        cursor.executemany(storage.sql("DELETE FROM {p}person_keys WHERE key_id = ?"), [(k,) for k in key_ids])
        for person_key in person_keys:
            cursor.execute(storage.sql("DELETE FROM {p}feed_tokens WHERE person_key = ?"), (person_key,))
        snapshots = storage.snapshots_table
        if snapshots is not None:
            for meeting_id in sorted(meetings):
                cursor.execute(
                    storage.sql(f"DELETE FROM {snapshots} WHERE originator_id = ?"),
                    (storage.meeting_param(meeting_id),),
                )
    if then_checkpoint:
        checkpoint(storage)
    return dict(sorted(meetings.items()))


def checkpoint(storage: Storage) -> None:
    """Move SQLite's write-ahead log into the file and truncate it (nothing to do on PostgreSQL)."""
    if storage.postgres:
        return
    connection = storage.open_watch()  # a connection of its own: a checkpoint cannot run inside a transaction
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()


def _hex(originator_id: Any) -> str:
    return (
        originator_id.hex
        if hasattr(originator_id, "hex") and not isinstance(originator_id, str)
        else str(originator_id).replace("-", "").lower()
    )
