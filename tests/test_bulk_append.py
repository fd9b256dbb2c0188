"""The one-pass append: each batch stored as whole rows (position, seal and all) by one executemany.

The rows must be byte for byte those the previous two-pass recorder wrote (eventsourcing's own
INSERT, then an UPDATE filling each seal in), which is kept below as the reference. Both write
the same generated batches into tables side by side in one database; eventsourcing's own reader
must then read both alike, the chain must verify, and concurrent writers must keep the order.
"""

from __future__ import annotations

import functools
import itertools
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import chain
from ledger.meeting import Meeting
from ledger.storage.recorders import canonical
from ledger.storage.recorders.postgres import SealedPostgresApplicationRecorder
from ledger.storage.recorders.sqlite import SealedSQLiteApplicationRecorder
from tests.conftest import REPO, Cli, Database

# ----- the reference: the recorders as they were before the one-pass append ---------------------------


def two_passes(
    insert: Callable[[Sequence[StoredEvent]], Any], cursor: Any, table: str, position: str, mark: str, events: Any
) -> Any:
    """eventsourcing's insert, then the previous second pass: UPDATE each new row's seal in."""
    events = canonical(events)
    positions = insert(events)
    if not positions:
        return positions
    cursor.execute(
        f"SELECT chain FROM {table} WHERE {position} < {mark} ORDER BY {position} DESC LIMIT 1", (min(positions),)
    )
    row = cursor.fetchone()
    previous = chain.link_of(row["chain"] if row else None)
    for at, e in zip(positions, events, strict=True):
        sealed = chain.seal(previous, at, e.originator_id, e.originator_version, e.topic, e.state)
        previous = sealed[32:]
        cursor.execute(f"UPDATE {table} SET chain = {mark} WHERE {position} = {mark}", (sealed, at))
    return positions


class TwoPassSQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite insert (one row at a time), then one UPDATE per row writing its seal."""

    construct_create_table_statements = SealedSQLiteApplicationRecorder.construct_create_table_statements

    def __init__(self, datastore: Any, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = (
            f"INSERT INTO {events_table_name} (originator_id, originator_version, topic, state) VALUES (?,?,?,?)"
        )

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        insert = functools.partial(super()._insert_events, c, **kwargs)
        return two_passes(insert, c, self.events_table_name, "rowid", "?", stored_events)


class TwoPassPostgresRecorder(SealedPostgresApplicationRecorder):
    """eventsourcing's PostgreSQL insert (RETURNING the positions), then one UPDATE per row writing its seal."""

    insert_events = PostgresApplicationRecorder.insert_events  # type: ignore[assignment]

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        fetch = functools.partial(super()._fetch_ids_after_insert_events, curs, **kwargs)
        return two_passes(fetch, curs, self.events_table_name, "notification_id", "%s", stored_events)


# ----- generated batches -----------------------------------------------------------------------------

STREAMS = [uuid.UUID(int=n * 7919 + 1) for n in range(3)]
# PostgreSQL's text cannot hold NUL; neither backend holds lone surrogates.
TOPICS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=24)
BATCHES = st.lists(
    st.lists(st.tuples(st.sampled_from(range(len(STREAMS))), TOPICS, st.binary(max_size=120)), min_size=1, max_size=8),
    min_size=1,
    max_size=6,
)


def stored_batches(drawn: list[list[tuple[int, str, bytes]]]) -> list[list[StoredEvent]]:
    """The drawn batches as stored events, each stream's versions counting up from 1 across batches."""
    versions = [0] * len(STREAMS)
    batches = []
    for batch in drawn:
        events = []
        for stream, topic, state in batch:
            versions[stream] += 1
            # Some ids arrive as text, as a copy or another caller may give them.
            originator: Any = STREAMS[stream] if versions[stream] % 2 else str(STREAMS[stream])
            events.append(StoredEvent(originator, versions[stream], topic, state))
        batches.append(events)
    return batches


