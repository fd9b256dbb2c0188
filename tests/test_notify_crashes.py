"""A notifier SIGKILLed at random points sends every message exactly once (counted at the SMTP server).

The server honours Message-IDs, as the notifier's design assumes: a copy of a message it already
holds is counted and dropped. Kills come two ways, from a seeded RNG: at a random moment, and from
inside the server while it accepts the k-th message, so that the notifier dies after the server took
a message and before the notifier recorded it, the worst point there is.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from typing import Any

import pytest

from ledger import storage
from projections import notices
from projections.events import stream_events
from projections.store import ReadStore
from tests.conftest import Cli, meetings_executable
from tests.smtp_support import smtp_server

pytestmark = pytest.mark.slow

SEED = 20261202
EVENTS = 200
ROUNDS = 8
PEOPLE = [("Ann", "ann@example.org"), ("Ben", "ben@example.org"), ("Rita", "rita@example.org"), ("Cy", None)]


def make_events(app: Any, count: int, step: int) -> None:
    """`count` events that call for mail: moves, new places and video links, entries changed by alice."""
    for i in range(step, step + count):
        kind = i % 4
        if kind == 0:
            day = 2 + i % 27
            app.reschedule("crash", f"2030-04-{day:02d}T10:00", f"2030-04-{day:02d}T11:00", None)
        elif kind == 1:
            app.edit_meeting("crash", location=f"Room {i}")
        elif kind == 2:
            app.change_attendance("crash", "Ann", None, f"remark {i}")
        else:
            app.edit_meeting("crash", video_url=f"https://video.example.org/{i}")


def expected_message_ids(app: Any, start: int) -> set[str]:
    """What a notifier that never crashed owes: the follower's fold over the whole log."""
    state = notices.State()
    owed = set()
    for event in stream_events(app):
        if event.kind in notices.FOLDED:
            owed |= {r.message_id for r in notices.rows_for(event, state, event.position > start) if not r.reason}
    return owed


def test_a_notifier_killed_at_random_points_sends_every_message_exactly_once(cli: Cli) -> None:
    rng = random.Random(SEED)
    app = storage.open_ledger(storage.resolve(cli.db.url))
    app.authenticate(for_person="alice")
    app.create_meeting("crash", "Crash test", "2030-05-01T10:00", "2030-05-01T11:00", "Europe/Paris")
    for name, email in PEOPLE:
        app.sign_up("crash", name, email=email)
    with smtp_server() as (box, url):
        env = {
            "MEETINGS_SMTP_URL": url,
            "MEETINGS_MAIL_FROM": "meetings@example.org",
            "MEETINGS_BASE_URL": "http://meetings.example.org",
            "MEETINGS_NOTIFY_RETRY_SECONDS": "0.1",
            "MEETINGS_NOTIFY_LEASE_SECONDS": "1",  # a killed notifier's successor takes over after a second
        }
        cli.ok("notify", "run", "--once", env=env)  # the notifier starts here
        start = int(cli.ok("notify", "status", "--json", env=env).json()["started_at"])
        current: dict[str, Any] = {"proc": None, "kill_at": -1}
        arrived = [0]
        lock = threading.Lock()

        def on_message(_: str) -> None:
            with lock:
                arrived[0] += 1
                proc = current["proc"]
                if proc is not None and arrived[0] == current["kill_at"]:
                    os.kill(proc.pid, signal.SIGKILL)  # the server holds the message; the notifier never hears 250

        box.on_message = on_message
        kills = 0
        per_round = EVENTS // ROUNDS
        for round_number in range(ROUNDS):
            make_events(app, per_round, round_number * per_round)
            proc = subprocess.Popen(
                [*meetings_executable(), "notify", "run"],
                env={**cli.env, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            with lock:
                current["proc"] = proc
                current["kill_at"] = arrived[0] + rng.randint(1, 40) if round_number % 2 == 0 else -1
            if round_number % 2 == 1:
                time.sleep(rng.uniform(0.3, 2.5))
                proc.send_signal(signal.SIGKILL)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
            kills += 1
            with lock:
                current["proc"] = None
        for _ in range(40):
            cli.ok("notify", "run", "--once", env=env)
            if cli.ok("notify", "status", "--json", env=env).json()["queue"]["pending"] == 0:
                break
            time.sleep(0.2)
        shown = cli.ok("notify", "status", "--json", env=env).json()
        owed = expected_message_ids(app, start)
        with box.lock:
            received = dict(box.received)
        assert shown["queue"]["pending"] == 0
        assert shown["queue"]["sent"] == len(owed) > EVENTS
        assert set(received) == owed  # none skipped, none made up
        duplicates = sum(n - 1 for n in received.values())
        assert 1 <= duplicates <= kills  # only a message in flight at a kill arrives twice, and the server drops it
        outbox = {r.message_id: r.status for r in notices.Outbox(ReadStore(app)).rows()}
        assert {m for m, s in outbox.items() if s == notices.SENT} == owed
    app.close()


def test_two_notifiers_at_once_send_each_message_once(cli: Cli) -> None:
    """`serve --notify` on two servers of one ledger: one delivers at a time (a lease), none sends twice."""
    app = storage.open_ledger(storage.resolve(cli.db.url))
    app.authenticate(for_person="alice")
    app.create_meeting("crash", "Crash test", "2030-05-01T10:00", "2030-05-01T11:00", "Europe/Paris")
    for name, email in PEOPLE:
        app.sign_up("crash", name, email=email)
    with smtp_server() as (box, url):
        env = {"MEETINGS_SMTP_URL": url, "MEETINGS_MAIL_FROM": "meetings@example.org"}
        cli.ok("notify", "run", "--once", env=env)
        procs = [
            subprocess.Popen(
                [*meetings_executable(), "notify", "run"],
                env={**cli.env, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            make_events(app, 40, 0)
            owed = expected_message_ids(app, int(cli.ok("notify", "status", "--json").json()["started_at"]))
            deadline = time.monotonic() + 120
            while box.count() < len(owed) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
        with box.lock:
            received = dict(box.received)
        assert set(received) == owed
        assert set(received.values()) == {1}
    app.close()
