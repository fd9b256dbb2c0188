"""Many people signing up at once: exactly the room's seats are taken, nobody sees an error."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import Cli, meetings_executable


def sign_up_all_at_once(cli: Cli, slug: str, count: int) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [*meetings_executable(), "signup", slug, f"Person {i:02d}"],
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_forty_simultaneous_signups_fill_25_seats_and_waitlist_15(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    cli.ok(
        "new",
        "rush",
        "--title",
        "Rush",
        "--start",
        "2030-01-01T10:00",
        "--end",
        "2030-01-01T11:00",
        "--tz",
        "UTC",
        "--capacity",
        "25",
    )
    results = sign_up_all_at_once(cli, "rush", 40)
    assert [r.returncode for r in results] == [0] * 40, [r.stderr for r in results if r.returncode]
    assert all(r.stderr == "" for r in results)
    data = cli.ok("attendees", "rush", "--json").json()
    assert len(data["seated"]) == 25
    assert len(data["waitlist"]) == 15
    assert cli.db.event_count() == 41  # the meeting plus 40 sign-ups


@pytest.mark.slow
def test_sixty_simultaneous_signups_fill_25_seats_and_waitlist_35(cli: Cli) -> None:
    cli.ok(
        "new",
        "rush",
        "--title",
        "Rush",
        "--start",
        "2030-01-01T10:00",
        "--end",
        "2030-01-01T11:00",
        "--tz",
        "UTC",
        "--capacity",
        "25",
    )
    results = sign_up_all_at_once(cli, "rush", 60)
    assert [r.returncode for r in results] == [0] * 60, [r.stderr for r in results if r.returncode]
    data = cli.ok("attendees", "rush", "--json").json()
    assert len(data["seated"]) == 25
    assert len(data["waitlist"]) == 35
    # Waitlist order is the order the sign-ups were accepted in.
    positions = [e["waitlist_position"] for e in data["waitlist"]]
    assert positions == list(range(1, 36))
