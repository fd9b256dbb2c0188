"""Database faults: a locked or read-only SQLite file, a full disk, and a PostgreSQL server stopped mid-run.

Each fault must give one clear `Error:` line (non-zero exit, no traceback), lose nothing a command
acknowledged (exit 0), and leave the ledger working for the next command once the fault is gone.
The read-only and full-disk cases mount a real tmpfs, which needs root (CI runs as root).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli, Database, Result

pytestmark = pytest.mark.slow

MEETING = (
    "new",
    "standup",
    "--title",
    "Stand-up",
    "--start",
    "2099-03-01T09:00",
    "--end",
    "2099-03-01T09:30",
    "--tz",
    "Europe/Paris",
)


def assert_clear_failure(result: Result, *words: str) -> None:
    """A refusal the user can read: non-zero exit, one `Error:` line, no traceback."""
    assert result.code in (1, 2), result
    assert "Traceback" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    for word in words:
        assert word in lines[0].lower(), lines[0]


def attendee_names(cli: Cli, slug: str = "standup") -> set[str]:
    return {entry["name"] for entry in cli.ok("attendees", slug, "--json").json()["attendees"]}


def assert_verifies(cli: Cli) -> None:
    result = cli.ok("verify")
    assert result.out.startswith("ok"), result.out


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A fresh tmpfs we can fill up or remount read-only (a real file system, unlike chmod for root)."""
    point = tmp_path / "mnt"
    point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root with CAP_SYS_ADMIN (CI runs as root): {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True)


# ----- SQLite ----------------------------------------------------------------------------------


