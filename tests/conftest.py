"""Shared fixtures: real SQLite files, a real PostgreSQL server, and the real `meetings` CLI.

Every test that takes `db` runs twice: on a SQLite file and on a fresh PostgreSQL
database. `.ci/run` starts the server and sets MEETINGS_TEST_POSTGRES; without it the
PostgreSQL half is skipped with a reason (never faked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_5693f103015102e9.txt"
POSTGRES_URL = os.environ.get("MEETINGS_TEST_POSTGRES", "")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: half as many workers again as cores, since most tests spend part of their time waiting on
    processes, servers and disks (the SQLite half on 2 cores: 148 s with 2 workers, 131 s with 3, 133 s
    with 4). PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set, as in pytest-xdist."""
    named = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    if named.isdigit():
        return int(named)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores * 3 // 2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files that hold a `slow` test first, each file's tests kept together and in order.

    pytest-xdist hands out a file at a time (`--dist loadfile`, `--no-loadscope-reorder` keeping this order):
    a worker that takes a long file last holds up the end of the run on its own.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


def meetings_executable() -> list[str]:
    found = shutil.which("meetings", path=str(Path(sys.executable).parent)) or shutil.which("meetings")
    return [found] if found else [sys.executable, "-m", "exports.cli"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Database:
    """A test database: its --db value and how to count the events stored in it."""

    backend: str
    url: str

    def event_count(self) -> int:
        if self.backend == "sqlite":
            import sqlite3

            if not Path(self.url).exists():
                return 0
            with sqlite3.connect(self.url) as conn:
                try:
                    return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])
                except sqlite3.OperationalError:
                    return 0
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT to_regclass('public.ledger_events') IS NOT NULL").fetchone()
            if not row or not row[0]:
                return 0
            return int(conn.execute("SELECT count(*) FROM ledger_events").fetchone()[0])  # type: ignore[index]


def _postgres_database() -> Iterator[str]:
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", str(tmp_path / "ledger.sqlite"))
        return
    if not POSTGRES_URL:
        pytest.skip("MEETINGS_TEST_POSTGRES is not set (.ci/run starts a server and sets it)")
    for url in _postgres_database():
        yield Database("postgres", url)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    return Database("sqlite", str(tmp_path / "ledger.sqlite"))


class Cli:
    """Runs the installed `meetings` command as a separate process, as a user would."""

    def __init__(self, db: Database, home: Path) -> None:
        self.db = db
        self.env = {
            **os.environ,
            "MEETINGS_DB": db.url,
            "MEETINGS_ACTOR": "alice",
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "TZ": "UTC",
            "EDITOR": "false",
        }

    def __call__(
        self, *args: str, input: str | None = None, actor: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        extra = ["--as", actor] if actor else []
        proc = subprocess.run(
            [*meetings_executable(), *extra, *args],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, **kwargs: Any) -> Result:
        result = self(*args, **kwargs)
        assert result.code == 0, f"meetings {' '.join(args)} exited {result.code}: {result.err}"
        return result


def _command(request: pytest.FixtureRequest, db: Database, home: Path) -> Cli:
    """The `meetings` command as a process, or, for a test marked `in_process`, run in this one.

    A rule is the same whichever way the command is started, and a process per command costs
    about a third of a second; the tests of the process itself (exit codes as a shell sees them,
    start-up, signals, crashes, concurrent writers, real files) leave the marker off.
    """
    if request.node.get_closest_marker("in_process"):
        from tests.support import InProcess

        return InProcess(db, home)
    return Cli(db, home)


@pytest.fixture
def cli(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> Cli:
    return _command(request, db, tmp_path)


@pytest.fixture
def sqlite_cli(request: pytest.FixtureRequest, sqlite_db: Database, tmp_path: Path) -> Cli:
    return _command(request, sqlite_db, tmp_path)


@pytest.fixture
def ledger(db: Database) -> Iterator[Any]:
    """The application itself on the test database: the account the CLI also authenticates as (the OS
    login, or PostgreSQL's session user), acting for 'alice' as the CLI tests do."""
    from ledger import storage

    app = storage.open_ledger(storage.resolve(db.url))
    app.authenticate(for_person="alice")
    yield app
    app.close()


SEED_ATTENDEES = [
    ("Dawn Chen", "in-person", ""),
    ("Derek Carr", "in-person", ""),
    ("Paul Morie", "in-person", ""),
    ("Harry Zhang", "in-person", ""),
    ("Euan Kemp", "in-person", ""),
    ("Jeremy Eder", "in-person", ""),
    ("Brandon Philips", "in-person", "2:30pm+ b/c of OSC Panel. Remove me if you need the room"),
    ("Yifan Gu", "in-person", ""),
    ("Caleb Miles", "in-person", ""),
    ("Balaji Subramaniam", "in-person", ""),
    ("Nicholas Weaver", "in-person", ""),
    ("Connor Doyle", "in-person", ""),
    ("Niklas Nielsen", "in-person", ""),
    ("Dan Gillespie", "in-person", ""),
    ("Pengfei Ni", "in-person", ""),
    ("Xu Wang", "in-person", ""),
    ("David Oppenheimer", "in-person", ""),
    ("Mrunal Patel", "in-person", ""),
    ("Piotr Siwczak", "undecided", ""),
    ("Jędrzej Nowak", "in-person", ""),
    ("Mike Goelzer", "in-person", ""),
    ("Stephen Walli", "in-person", ""),
    ("Ihor Dvoretzkyi", "in-person", ""),
]

SEED_TOPICS = [
    ("Performance-Sensitive Application Platform", "Jeremy Eder", None),
    ("CRI blockers and progress", "Brandon Philips", None),
    ("Runtime agnostic debugging tools", "Vish", None),
    ("Nodespec standardization", "Dawn", None),
    ("Image validation, kernel validation", "Dawn", 4),
    ("Packaging/running Kubelet and containers", "Euan", None),
    ("Sig-cluster-lifecycle related work", "Euan", 6),
]
