"""The CLI as people expect it (issue 21): help for bare groups, no ledger made by reading, and more."""

from __future__ import annotations

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
