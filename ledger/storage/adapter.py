"""The one place that knows how the ledger is stored: eventsourcing's tables, the two SQL dialects,
the datastore's transactions, and which of its errors mean what.

Everything else reads and writes through `Storage` (or eventsourcing's public application API), so
a change of table, column or backend touches this module and the recorders beside it, nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from ledger.errors import StorageError

T = TypeVar("T")

# The columns every event read returns, under the names the read side decodes.
EVENT_COLUMNS = "originator_id, originator_version, topic, state"
STREAMS_PER_QUERY = 500  # meetings read by one `select_streams`: well under SQLite's 32,766 parameters


class SideTable(NamedTuple):
    """A table kept beside the events that is no cache: `meetings copy` carries its rows over."""

    name: str
    columns: tuple[str, ...]
    create: str  # CREATE TABLE IF NOT EXISTS, written for `Storage.sql` ({p} before the name)


FEED_TOKENS = SideTable(
    "feed_tokens",
    ("person_key", "name", "token_hash", "issued_at"),
    "CREATE TABLE IF NOT EXISTS {p}feed_tokens ("
    " person_key TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, issued_at TEXT NOT NULL)",
)
ACCOUNT_CREDENTIALS = SideTable(
    "account_credentials",
    ("token_hash", "account", "kind", "issued_at", "expires_at", "used_at"),
    "CREATE TABLE IF NOT EXISTS {p}account_credentials ("
    " token_hash TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL,"
    " issued_at TEXT NOT NULL, expires_at TEXT, used_at TEXT)",
)
# One AES-256 key per person (ledger/privacy.py). Outside the chain, so destroying a row erases
# that person's data from every event without touching a sealed byte. `lookup` is the SHA-256 of
# the person's identity (their email when given, else their normalised name): it finds the key
# of a person at sign-up and at erasure, and goes with the row when the key is destroyed; the
# events name only the random `key_id`. The keys live in the ledger's own database on both
# backends (see README "Personal data"): a copy, a backup or a moved SQLite file keeps working.
PERSON_KEYS = SideTable(
    "person_keys",
    ("key_id", "lookup", "secret", "created_at"),
    "CREATE TABLE IF NOT EXISTS {p}person_keys ("
    " key_id TEXT PRIMARY KEY, lookup TEXT NOT NULL UNIQUE, secret TEXT NOT NULL, created_at TEXT NOT NULL)",
)
NOTIFY_OUTBOX = SideTable(
    "notify_outbox",
    (
        "message_id",
        "position",
        "meeting_id",
        "kind",
        "recipient",
        "email",
        "status",
        "reason",
        "body",
        "attempts",
        "next_attempt",
        "last_error",
        "created_at",
        "sent_at",
    ),
    "CREATE TABLE IF NOT EXISTS {p}notify_outbox ("
    " message_id TEXT PRIMARY KEY, position BIGINT NOT NULL, meeting_id TEXT NOT NULL, kind TEXT NOT NULL,"
    " recipient TEXT NOT NULL, email TEXT, status TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt DOUBLE PRECISION NOT NULL, last_error TEXT NOT NULL,"
    " created_at TEXT NOT NULL, sent_at TEXT)",
)
NOTIFY_SETTINGS = SideTable(
    "notify_settings",
    ("name", "value"),
    "CREATE TABLE IF NOT EXISTS {p}notify_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
# Every side table. Snapshots and read models are not here: they are rebuilt from the events.
# The notifier's outbox is derived from the events too, but its "sent" marks are not: copied, so
# a copied ledger's notifier does not mail everyone again.
SIDE_TABLES: tuple[SideTable, ...] = (FEED_TOKENS, ACCOUNT_CREDENTIALS, PERSON_KEYS, NOTIFY_OUTBOX, NOTIFY_SETTINGS)


class WriteConflict(Exception):
    """Another writer appended to the same stream first: reload and decide again."""


class DatabaseLocked(Exception):
    """SQLite said "locked" or "busy" after waiting its timeout."""


def is_storage_error(error: BaseException) -> bool:
    """Whether an exception came from the database (as opposed to a bug)."""
    return isinstance(error, PersistenceError | sqlite3.Error)


def storage_error(error: BaseException) -> StorageError:
    """The database's refusal as one line; a read-only ledger (media, mount, permissions) is said so."""
    if "readonly" in str(error):
        return StorageError(f"the ledger is read-only here; nothing was written ({error})")
    return StorageError(f"database error: {error}")


@contextmanager
def appending() -> Iterator[None]:
    """Translate the datastore's errors while events are appended into the ledger's own."""
    try:
        yield
    except IntegrityError:
        raise WriteConflict from None
    except OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseLocked(str(error)) from None
        raise storage_error(error) from None


