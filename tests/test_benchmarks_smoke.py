"""The benchmark command runs end to end and prints a row for every bar (figures are not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BARS = ["1a", "1b", "2", "3", "3b", "3c", "4a", "4b", "5", "6a", "6b", "7a", "7b", "7c", "8", "9a", "9b", "9c", "9d"]
BARS += ["10a", "10b", "10c", "11a", "11b", "11c", "11d", "12a", "12b"]


@pytest.mark.slow
def test_benchmark_prints_every_bar_with_figure_baseline_ratio_target_and_verdict(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks",
            "--size",
            "tiny",
            "--no-khal",
            "--deps-beside",
            "--json-out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    assert "bar | what" in table and "| result" in table
    for bar in BARS:
        assert any(line.startswith(f"{bar} ") for line in table.splitlines()), (bar, table)
    report = json.loads(out.read_text())
    meta = report["meta"]
    # Measured on a fresh `pip install --no-deps .` (a wheel in its own venv), not on the checkout; its
    # dependencies are this venv's (a full install of them proves pip, not the benchmark).
    assert meta["install"] == "installed" and "installed-venv" in meta["executable"], meta
    assert meta["commit"] and "measured on the installed package" in table
    rows = {row["bar"]: row for row in report["bars"]}
    assert sorted(rows) == sorted(BARS)
    for bar, row in rows.items():
        assert row["status"] in ("PASS", "FAIL", "SKIPPED"), (bar, row)
        if row["status"] != "SKIPPED":
            assert row["figure"] is not None and row["target"], (bar, row)
    assert rows["1b"]["status"] == "SKIPPED"  # --no-khal
    assert rows["7a"]["status"] == "PASS", rows["7a"]  # correctness, not speed: 3 seated, 5 waitlisted
    assert "3 seated, 5 waitlisted, 0 answers other than 201" in rows["9c"]["note"], rows["9c"]


def test_importing_the_benchmark_package_runs_nothing() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tests.benchmarks, tests.benchmarks.bars, tests.benchmarks.web, tests.benchmarks.runner;"
            " print('imported')",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout == "imported\n", done.stderr
