"""PRODUCT.md section 8's verify bars, on the benchmark's big ledger, each beside its baseline from the same run.

12a: `meetings verify` as a process against one Python loop hashing the same bytes with `hashlib` (a process
too, reading the same rows with `sqlite3`): each event's content hash over position, meeting id, version,
topic and state, length-prefixed as ledger/chain.py seals them, then its link to the one before. The loop's
last link must equal the head `verify` prints, which proves both hashed the same bytes.
12b: `meetings verify --deep` (the chain, then every snapshot and read-model document recomputed from the
events) against `meetings rebuild` of the same ledger; runs alternate.
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

from tests.benchmarks import processes
from tests.benchmarks.table import Row, compare

# The chain's bytes (ledger/chain.py `content_hash` and `link`), hashed in one loop over the rows.
HASH_LOOP = (
    "import hashlib, sqlite3, sys\n"
    "sha = hashlib.sha256\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "previous = bytes(32)\n"
    "n = position = 0\n"
    "for position, meeting, version, topic, state in conn.execute("
    "'SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid'):\n"
    "    t = topic.encode()\n"
    "    content = sha(position.to_bytes(8, 'big', signed=True) + bytes.fromhex(meeting)"
    " + version.to_bytes(8, 'big', signed=True) + len(t).to_bytes(4, 'big') + t"
    " + len(state).to_bytes(8, 'big') + state).digest()\n"
    "    previous = sha(previous + content).digest()\n"
    "    n += 1\n"
    "print(n, f'{position}:{previous.hex()}')\n"
)


def bar_verify(ctx: Any, led: Any) -> list[Row]:
    meetings = processes.meetings_command()
    env = ctx.env(led.big)
    runs = 1 if ctx.size.name == "tiny" else max(ctx.size.rebuild_runs, 3)  # tiny proves the machinery
    ours: list[float] = []
    loop: list[float] = []
    deep: list[float] = []
    rebuilt: list[float] = []
    events = 0
    for _ in range(runs):
        checked = processes.checked(processes.run([*meetings, "--json", "verify"], env, timeout=7200), "verify")
        ours.append(checked.wall)
        hashed = processes.checked(processes.run([sys.executable, "-c", HASH_LOOP, str(led.big)], env), "hash loop")
        loop.append(hashed.wall)
        report = json.loads(checked.out)
        count, head = hashed.out.split()
        events = int(report["events"])  # the write bar's sign-ups may have grown the ledger since it was built
        if not report["ok"] or report["head"] != head or int(count) != events:
            raise RuntimeError(f"verify and the hash loop disagree: {report} against {hashed.out.strip()}")
        rebuilt.append(processes.checked(processes.run([*meetings, "rebuild"], env, timeout=7200), "rebuild").wall)
        looked = processes.run([*meetings, "--json", "verify", "--deep"], env, timeout=7200)
        deep_report = json.loads(processes.checked(looked, "verify --deep").out)
        if not deep_report["ok"] or deep_report["deep"]["findings"]:
            raise RuntimeError(f"verify --deep found problems in an untouched ledger: {deep_report}")
        deep.append(looked.wall)
    what = f"{events:,} events, `meetings` as a process, median of {runs}, runs alternating with the baseline's"
    return [
        compare(
            "12a",
            f"verify the chain, {events:,} events",
            events / statistics.median(ours),
            "events/s",
            events / statistics.median(loop),
            "hashlib loop over the same bytes",
            0.5,
            at_most=False,
            note=f"{what}; the baseline is one python process reading the rows with sqlite3 and hashing what each"
            " seal covers (content, then link), ending on the head verify prints",
        ),
        compare(
            "12b",
            f"verify --deep, {events:,} events",
            events / statistics.median(deep),
            "events/s",
            events / statistics.median(rebuilt),
            "meetings rebuild",
            1.0,
            at_most=False,
            note=f"{what}; --deep checks the chain, every meeting's newest snapshot and every read-model document",
        ),
    ]
