"""PRODUCT.md section 8's privacy bars: personal data encrypted against the same ledger in plain text, and erasure.

10a-10c: `attendees`, the meeting page and the feed, each right after a sign-up (so the read models
catch up on, and decrypt, the new events before answering), on a ledger whose personal data is
encrypted beside the same ledger built with MEETINGS_PLAINTEXT_EVENTS=1; medians of interleaved runs.
10d: `meetings erase` of a person signed up for N meetings beside `meetings rebuild` of a ledger of
exactly those N meetings (one rebuild of their documents).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import bars, ledgers, processes
from tests.benchmarks.table import Row, compare

PLAIN = "MEETINGS_PLAINTEXT_EVENTS"


def _build(path: Path, meetings: int, events: int, *, plain: bool) -> None:
    if plain:
        os.environ[PLAIN] = "1"
    try:
        ledgers.build(path, meetings, events)
    finally:
        os.environ.pop(PLAIN, None)


def bar_encrypted_reads(ctx: Any) -> list[Row]:
    size = ctx.size
    meetings = processes.meetings_command()
    dbs = {"encrypted": ctx.work / "privacy-encrypted.sqlite", "plain": ctx.work / "privacy-plain.sqlite"}
    envs = {}
    for name, db in dbs.items():
        _build(db, size.small_meetings, size.events_per_meeting, plain=name == "plain")
        envs[name] = {**ctx.env(db), **({PLAIN: "1"} if name == "plain" else {})}
    slug = "m00000"
    times: dict[tuple[str, str], list[float]] = {}
    ports = {name: processes.free_port() for name in dbs}
    servers = [processes.start_serving(envs[name], ports[name]) for name in dbs]
    try:
        for name in dbs:
            processes.checked(processes.run([*meetings, "attendees", slug], envs[name]), "attendees")
            bars.fetch(ports[name], f"/meetings/{slug}")
        for run in range(size.read_runs):
            for name in dbs:
                env = envs[name]
                for what in ("attendees", "page", "feed"):
                    signup = [*meetings, "signup", slug, f"Privacy Bench {run} {what}", "--remark", "a remark"]
                    processes.checked(processes.run([*signup, "--mode", "remote"], env), "signup")
                    if what == "attendees":
                        wall = processes.checked(processes.run([*meetings, "attendees", slug], env), "read").wall
                    else:
                        path = f"/meetings/{slug}" if what == "page" else "/calendar.ics"
                        started = time.perf_counter()
                        bars.fetch(ports[name], path)
                        wall = time.perf_counter() - started
                    times.setdefault((name, what), []).append(wall)
    finally:
        processes.stop(servers)
    rows = []
    for bar, what, label in (
        ("11a", "attendees", "`attendees` after a sign-up"),
        ("11b", "page", "meeting page after a sign-up"),
        ("11c", "feed", "calendar feed after a sign-up"),
    ):
        rows.append(
            compare(
                bar,
                f"privacy: {label}, personal data encrypted",
                statistics.median(times[("encrypted", what)]) * 1000,
                "ms",
                statistics.median(times[("plain", what)]) * 1000,
                "same ledger, plain text",
                1.2,
                at_most=True,
                note=f"median of {size.read_runs} runs each, {size.small_meetings} meetings",
            )
        )
    return rows


ERASE_RUNS = 3


def bar_erase(ctx: Any) -> Row:
    """Erase a person signed up for N meetings, beside one rebuild of exactly those meetings' documents."""
    count = 1_000 if ctx.size.name != "tiny" else 20
    db = ctx.work / "privacy-erase.sqlite"
    app = ledgers.open_app(db)
    pending: list[Any] = []
    for index in range(count):
        meeting = ledgers.new_meeting(f"e{index:05d}", index)
        for other in range(5):
            meeting.sign_up(f"Other Person {other}", "in-person", None, "")
        meeting.sign_up("Erin Erased", "in-person", "erin@example.org", "my remark")
        pending.append(meeting)
        if len(pending) == ledgers.SAVE_EVERY:
            app.save(*pending)
            pending = []
    if pending:
        app.save(*pending)
    ledgers.catch_up_models(app)
    app.close()
    copies = [ctx.work / f"privacy-erase-{run}.sqlite" for run in range(ERASE_RUNS)]
    for copy in copies:  # each erasure on a fresh copy of the same ledger, made before anything else runs
        for suffix in ("", "-wal"):
            if Path(f"{db}{suffix}").exists():
                shutil.copyfile(f"{db}{suffix}", f"{copy}{suffix}")
    meetings = processes.meetings_command()
    rebuilds, erasures = [], []
    for copy in copies:  # alternating
        rebuilds.append(processes.checked(processes.run([*meetings, "rebuild"], ctx.env(db)), "rebuild").wall)
        erase = processes.run([*meetings, "erase", "erin@example.org", "--reason", "benchmark"], ctx.env(copy))
        erasures.append(processes.checked(erase, "erase").wall)
    return compare(
        "11d",
        f"privacy: erase a person who attended {count:,} meetings",
        statistics.median(erasures),
        "s",
        statistics.median(rebuilds),
        f"`meetings rebuild` of those {count:,} meetings",
        1.0,
        at_most=True,
        note=f"whole processes, medians of {ERASE_RUNS} alternating runs; the erasure rewrites the documents"
        " of the meetings that held their data",
    )
