"""Bar 7c: sign-ups per second under contention on PostgreSQL, beside the same number of `INSERT`s from `psql`.

Each round is the 60-process rush of bar 7 on a fresh database (`meetings signup` processes started at once),
then as many `psql` processes started at once, each inserting one row into a table of ledger_events' shape
(eventsourcing's columns, primary key and position index, plus the seal column) with a sign-up's stored state;
then the same `psql` inserts each taking the ledger's append lock and reserving their position as the recorder
does (ledger/storage/recorders/postgres.py), which prices the lock itself. Rounds alternate; medians reported.
"""

from __future__ import annotations

import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.benchmarks import bars, processes
from tests.benchmarks.table import Row, skipped

ROUNDS = 3
TABLE = (
    "CREATE TABLE psql_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text,"
    " state bytea, notification_id bigserial, chain bytea, PRIMARY KEY (originator_id, originator_version));"
    " CREATE UNIQUE INDEX psql_events_position ON psql_events (notification_id ASC)"
)
PLAIN = (
    "INSERT INTO psql_events (originator_id, originator_version, topic, state, chain)"
    " VALUES (gen_random_uuid(), 1, '{topic}', '\\x{state}'::bytea, '\\x{seal}'::bytea)"
)
# The recorder's statements around its insert: the lock, a reserved position, the seal of the row before.
LOCKED = (
    "BEGIN; SET LOCAL lock_timeout = '5s'; SELECT pg_advisory_xact_lock(727003);"
    " SELECT nextval(pg_get_serial_sequence('psql_events', 'notification_id'));"
    " SELECT chain FROM psql_events ORDER BY notification_id DESC LIMIT 1;"
    f" {PLAIN}; COMMIT"
)


def psql() -> str | None:
    return shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None)  # type: ignore[arg-type]


def bar_throughput(ctx: Any) -> list[Row]:
    size = ctx.size
    name = f"{size.racers} concurrent signups per second, PostgreSQL, vs psql INSERTs"
    target = "ratio reported (no bar); every rush exact, no error"
    client = psql()
    if not ctx.postgres or client is None:
        return [skipped("7c", name, target, "needs --postgres URL (or $MEETINGS_TEST_POSTGRES) and psql")]
    rush: list[float] = []
    plain: list[float] = []
    locked: list[float] = []
    failures: list[str] = []
    for _ in range(ROUNDS):
        with bars.postgres_database(ctx.postgres) as url:
            row = bars.race(ctx, "7c", "PostgreSQL", url)
            rush.append(row.figure or 0.0)
            if row.status != "PASS":
                failures.append(row.note)
            statement = _sample(url)
            processes.checked(processes.run([client, "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", TABLE]), "table")
            plain.append(_at_once(client, url, PLAIN.format(**statement), size.racers))
            locked.append(_at_once(client, url, LOCKED.format(**statement), size.racers))
    ours, bare, bare_locked = (size.racers / statistics.median(w) for w in (rush, plain, locked))
    return [
        Row(
            "7c",
            name,
            ours,
            "writes/s",
            bare,
            f"{size.racers} psql INSERTs at once",
            ours / bare,
            target,
            "FAIL" if failures else "PASS",
            f"median of {ROUNDS} alternating rounds; figure = {size.racers} `meetings signup` processes / wall;"
            f" psql with the append lock and position reservation: {bare_locked:.1f} inserts/s"
            f" ({bare_locked / bare:.2f}x psql without it)" + (f"; {failures[0]}" if failures else ""),
        )
    ]


def _sample(url: str) -> dict[str, str]:
    """A sign-up as the rush stored it: its topic, state and seal, for the psql rows."""
    import psycopg

    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT topic, state, chain FROM ledger_events WHERE topic LIKE '%SignedUp' ORDER BY notification_id"
            " DESC LIMIT 1"
        ).fetchone()
    if found is None:
        raise RuntimeError("the rush stored no sign-up")
    topic, state, seal = found
    return {"topic": topic.replace("'", "''"), "state": bytes(state).hex(), "seal": bytes(seal).hex()}


def _at_once(client: str, url: str, sql: str, count: int) -> float:
    """Wall seconds for `count` psql processes started at once, each running `sql`."""
    argv = [client, "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(lambda _: processes.run(argv, timeout=600), range(count)))
    wall = time.perf_counter() - started
    for result in results:
        processes.checked(result, "psql")
    return wall
