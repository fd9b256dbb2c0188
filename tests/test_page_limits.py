"""Reading a page takes time linear in its size, whatever it holds, and a page over the size limit is refused.

No test here asserts a time: each compares the CPU time of a page with that of a page ten times its size built
the same way. Linear reading gives a ratio near 10; a pattern that re-scans a run of characters from every
position in it gives near 100 (the patterns this replaced took 30 s on one line of 300 spaces and an `x`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.pages.lines import PAGE_MAX_BYTES
from exports.pages.parser import parse_page
from exports.pages.plan import ImportOptions, page_plan
from ledger.errors import LedgerError

# Runs a careless pattern reads again from every position: spaces, brackets, emphasis, pipes, tags, addresses.
UNITS = [" ", "\t", "[", "![", "(", "*", "_", "|", "<", "<h1>", "a@", " - ", "a,"]
# The part of the page the run is read in: the header, the sign-up list, the agenda, the notes.
PARTS = ["", "**Attendees:**\n\n", "**Proposed discussion topics:**\n\n", "# Notes\n\n## x\n\n"]
LINEAR = 35  # ten times the page, at most this many times the work (quadratic work gives about 100)
OPTIONS = ImportOptions(slug="big", title="Big", start="2024-01-01T10:00", end="2024-01-01T11:00", zone="UTC")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    from ledger import people, storage

    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    ledger = storage.open_ledger(storage.resolve(str(tmp_path / "limits.sqlite")))
    yield ledger
    ledger.close()


def pathological(size: int, unit: str, part: str, line: int) -> str:
    """A page of `size` characters: `part`, then lines of `line` characters repeating `unit`."""
    row = unit * max(1, (line - 2) // len(unit)) + "x\n"
    return part + row * max(1, size // len(row))


def work(app: Any, text: str, runs: int) -> float:
    """The least CPU time of `runs` imports of the page, dry run (read, planned, checked by the ledger)."""
    best = float("inf")
    for _ in range(runs):
        began = time.process_time()
        page = parse_page(text)
        try:
            app.import_meeting(page_plan(page, OPTIONS).plan, dry_run=True)
        except LedgerError:
            pass  # refused as a whole: also an answer, and it has to come as fast
        best = min(best, time.process_time() - began)
    return max(best, 1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("part", PARTS, ids=["header", "sign-ups", "agenda", "notes"])
@pytest.mark.parametrize("line", [1_000, 1_000_000], ids=["short-lines", "one-line"])
def test_a_1mb_page_of_pathological_lines_takes_ten_times_the_work_of_100kb(app: Any, part: str, line: int) -> None:
    for unit in UNITS:
        small_page, large_page = (
            pathological(100_000, unit, part, min(line, 100_000)),
            pathological(1_000_000, unit, part, line),
        )
        small, large = work(app, small_page, 1), work(app, large_page, 1)
        if large / small >= LINEAR:  # measured again, the least of more runs, before it counts as a failure
            small, large = work(app, small_page, 3), min(large, work(app, large_page, 2))
        assert large / small < LINEAR, f"{unit!r}: {large:.3f}s for 1 MB against {small:.3f}s for 100 KB"


HOSTILE = st.text(alphabet=" \t[]()*_|<>!:@.-#`~&;,/1aA", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=HOSTILE, part=st.sampled_from(PARTS), prefix=st.sampled_from(["", "- ", "1. ", "| ", "# ", "**", "a "]))
def test_any_run_of_hostile_characters_is_read_in_linear_time(app: Any, unit: str, part: str, prefix: str) -> None:
    small = work(app, part + prefix + unit * (4_000 // len(unit)) + "x\n", 3)
    large = work(app, part + prefix + unit * (40_000 // len(unit)) + "x\n", 3)
    assert large / small < LINEAR


@pytest.mark.in_process
def test_a_page_over_the_size_limit_is_refused_in_one_line_and_nothing_is_written(
    sqlite_cli: Any, tmp_path: Path
) -> None:
    big = tmp_path / "big.md"
    big.write_text("# Big\n\n" + "x" * PAGE_MAX_BYTES, encoding="utf-8")
    for args, stdin in ((["import", "markdown", str(big)], None), (["import", "markdown", "-"], big.read_text())):
        result = sqlite_cli(*args, input=stdin)
        assert result.code == 2
        assert result.err.strip().splitlines() == [
            f"Error: the page is {PAGE_MAX_BYTES + 1} bytes long; the limit is {PAGE_MAX_BYTES} bytes (2 MB)"
        ]
        assert sqlite_cli.db.event_count() == 0


@pytest.mark.in_process
def test_a_page_just_under_the_limit_is_read(sqlite_cli: Any, tmp_path: Path) -> None:
    page = tmp_path / "under.md"
    head = "# Under\n\n**Schedule:** 7 November 2030; 1 pm to 4 pm (UTC)\n\n# Notes\n\n"
    page.write_text(head + ("y" * 99 + "\n") * ((PAGE_MAX_BYTES - len(head)) // 100), encoding="utf-8")
    result = sqlite_cli("import", "markdown", str(page))
    # The notes are over their own limit: left out and said, the meeting is imported.
    assert result.code == 0, result.err
    assert "Imported under" in result.out and "notes" in result.err


@pytest.mark.in_process
def test_every_missing_field_is_named_in_one_run(sqlite_cli: Any) -> None:
    result = sqlite_cli("import", "markdown", "-", input="1. Ada Lovelace (In Person)\n")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "Error: the page gives no title, slug, time zone or date; give --title, --slug, --tz, --start and --end"
    ]
    assert sqlite_cli.db.event_count() == 0
    timed = sqlite_cli("import", "markdown", "-", "--title", "Call", input="**Schedule:** 2 May 2024, 5 pm\n")
    assert timed.code == 2
    assert "the page gives no time zone or end time; give --tz, --start and --end" in timed.err
