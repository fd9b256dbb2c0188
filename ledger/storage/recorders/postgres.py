"""PostgreSQL: eventsourcing's recorder, each row stored with its `chain` seal by the one INSERT.

A trigger makes the table append-only: DELETE and TRUNCATE are refused, and the one UPDATE it
lets through writes a seal into an empty `chain` column (how ledgers of earlier versions sealed
their events, in a second statement after the insert).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing import postgres
from eventsourcing.persistence import DataError, InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger import chain
from ledger.storage.recorders import canonical

APPEND_ONLY = "stored events are append-only"
VERIFY_HINT = "nothing was written; run 'meetings verify'"
# The column types eventsourcing creates (and the chain column added below), as information_schema names them.
COLUMN_TYPES = {
    "originator_id": "uuid",
    "originator_version": "bigint",
    "topic": "text",
    "state": "bytea",
    "notification_id": "bigint",
    "chain": "bytea",
}


class SealedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Stores events as eventsourcing does, plus each event's seal in the `chain` column."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        if datastore.enable_db_functions:
            # The insert function would bypass the sealing below.
            raise ProgrammingError("POSTGRES_ENABLE_DB_FUNCTIONS cannot be used with the sealed ledger")
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        # Added after eventsourcing's own CREATE TABLE, so its statement stays untouched.
        self.sql_create_statements.append(SQL("ALTER TABLE {0} ADD COLUMN IF NOT EXISTS chain bytea").format(table))
        self.append_only_trigger = f"{self.events_table_name}_append_only"
        function = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.append_only_trigger))
        self.sql_create_statements += [
            SQL(
                "CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF TG_OP = 'UPDATE' AND OLD.chain IS NULL AND NEW.chain IS NOT NULL AND"
                " (NEW.notification_id, NEW.originator_id, NEW.originator_version, NEW.topic, NEW.state)"
                " IS NOT DISTINCT FROM"
                " (OLD.notification_id, OLD.originator_id, OLD.originator_version, OLD.topic, OLD.state)"
                " THEN RETURN NEW; END IF;"
                " RAISE EXCEPTION '{1}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';"
                " END $$"
            ).format(function, SQL(APPEND_ONLY)),
            SQL(
                "CREATE OR REPLACE TRIGGER {0} BEFORE UPDATE OR DELETE ON {1} FOR EACH ROW EXECUTE FUNCTION {2}()"
            ).format(Identifier(self.append_only_trigger), table, function),
            SQL(
                "CREATE OR REPLACE TRIGGER {0} BEFORE TRUNCATE ON {1} FOR EACH STATEMENT EXECUTE FUNCTION {2}()"
            ).format(Identifier(f"{self.append_only_trigger}_truncate"), table, function),
        ]
        self._table = table
        # Appends are serialised so positions follow commit order. eventsourcing takes the table's
        # EXCLUSIVE lock, which PostgreSQL grants only to a role with UPDATE or DELETE rights on the
        # whole table; every writer here takes this transaction-scoped advisory lock instead, so the
        # application role needs only INSERT, SELECT and UPDATE of the chain column.
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL("SELECT pg_advisory_xact_lock(727003)"),
        ]
        # The batch's positions, taken from the table's own sequence, and the seal of the row before them.
        self._reserve = SQL(
            "WITH reserved AS (SELECT nextval(pg_get_serial_sequence(%s, 'notification_id')) AS id"
            " FROM generate_series(1, %s))"
            " SELECT ARRAY(SELECT id FROM reserved ORDER BY id) AS ids,"
            " (SELECT chain FROM {0} WHERE notification_id < (SELECT min(id) FROM reserved)"
            " ORDER BY notification_id DESC LIMIT 1) AS chain"
        ).format(table)
        self._insert_rows = SQL(
            "INSERT INTO {0} (notification_id, originator_id, originator_version, topic, state, chain)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(table)
        self._select_states = SQL(
            "SELECT state FROM {0} WHERE originator_id = %s AND originator_version <= %s AND topic = %s"
            " ORDER BY originator_version DESC"
        ).format(table)
        self._select_sealed = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state, chain"
            " FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Append a batch in one pass: positions and seals are computed here, then one executemany.

        Under the append lock (see __init__) no other writer takes a position or appends until
        this transaction ends, so the reserved positions follow every stored one, positions
        follow commit order, and each seal chains on from the row before it. eventsourcing's
        NOTIFY is kept, for any subscriber listening for new events.
        """
        stored_events = canonical(stored_events)
        if not stored_events:
            return []
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.lock_table_statements:
                curs.execute(statement, prepare=False)
            self._notify_channel(curs)
            curs.execute(self._reserve, (f"{self.datastore.schema}.{self.events_table_name}", len(stored_events)))
            reserved = curs.fetchone()
            if reserved is None:
                raise DataError(f"the events table gave no positions; {VERIFY_HINT}")
            positions = [int(p) for p in reserved["ids"]]
            rows = chain.seal_appended(chain.link_of(reserved["chain"]), positions, stored_events)
            curs.executemany(self._insert_rows, [tuple(r) for r in rows])
        return positions

    def select_states(self, originator_id: Any, topic: str, up_to_version: int, cursor: Any = None) -> Iterator[bytes]:
        """One stream's stored states of one topic, newest first (only those rows are read), in the
        transaction of `cursor` when one is given (the CLI's pool holds one connection)."""
        with contextlib.nullcontext(cursor) if cursor is not None else self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_states, (originator_id, up_to_version, topic))
            rows = curs.fetchall()
        return (bytes(r["state"]) for r in rows)

    def select_sealed(self, after: int, limit: int) -> list[chain.StoredRow]:
        """Rows after a position, in position order, with their seals, as stored (for verification)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_sealed, (after, limit))
            return [
                chain.stored_row(
                    r["notification_id"],
                    r["originator_id"],
                    r["originator_version"],
                    r["topic"],
                    r["state"],
                    r["chain"],
                )
                for r in curs.fetchall()
            ]

    def select_seal(self, originator_id: Any, version: int) -> bytes | None:
        """The seal stored with one event of a stream (a snapshot records the one it was taken at)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT chain FROM {0} WHERE originator_id = %s AND originator_version = %s").format(self._table),
                (originator_id, version),
            )
            row = curs.fetchone()
        return chain.as_bytes(row["chain"]) if row else None

    def insert_sealed(self, rows: Sequence[chain.StoredRow]) -> None:
        """Store rows exactly as given, positions and seals included, then move the position sequence past them."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.lock_table_statements:
                curs.execute(statement, prepare=False)
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (notification_id, originator_id, originator_version, topic, state, chain)"
                    " VALUES (%s, %s, %s, %s, %s, %s)"
                ).format(self._table),
                [(r.position, r.originator_id, r.version, r.topic, r.state, r.seal) for r in rows],
            )
            curs.execute(
                SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'),"
                    " GREATEST((SELECT MAX(notification_id) FROM {0}), 1))"
                ).format(self._table),
                (f"{self.datastore.schema}.{self.events_table_name}",),
            )

    def schema_problem(self) -> tuple[int, str] | None:
        """A column of the events table whose type is no longer the one the ledger created, if any."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s",
                (self.datastore.schema, self.events_table_name),
            )
            found = {r["column_name"]: r["data_type"] for r in curs.fetchall()}
            changed = [(c, t, found.get(c, "missing")) for c, t in COLUMN_TYPES.items() if found.get(c) != t]
            if not changed:
                return None
            curs.execute(SQL("SELECT MIN(notification_id::text) AS first FROM {0}").format(self._table))
            row = curs.fetchone()
        first = str(row["first"]) if row and row["first"] is not None else "0"
        column, expected, actual = changed[0]
        return (
            int(first) if first.lstrip("-").isdigit() else 0,
            f"the events table's {column} column was changed from {expected} to {actual},"
            " so every stored event was rewritten",
        )


# The module, not the class, is imported: eventsourcing picks the one factory class defined here.
class SealedPostgresFactory(postgres.PostgresFactory):
    """eventsourcing's PostgreSQL infrastructure with the sealing application recorder."""

    application_recorder_class = SealedPostgresApplicationRecorder


Factory = SealedPostgresFactory
