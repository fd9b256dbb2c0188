"""Crashes: SIGKILL the real `meetings` process at random points, then check what survives.

After every kill the database opens, the hash chain verifies, an import is all or nothing (the
meeting with every event, or no meeting), and the read models equal a rebuild from the events.
The kill points come from a seeded RNG, so a failure replays; the number of kills is bounded.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ledger import chain
from ledger.errors import NotFoundError
from projections import views
from tests.conftest import Cli, meetings_executable
from tests.support import open_ledger, store

pytestmark = pytest.mark.slow

SEED = 20161107
KILLS = 4
PAGE_ATTENDEES = 200
PAGE_TOPICS = 30


def big_page() -> str:
    """A meeting page with hundreds of sign-ups, dozens of topics and their notes: one long append."""
    lines = [
        "# Big summit",
        "",
        "**Location :** Hall A",
        "",
        "**Schedule:** 11/7/16; 1 pm to 4 pm Pacific Time",
        "",
        "**Attendees: [Limit: 150]**",
        "",
    ]
    modes = ["In Person", "In Person", "TBD", "VC"]
    lines += [f"{i}. Person Number{i} ({modes[i % 4]})" for i in range(1, PAGE_ATTENDEES + 1)]
    lines += ["", "**Proposed discussion topics:**", ""]
    lines += [f"{i}. Speaker{i}: Topic number {i}" for i in range(1, PAGE_TOPICS + 1)]
    lines += ["", "# Notes", ""]
    for i in range(1, PAGE_TOPICS + 1):
        lines += [f"## Topic number {i}", "", f"Notes about topic {i}. " * 20, ""]
    return "\n".join(lines) + "\n"


def spawn(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*meetings_executable(), *args], env=cli.env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run_and_kill(cli: Cli, args: tuple[str, ...], after: float) -> bool:
    """Start the command, SIGKILL it `after` seconds later; True when it had already finished cleanly."""
    process = spawn(cli, *args)
    deadline = time.monotonic() + after
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err, err
    return process.returncode == 0


def timed(cli: Cli, *args: str) -> float:
    started = time.monotonic()
    cli.ok(*args)
    return time.monotonic() - started


def read_models(cli: Cli, slugs: list[str]) -> dict[str, Any]:
    """Everything the read side shows of these meetings, read in-process as the next command would."""
    app = open_ledger(cli.db.url)
    try:
        read = store(app)
        return {
            slug: (views.attendees(read, slug), views.agenda(read, slug), views.meeting(read, slug)) for slug in slugs
        }
    finally:
        app.close()


def assert_verifies(cli: Cli) -> None:
    app = open_ledger(cli.db.url)
    try:
        assert chain.verify(chain.stored_rows(app.recorder)).intact
    finally:
        app.close()


def assert_sound(cli: Cli) -> None:
    """The database opens, the hash chain holds, and the read models equal a rebuild from the events."""
    assert cli.ok("verify").out.startswith("ok")
    slugs = [row["slug"] for row in cli.ok("list", "--json").json()]
    before = read_models(cli, slugs)
    cli.ok("rebuild")
    assert read_models(cli, slugs) == before


def test_an_import_killed_at_any_point_leaves_the_whole_meeting_or_nothing(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "summit.md"
    page.write_text(big_page(), encoding="utf-8")
    rng = random.Random(SEED)
    duration = timed(cli, "import", "markdown", str(page), "--slug", "complete")
    whole = cli.ok("attendees", "complete", "--json").json()
    whole_agenda = cli.ok("agenda", "complete", "--json").json()
    assert len(whole["attendees"]) == PAGE_ATTENDEES and len(whole_agenda) == PAGE_TOPICS

    finished = 0
    for kill in range(KILLS):
        slug = f"killed-{kill}"
        finished += run_and_kill(cli, ("import", "markdown", str(page), "--slug", slug), rng.uniform(0, duration))
        try:
            attendees, agenda, _ = read_models(cli, [slug])[slug]
        except NotFoundError as missing:  # not imported: then no meeting at all
            assert "no meeting" in str(missing)
        else:  # imported: then with every sign-up, topic and note
            assert attendees["attendees"] == whole["attendees"]
            assert agenda == whole_agenda
        assert_verifies(cli)
    assert_sound(cli)
    # The same page imports cleanly after all those crashes.
    cli.ok("import", "markdown", str(page), "--slug", "after-the-crashes")
    assert cli.ok("attendees", "after-the-crashes", "--json").json()["attendees"] == whole["attendees"]


def test_a_rebuild_killed_at_any_point_converges_to_the_same_read_models(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    page = tmp_path / "summit.md"
    page.write_text(big_page(), encoding="utf-8")
    cli.ok("import", "markdown", str(page), "--slug", "summit")
    cli.ok("withdraw", "summit", "Person Number1", "--reason", "flight cancelled")
    cli.ok("topic", "move", "summit", "3", "1")
    expected = read_models(cli, ["summit"])
    rng = random.Random(SEED + 1)
    duration = timed(cli, "rebuild")
    for _ in range(KILLS):
        run_and_kill(cli, ("rebuild",), rng.uniform(0, duration))
        # The next reader catches up whatever the killed rebuild left behind.
        assert read_models(cli, ["summit"]) == expected
    assert_sound(cli)


def test_sign_ups_killed_mid_flight_keep_every_acknowledged_seat(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    cli.ok(
        "new",
        "workshop",
        "--title",
        "Workshop",
        "--start",
        "2099-06-01T09:00",
        "--end",
        "2099-06-01T17:00",
        "--tz",
        "America/New_York",
        "--capacity",
        "10",
    )
    rng = random.Random(SEED + 2)
    duration = timed(cli, "signup", "workshop", "Warm Up")
    acknowledged = {"Warm Up"}
    for round_ in range(2):
        processes = {
            f"Round{round_} Person{i}": spawn(cli, "signup", "workshop", f"Round{round_} Person{i}") for i in range(8)
        }
        doomed = rng.sample(sorted(processes), 4)
        time.sleep(rng.uniform(0, duration))
        for name in doomed:
            processes[name].send_signal(signal.SIGKILL)
        for name, process in processes.items():
            _, err = process.communicate(timeout=120)
            assert "Traceback" not in err, err
            if process.returncode == 0:
                acknowledged.add(name)
            else:
                assert name in doomed, f"{name} failed without being killed: {err}"
        doc = read_models(cli, ["workshop"])["workshop"][0]
        names = {entry["name"] for entry in doc["attendees"]}
        assert acknowledged <= names
        assert doc["counts"]["seated"] == min(10, sum(1 for e in doc["attendees"] if e["mode"] == "in-person"))
        assert_verifies(cli)
    assert_sound(cli)
