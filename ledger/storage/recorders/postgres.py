"""PostgreSQL: eventsourcing's recorder, with a `chain` column sealed in the insert's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing import postgres
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger import chain


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
        self._select_previous = SQL(
            "SELECT chain FROM {0} WHERE notification_id < %s ORDER BY notification_id DESC LIMIT 1"
        ).format(table)
        self._update_seal = SQL("UPDATE {0} SET chain = %s WHERE notification_id = %s").format(table)
        self._select_states = SQL(
            "SELECT state FROM {0} WHERE originator_id = %s AND originator_version <= %s AND topic = %s"
            " ORDER BY originator_version DESC"
        ).format(table)
        self._select_sealed = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state, chain"
            " FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Still inside the insert's transaction, which holds the table's EXCLUSIVE lock:
        # no other writer can append between reading the previous seal and writing ours.
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not positions:
            return positions
        curs.execute(self._select_previous, (min(positions),))
        row = curs.fetchone()
        previous = chain.link_of(row["chain"] if row else None)
        sealed = chain.seal_inserted(previous, positions, stored_events)
        curs.executemany(self._update_seal, sealed)
        return positions

    def select_states(self, originator_id: Any, topic: str, up_to_version: int) -> Iterator[bytes]:
        """One stream's stored states of one topic, newest first (only those rows are read)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_states, (originator_id, up_to_version, topic))
            rows = curs.fetchall()
        return (bytes(r["state"]) for r in rows)

    def select_sealed(self, after: int, limit: int) -> list[chain.StoredRow]:
        """Rows after a position, in position order, with their seals (for verification)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_sealed, (after, limit))
            return [
                chain.StoredRow(
                    r["notification_id"],
                    r["originator_id"],
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                    None if r["chain"] is None else bytes(r["chain"]),
                )
                for r in curs.fetchall()
            ]


# The module, not the class, is imported: eventsourcing picks the one factory class defined here.
class SealedPostgresFactory(postgres.PostgresFactory):
    """eventsourcing's PostgreSQL infrastructure with the sealing application recorder."""

    application_recorder_class = SealedPostgresApplicationRecorder


Factory = SealedPostgresFactory