def sqlite_rows(datastore: Any, table: str) -> list[tuple[Any, ...]]:
    """Every row with each value's SQLite type, so a text stored where bytes were would differ."""
    with datastore.transaction(commit=False) as c:
        c.execute(
            "SELECT rowid, originator_id, typeof(originator_id), originator_version, typeof(originator_version),"
            f" topic, typeof(topic), state, typeof(state), chain, typeof(chain) FROM {table} ORDER BY rowid"
        )
        return [tuple(r) for r in c.fetchall()]


def postgres_rows(datastore: Any, table: str) -> list[tuple[Any, ...]]:
    with datastore.transaction(commit=False) as c:
        c.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state, chain"
            f" FROM {table} ORDER BY notification_id"
        )
        return [tuple(r.values()) for r in c.fetchall()]


def read_back(reader: Any) -> tuple[list[Any], list[list[Any]]]:
    """What eventsourcing's own recorder reads: the notification log, and each stream."""
    log = list(reader.select_notifications(start=None, limit=10_000))
    return log, [list(reader.select_events(stream)) for stream in STREAMS]


def pair(ledger: Any, postgres: bool) -> tuple[Any, Any, Any, str, str]:
    """The one-pass recorder and the reference, on fresh tables of the ledger's own database."""
    datastore = ledger.recorder.datastore
    suffix = uuid.uuid4().hex[:10]
    fast_table, reference_table = f"fast_{suffix}", f"reference_{suffix}"
    if postgres:
        fast: Any = SealedPostgresApplicationRecorder(datastore, events_table_name=fast_table)
        reference: Any = TwoPassPostgresRecorder(datastore, events_table_name=reference_table)
    else:
        fast = SealedSQLiteApplicationRecorder(datastore, fast_table)
        reference = TwoPassSQLiteRecorder(datastore, reference_table)
    fast.create_table()
    reference.create_table()
    return datastore, fast, reference, fast_table, reference_table


def stock_reader(datastore: Any, table: str, postgres: bool) -> Any:
    if postgres:
        return PostgresApplicationRecorder(datastore, events_table_name=table)
    return SQLiteApplicationRecorder(datastore, table)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=BATCHES)
def test_one_pass_rows_are_byte_identical_to_the_two_pass_recorders(ledger: Any, db: Database, drawn: Any) -> None:
    postgres = db.backend == "postgres"
    datastore, fast, reference, fast_table, reference_table = pair(ledger, postgres)
    for batch in stored_batches(drawn):
        assert fast.insert_events(batch) == reference.insert_events(batch)
    rows = (postgres_rows if postgres else sqlite_rows)(datastore, fast_table)
    assert rows == (postgres_rows if postgres else sqlite_rows)(datastore, reference_table)
    assert len(rows) == sum(len(b) for b in drawn)
    assert read_back(stock_reader(datastore, fast_table, postgres)) == read_back(
        stock_reader(datastore, reference_table, postgres)
    )
    checked = chain.verify(chain.stored_rows(fast))
    assert checked.intact and checked.count == len(rows)


def test_a_batch_refused_by_a_conflict_writes_none_of_its_rows(ledger: Any, db: Database) -> None:
    postgres = db.backend == "postgres"
    datastore, fast, _, fast_table, _ = pair(ledger, postgres)
    first = [StoredEvent(STREAMS[0], v, "t", b"s") for v in (1, 2)]
    fast.insert_events(first)
    clashing = [StoredEvent(STREAMS[1], 1, "t", b"new"), StoredEvent(STREAMS[0], 2, "t", b"again")]
    with pytest.raises(IntegrityError):
        fast.insert_events(clashing)
    rows = (postgres_rows if postgres else sqlite_rows)(datastore, fast_table)
    assert len(rows) == 2
    # The next batch chains on from the last stored row, as if the refused one never was.
    fast.insert_events([StoredEvent(STREAMS[1], 1, "t", b"later")])
    checked = chain.verify(chain.stored_rows(fast))
    assert checked.intact and checked.count == 3


# ----- the application on the one-pass append ------------------------------------------------------------