def test_a_locked_sqlite_file_refuses_writes_clearly_and_works_once_released(sqlite_cli: Cli) -> None:
    sqlite_cli.env["MEETINGS_SQLITE_LOCK_TIMEOUT"] = "1"  # the lock is held longer than writers wait
    sqlite_cli.ok(*MEETING)
    sqlite_cli.ok("signup", "standup", "Ada Lovelace")
    before = sqlite_cli.db.event_count()
    holder = sqlite3.connect(sqlite_cli.db.url, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        refused = sqlite_cli("signup", "standup", "Grace Hopper")
        assert_clear_failure(refused, "locked")
        assert_clear_failure(sqlite_cli("attendees", "standup"), "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite_cli.db.event_count() == before
    sqlite_cli.ok("signup", "standup", "Grace Hopper")
    assert attendee_names(sqlite_cli) == {"Ada Lovelace", "Grace Hopper"}
    assert_verifies(sqlite_cli)


def test_a_read_only_sqlite_file_is_refused_clearly_and_loses_nothing(mounted: Path, tmp_path: Path) -> None:
    cli = Cli(Database("sqlite", str(mounted / "ledger.sqlite")), tmp_path)
    cli.ok(*MEETING)
    cli.ok("signup", "standup", "Ada Lovelace")
    remount(mounted, "ro")
    try:
        assert_clear_failure(cli("signup", "standup", "Grace Hopper"), "read-only")
        assert_clear_failure(cli("attendees", "standup"), "read-only")
    finally:
        remount(mounted, "rw")
    assert attendee_names(cli) == {"Ada Lovelace"}
    cli.ok("signup", "standup", "Grace Hopper")
    assert attendee_names(cli) == {"Ada Lovelace", "Grace Hopper"}
    assert_verifies(cli)


def test_a_full_disk_refuses_clearly_and_keeps_every_acknowledged_write(mounted: Path, tmp_path: Path) -> None:
    cli = Cli(Database("sqlite", str(mounted / "ledger.sqlite")), tmp_path)
    cli.ok(*MEETING)
    cli.ok("attendees", "standup")  # read models exist before the disk fills
    # Leave a little room, then write big notes and small sign-ups until the disk refuses one.
    free = os.statvfs(mounted).f_bavail * os.statvfs(mounted).f_frsize
    with open(mounted / "filler", "wb") as filler:
        filler.write(b"\0" * max(0, free - 160_000))
    acknowledged_people: list[str] = []
    acknowledged_edits = 0
    refusal: Result | None = None
    notes = tmp_path / "notes.md"
    for i in range(40):
        name = f"Person {i}"
        result = cli("signup", "standup", name, "--remark", "r" * 400)
        if result.code == 0:
            acknowledged_people.append(name)
        else:
            refusal = result
            break
        notes.write_text(f"Revision {i}\n" + "notes line\n" * 4_000)
        result = cli("notes", "edit", "standup", "--file", str(notes))
        if result.code == 0:
            acknowledged_edits += 1
        else:
            refusal = result
            break
    assert refusal is not None, "the disk never filled up"
    assert_clear_failure(refusal, "full")
    (mounted / "filler").unlink()  # the administrator frees space
    assert set(acknowledged_people) <= attendee_names(cli)
    history = cli.ok("notes", "history", "standup", "--json").json()
    assert len(history) >= acknowledged_edits
    cli.ok("signup", "standup", "After the cleanup")
    assert "After the cleanup" in attendee_names(cli)
    assert_verifies(cli)


# ----- PostgreSQL ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL server of our own (not the suite's), which this test may stop and start."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="meetings-pg-fault-"))
        self.folder.chmod(0o755)  # the postgres user must reach its data folder
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = ""

    def start(self) -> None:
        done = subprocess.run(
            ["bash", str(REPO / ".ci" / "postgres"), "start", str(self.data), str(self.port)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        self.url = done.stdout.strip()

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(REPO / ".ci" / "postgres"), "stop", str(self.data)],
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")) and os.geteuid() != 0:
        pytest.skip("PostgreSQL is not installed and installing it needs root")
    if not shutil.which("runuser") and os.geteuid() == 0:
        pytest.skip("runuser is needed to run PostgreSQL as its own user")
    server = ThrowawayPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def test_a_postgres_server_stopped_mid_run_fails_clearly_and_loses_nothing(
    own_postgres: ThrowawayPostgres, tmp_path: Path
) -> None:
    cli = Cli(Database("postgres", own_postgres.url), tmp_path)
    cli.env["MEETINGS_POSTGRES_CONNECT_TIMEOUT"] = "2"  # the wait is bounded; the default 10 s only slows the test
    cli.ok(*MEETING)
    acknowledged = {"Ada Lovelace", "Grace Hopper"}
    for name in sorted(acknowledged):
        cli.ok("signup", "standup", name)

    # Sign-ups in flight while the server goes down: each either succeeds or fails clearly.
    results: dict[str, Result] = {}

    def sign_up(name: str) -> None:
        results[name] = cli("signup", "standup", name)

    racers = [threading.Thread(target=sign_up, args=(f"Racer {i}",)) for i in range(6)]
    for racer in racers:
        racer.start()
    own_postgres.stop()
    for racer in racers:
        racer.join(timeout=120)
    for name, result in results.items():
        if result.code == 0:
            acknowledged.add(name)
        else:
            assert_clear_failure(result)

    # While it is down: one clear line, after the bounded connection wait.
    assert_clear_failure(cli("signup", "standup", "Too Early"), "cannot open")

    own_postgres.start()
    assert acknowledged <= attendee_names(cli)
    cli.ok("signup", "standup", "After the restart")
    assert "After the restart" in attendee_names(cli)
    assert_verifies(cli)
    listing = json.loads(cli.ok("--json", "list").out)
    assert [row["slug"] for row in listing] == ["standup"]


def test_a_ledger_on_read_only_media_can_still_be_read_and_verified(mounted: Path, tmp_path: Path) -> None:
    cli = Cli(Database("sqlite", str(mounted / "ledger.sqlite")), tmp_path)
    cli.ok(*MEETING)
    cli.ok("signup", "standup", "Ada Lovelace")
    cli.ok("attendees", "standup")  # the read models are up to date before the media turns read-only
    remount(mounted, "ro")
    try:
        assert attendee_names(cli) == {"Ada Lovelace"}
        assert cli.ok("verify").out.startswith("ok: 2 events")
        assert "signed up Ada Lovelace" in cli.ok("audit").out
        assert_clear_failure(cli("signup", "standup", "Grace Hopper"), "read-only")
    finally:
        remount(mounted, "rw")
    cli.ok("signup", "standup", "Grace Hopper")
    assert_verifies(cli)


@pytest.mark.parametrize("value", ["0", "soon"])
@pytest.mark.parametrize("setting", ["MEETINGS_SQLITE_LOCK_TIMEOUT", "MEETINGS_POSTGRES_CONNECT_TIMEOUT"])
def test_a_bad_wait_setting_is_refused_in_one_line_and_writes_nothing(setting: str, value: str, tmp_path: Path) -> None:
    file = tmp_path / "ledger.sqlite"
    unused = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    cli = Cli(Database("sqlite", str(file)) if "SQLITE" in setting else Database("postgres", unused), tmp_path)
    cli.env[setting] = value
    assert_clear_failure(cli(*MEETING), setting.lower(), "whole number of seconds")
    assert not file.exists()
