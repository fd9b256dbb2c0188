"""Ordered tables of wordings: the first pattern a text holds says what the text means."""

from __future__ import annotations

import re

# (meaning, pattern) pairs, tried in order: an earlier row wins where a text holds the wordings of two
# ("Remote waitlist" is a waitlist, "Regrets (remote)" an absence).
Wordings = tuple[tuple[str, re.Pattern[str]], ...]


def wordings(*rows: tuple[str, str]) -> Wordings:
    """A table from (meaning, regular expression) rows, compiled once."""
    return tuple((meaning, re.compile(pattern)) for meaning, pattern in rows)


def meaning_of(table: Wordings, text: str) -> str | None:
    """The meaning of the first row whose pattern occurs in `text`, or None when none does."""
    for meaning, pattern in table:
        if pattern.search(text):
            return meaning
    return None