def test_a_meeting_saved_in_one_batch_reads_back_as_the_events_it_was_made_of(ledger: Any) -> None:
    from ledger.text import Details
    from ledger.timing import Schedule

    meeting = Meeting.schedule(
        slug="bulk",
        title="Bulk",
        schedule=Schedule.from_input("2031-03-04T10:00", "2031-03-04T11:00", "Europe/Paris", None),
        details=Details(location="Hall B", capacity=3),
    )
    for n in range(6):
        meeting.sign_up(f"Person Number{n}", "in-person", None, "")
    topic = meeting.propose_topic("Packaging", "Person Number1", None)
    meeting.edit_notes(topic, "- decided: ship it\n- owner: Person Number1\n", None)
    meeting.edit_notes(topic, "- decided: ship it\n- owner: Person Number2\n", None)
    made = [vars(e) for e in meeting.pending_events]
    ledger._save_new(meeting, "saved")
    assert [vars(e) for e in ledger.events.get(meeting.id)] == made
    assert ledger.get_meeting("bulk").roster.to_dict() == meeting.roster.to_dict()
    # A batch on a stream already stored reads its notes' authors inside the batch's read
    # transaction (on PostgreSQL the CLI's pool holds one connection).
    loaded = ledger.get_meeting("bulk")
    loaded.edit_notes(topic, "- decided: ship it\n- owner: Person Number3\n", None)
    loaded.sign_up("Person Number9", "remote", None, "")
    more = [vars(e) for e in loaded.pending_events]
    ledger._save(loaded, "saved")
    assert [vars(e) for e in ledger.events.get(meeting.id)][-2:] == more
    reloaded = ledger.get_meeting("bulk")
    assert reloaded.notes_text(reloaded.check_section(topic)) == "- decided: ship it\n- owner: Person Number3\n"
    assert chain.verify_ledger(ledger.recorder).intact


def test_verify_passes_on_a_ledger_built_by_imports_and_sign_ups(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    lines = ["# Bulk summit", "", "**Schedule:** 11/7/2031; 1 pm to 4 pm Pacific Time", "", "**Attendees:**", ""]
    lines += [f"{i}. Person Number{i} (In Person)" for i in range(1, 120)]
    lines += ["", "**Proposed discussion topics:**", "", "1. Person Number1: Packaging", "", "# Notes", ""]
    lines += ["## Packaging", "", "Decided to ship it.", ""]
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli.ok("import", "markdown", str(page), "--slug", "first")
    cli.ok("signup", "first", "Late Comer")
    cli.ok("import", "markdown", str(page), "--slug", "second")
    verified = cli.ok("verify", "--deep", "--json").json()
    assert verified["ok"] is True
    assert verified["events"] == cli.db.event_count() > 240


# ----- concurrent writers -------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import json, sys, uuid
    from eventsourcing.persistence import StoredEvent
    from ledger import storage
    app = storage.open_ledger(storage.resolve(sys.argv[1]))
    stream = uuid.uuid4()
    out = []
    for b in range(int(sys.argv[2])):
        size = 1 + (b * 7) % 40
        batch = [StoredEvent(stream, b * 40 + i + 1, "bench", b"x" * i) for i in range(size)]
        out.append([str(stream), list(app.recorder.insert_events(batch))])
    print(json.dumps(out))
    """
)


def test_concurrent_batches_keep_each_batch_whole_the_order_and_the_chain(ledger: Any, db: Database) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db.url, "12"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    batches: list[tuple[str, list[int]]] = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err.decode()
        batches += [(stream, positions) for stream, positions in json.loads(out)]
    every = sorted(p for _, positions in batches for p in positions)
    assert len(every) == len(set(every)) == sum(len(p) for _, p in batches)
    # A batch holds one run of positions, which no other writer's batch interleaves.
    for _, positions in batches:
        assert positions == list(range(positions[0], positions[0] + len(positions)))
    starts = sorted((positions[0], positions[-1]) for _, positions in batches)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(starts))
    checked = chain.verify_ledger(ledger.recorder)
    assert checked.intact and checked.count == len(every)
    # Each stream's versions follow its positions.
    rows = list(chain.stored_rows(ledger.recorder))
    for stream in {s for s, _ in batches}:
        versions = [r.version for r in rows if chain.canonical_id(r.originator_id) == uuid.UUID(stream).hex]
        assert versions == sorted(versions)
