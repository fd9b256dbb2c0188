"""The CLI as people expect it (issue 21): help for bare groups, no ledger made by reading, and more."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

BARE_GROUPS = [[], ["topic"], ["notes"], ["export"], ["import"], ["feed-token"], ["account"], ["admin"], ["organizers"]]


@pytest.mark.parametrize("words", BARE_GROUPS, ids=lambda words: " ".join(words) or "meetings")
def test_a_bare_group_prints_its_help(sqlite_cli: Cli, words: list[str]) -> None:
    result = sqlite_cli(*words)
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out.startswith("Usage: meetings")
    assert "\nCommands:\n" in result.out


NEW_MEETING = ("new", "m", "--title", "M", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
READS = [
    ["list"],
    ["show", "m"],
    ["attendees", "m"],
    ["agenda", "m"],
    ["notes", "show", "m"],
    ["notes", "history", "m"],
    ["audit"],
    ["verify"],
    ["export", "ics", "m"],
    ["export", "feed"],
    ["export", "markdown", "m"],
    ["account", "list"],
    ["organizers", "list", "m"],
]


@pytest.mark.parametrize("words", READS, ids=" ".join)
def test_a_read_on_a_missing_ledger_says_so_and_creates_nothing(
    sqlite_cli: Cli, tmp_path: Path, words: list[str]
) -> None:
    typo = tmp_path / "typo" / "ledgr.sqlite"
    result = sqlite_cli("--db", str(typo), *words)
    assert result.code == 1, result
    assert result.err.startswith(f"Error: no ledger at {typo};"), result.err
    assert result.err.count("\n") == 1
    assert not typo.parent.exists()


def test_a_write_that_starts_a_ledger_says_where(sqlite_cli: Cli, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite"
    first = sqlite_cli.ok("--db", str(fresh), *NEW_MEETING)
    assert first.out == "Created m.\n"
    assert first.err == f"Started a new ledger at {fresh} (no ledger was there).\n"
    assert sqlite_cli.ok("--db", str(fresh), "signup", "m", "Ann").err == ""


def test_global_options_work_after_the_command(sqlite_cli: Cli, tmp_path: Path) -> None:
    other = str(tmp_path / "other.sqlite")
    sqlite_cli.ok(*NEW_MEETING, "--db", other)
    signed = sqlite_cli.ok("signup", "m", "Ann Lee", "--json", "--db", other, "--as", "bob")
    assert set(signed.json()) == {"position", "summary"}
    assert sqlite_cli.ok("attendees", "m", "--db", other, "--json").json()["seated"][0]["name"] == "Ann Lee"
    assert "(for bob) signed up Ann Lee" in sqlite_cli.ok("audit", "m", "--db", other).out
    assert sqlite_cli.ok("notes", "show", "m", "--db", other, "--json").json()["section"] == "general"
    assert sqlite_cli.ok("export", "ics", "m", "--db", other).out.startswith("BEGIN:VCALENDAR")
    # The ledger named before the command is not touched by one named after it.
    assert sqlite_cli("show", "m").code == 1


def test_change_and_capacity_say_who_was_promoted_and_keep_the_slug_as_typed(sqlite_cli: Cli) -> None:
    sqlite_cli.ok(*NEW_MEETING, "--capacity", "1")
    for name in ("Ann", "Bob", "Cy"):
        sqlite_cli.ok("signup", "m", name)
    assert sqlite_cli.ok("change", "m", "Ann", "--mode", "remote").out == "Ann is now (Remote); promoted Bob.\n"
    assert sqlite_cli.ok("capacity", "m", "5").out == "m capacity is now 5; promoted Cy.\n"
    assert sqlite_cli.ok("change", "m", "Bob", "--remark", "late").out == "Bob is now (In Person) late.\n"
    assert sqlite_cli.ok("withdraw", "m", "Cy").out == "Withdrew Cy from m.\n"
    assert sqlite_cli.ok("capacity", "m", "none", "--json").json()["summary"] == "m capacity is now unlimited"
