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


def rush_for_25_seats(cli: Cli, people: int) -> None:
    """`people` processes sign up at once: exactly 25 get seats, the rest wait in order, nobody sees an error."""
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
    results = sign_up_all_at_once(cli, "rush", people)
    assert [r.returncode for r in results] == [0] * people, [r.stderr for r in results if r.returncode]
    assert all(r.stderr == "" for r in results)
    data = cli.ok("attendees", "rush", "--json").json()
    assert len(data["seated"]) == 25
    # Waitlist order is the order the sign-ups were accepted in.
    assert [e["waitlist_position"] for e in data["waitlist"]] == list(range(1, people - 25 + 1))
    assert cli.db.event_count() == people + 1  # the meeting plus one sign-up each
    # Every one of those racing appends is sealed into the hash chain.
    # (PostgreSQL positions may skip numbers a lost race consumed, so only SQLite's head is known.)
    head = f", head {people + 1}:" if cli.db.backend == "sqlite" else ""
    assert cli.ok("verify").out.startswith(f"ok: {people + 1} events{head}")


# One rush per backend: it stands for any number of people racing (forty, as earlier tests had,
# added nothing sixty does not cover), and for the hash chain under concurrency (test_verify.py).
@pytest.mark.slow
def test_sixty_simultaneous_signups_fill_25_seats_and_waitlist_35(cli: Cli) -> None:
    rush_for_25_seats(cli, 60)