class Storage:
    """The ledger's database as the read side, the audit and the command layer need it."""

    def __init__(self, app: Any) -> None:
        self.active: ContextVar[Any] = ContextVar(f"storage-cursor-{id(self)}", default=None)
        self.recorder = app.recorder
        self._snapshot_recorder = app.snapshots.recorder if app.snapshots is not None else None
        self._datastore = app.recorder.datastore
        self.postgres = str(app.env.get("PERSISTENCE_MODULE", "")).endswith("postgres")
        self.sqlite_path = str(app.env.get("SQLITE_DBNAME", ""))
        if self.postgres:
            schema = getattr(self._datastore, "schema", "public")
            self.prefix = f'"{schema}".'
            self.events = f'"{schema}".{app.recorder.events_table_name}'
            self.position = "notification_id"
        else:
            self.prefix = ""
            self.events = app.recorder.events_table_name
            self.position = "rowid"
        recorder = self._snapshot_recorder
        self.snapshots_table = None if recorder is None else f"{self.prefix}{recorder.events_table_name}"

    # ----- SQL --------------------------------------------------------------------------------

    def sql(self, statement: str) -> str:
        """A statement written with `?` marks and `{p}` before table names, in this backend's dialect."""
        statement = statement.replace("{p}", self.prefix)
        return statement.replace("?", "%s") if self.postgres else statement

    def meeting_param(self, meeting_id: str) -> Any:
        """A meeting id (32 hex digits) as this backend stores it."""
        if self.postgres:
            from uuid import UUID

            return UUID(hex=meeting_id)
        return meeting_id

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Any]:
        """A cursor in one transaction whose rows are read by column name.

        A SQLite write transaction starts with BEGIN IMMEDIATE: it takes the write lock up front,
        waiting the lock timeout as appends do, instead of reading first and failing at once
        ("database is locked") when the first write finds another writer's newer snapshot.
        """
        try:
            if write and not self.postgres:
                with self._datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
                    cursor.execute("BEGIN IMMEDIATE")
                    token = self.active.set(cursor)
                    try:
                        yield cursor
                    except BaseException:
                        connection.rollback()
                        raise
                    finally:
                        self.active.reset(token)
                    connection.commit()
            else:
                with self._datastore.transaction(commit=write) as cursor:
                    token = self.active.set(cursor)
                    try:
                        yield cursor
                    finally:
                        self.active.reset(token)
        except (PersistenceError, sqlite3.Error) as error:
            raise storage_error(error) from None

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor to read with: the transaction this context is already in (a read model's
        catch-up decrypting what it folds), else a short one of its own. A second transaction
        opened inside the first would wait for a pooled connection the first one holds."""
        cursor = self.active.get()
        if cursor is not None:
            yield cursor
            return
        with self.transaction(write=False) as cursor:
            yield cursor

    # ----- events -----------------------------------------------------------------------------

    def select_events(self, cursor: Any, after: int, limit: int) -> list[Any]:
        """Rows (position, originator_id, originator_version, topic, state) after a position."""
        cursor.execute(
            self.sql(
                f"SELECT {self.position} AS position, {EVENT_COLUMNS} FROM {self.events}"
                f" WHERE {self.position} > ? ORDER BY {self.position} LIMIT ?"
            ),
            (after, limit),
        )
        return list(cursor.fetchall())

    def select_stream(self, cursor: Any, meeting_id: str, after_version: int, limit: int | None = None) -> list[Any]:
        """One meeting's rows after a version, in order (a stream's versions follow its positions)."""
        cursor.execute(
            self.sql(
                f"SELECT {self.position} AS position, {EVENT_COLUMNS} FROM {self.events}"
                " WHERE originator_id = ? AND originator_version > ? ORDER BY originator_version"
                + (" LIMIT ?" if limit is not None else "")
            ),
            (self.meeting_param(meeting_id), after_version, *(() if limit is None else (limit,))),
        )
        return list(cursor.fetchall())

    def select_streams(self, cursor: Any, meeting_ids: Sequence[str]) -> list[Any]:
        """The whole streams of these meetings (at most `STREAMS_PER_QUERY`), in position order."""
        marks = ", ".join("?" * len(meeting_ids))
        cursor.execute(
            self.sql(
                f"SELECT {self.position} AS position, {EVENT_COLUMNS} FROM {self.events}"
                f" WHERE originator_id IN ({marks}) ORDER BY {self.position}"
            ),
            [self.meeting_param(m) for m in meeting_ids],
        )
        return list(cursor.fetchall())

    def select_states(self, meeting_id: Any, topic: str, up_to_version: int) -> Iterator[bytes]:
        """One stream's stored states of one topic, newest first (only those rows are read), inside
        the transaction this context is already in if any (sealing a batch reads in one)."""
        states: Iterator[bytes] = self.recorder.select_states(meeting_id, topic, up_to_version, self.active.get())
        return states

    def batches(self, read: Callable[[Any], list[Any]]) -> list[Any]:
        """Run one read in its own short transaction (callers page through the log with it)."""
        with self.transaction(write=False) as cursor:
            return read(cursor)

    def last_position(self) -> int:
        with self.transaction(write=False) as cursor:
            cursor.execute(f"SELECT MAX({self.position}) AS last FROM {self.events}")
            row = cursor.fetchone()
        return int(row["last"] or 0) if row else 0

    def insert_sealed(self, rows: Sequence[Any]) -> None:
        """Store event rows with the positions and seals they carry (copying a ledger, whose chain must not change)."""
        if rows:
            self.recorder.insert_sealed(rows)

    def select_seal(self, meeting_id: Any, version: int) -> bytes | None:
        """The seal stored with a meeting's event at one version, None when there is no such event."""
        seal: bytes | None = self.recorder.select_seal(meeting_id, version)
        return seal

    # ----- side tables ------------------------------------------------------------------------

    def ensure_side_table(self, cursor: Any, table: SideTable) -> None:
        """Create a side table if it is missing; a role without CREATE rights may use one that exists."""
        if self.postgres and self.table_exists(cursor, table):
            return
        cursor.execute(self.sql(table.create))

    def table_exists(self, cursor: Any, table: SideTable) -> bool:
        """Whether a side table is there yet, asked without creating it (read-only callers such as the audit)."""
        if self.postgres:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (f"{self.prefix}{table.name}",))
        else:
            cursor.execute("SELECT count(*) > 0 AS ok FROM sqlite_master WHERE name = ?", (table.name,))
        row = cursor.fetchone()
        return bool(row and row["ok"])

    def has_table(self, table: SideTable) -> bool:
        with self.reading() as cursor:
            return self.table_exists(cursor, table)

    def side_rows(self, table: SideTable) -> list[tuple[Any, ...]]:
        """Every row of a side table (none when it was never created)."""
        with self.transaction(write=True) as cursor:
            self.ensure_side_table(cursor, table)
            cursor.execute(self.sql(f"SELECT {', '.join(table.columns)} FROM {{p}}{table.name}"))
            return [tuple(r[c] for c in table.columns) for r in cursor.fetchall()]

    def insert_side_rows(self, table: SideTable, rows: Sequence[tuple[Any, ...]]) -> None:
        with self.transaction(write=True) as cursor:
            self.ensure_side_table(cursor, table)
            if rows:
                marks = ", ".join("?" * len(table.columns))
                cursor.executemany(
                    self.sql(f"INSERT INTO {{p}}{table.name} ({', '.join(table.columns)}) VALUES ({marks})"), rows
                )

    def open_watch(self) -> Any:
        """A separate SQLite connection whose `PRAGMA data_version` changes after others commit."""
        return sqlite3.connect(self.sqlite_path, check_same_thread=False, uri=self.sqlite_path.startswith("file:"))

    # ----- snapshots --------------------------------------------------------------------------

    def prune_snapshots(self, meeting_id: Any, newest: int) -> None:
        """Delete a meeting's snapshots older than its newest (a cache: losing this to a crash is harmless)."""
        recorder = self._snapshot_recorder
        if recorder is None:
            return
        with self._datastore.transaction(commit=True) as cursor:
            if self.postgres:
                table = f"{self.prefix}{recorder.events_table_name}"
                cursor.execute(
                    f"DELETE FROM {table} WHERE originator_id = %s AND originator_version < %s", (meeting_id, newest)
                )
            else:
                cursor.execute(
                    f"DELETE FROM {recorder.events_table_name} WHERE originator_id = ? AND originator_version < ?",
                    (meeting_id.hex, newest),
                )

    # ----- who is connected -------------------------------------------------------------------

    def session_user(self) -> str | None:
        """The database's own idea of who is connected (PostgreSQL's session_user); None on SQLite."""
        if not self.postgres:
            return None
        with self.transaction(write=False) as cursor:
            cursor.execute("SELECT session_user AS who")
            row = cursor.fetchone()
        return str(row["who"]) if row else None


def best_effort(action: Callable[[], T]) -> T | None:
    """Run a write whose failure must not fail the command (a cache such as a snapshot)."""
    try:
        return action()
    except (PersistenceError, sqlite3.Error):
        return None
