"""The limits table and the words every edge shares: checked once, in-process."""

from __future__ import annotations

import pytest

from exports.cli.support import MODE_CHOICE
from ledger import text
from ledger.errors import BadInputError
from ledger.vocabulary import MODE_LABELS, MODE_WORDS, MODES, format_when


@pytest.mark.parametrize("field", sorted(set(text.FIELDS) - {"slug", "email"}))
def test_every_field_refuses_one_character_over_its_limit_by_name(field: str) -> None:
    spec = text.FIELDS[field]
    start = "https://" if spec.kind == "url" else ""
    longest = start + "a" * (spec.limit - len(start))
    assert text.check(field, longest) == longest
    with pytest.raises(BadInputError, match=rf"^{spec.what} is {spec.limit + 1} characters long; the limit is"):
        text.check(field, longest + "a")


def test_names_collapse_spaces_and_urls_must_be_http() -> None:
    assert text.check("name", "  Dawn   Chen ") == "Dawn Chen"
    with pytest.raises(BadInputError, match=r"^video URL must be an http"):
        text.check("video_url", "ftp://example.org")
    with pytest.raises(BadInputError, match="is not an email address"):
        text.check("email", "dawn")


def test_every_mode_has_its_label_its_word_and_its_cli_choice() -> None:
    assert set(MODE_LABELS) == set(MODE_WORDS) == set(MODES)
    assert tuple(MODE_CHOICE.choices) == MODES


def test_when_names_the_end_date_only_when_it_differs() -> None:
    zone = "Europe/Berlin"
    assert format_when("2030-03-10T09:00:00+01:00", "2030-03-10T10:00:00+01:00", zone) == (
        "2030-03-10 09:00-10:00 Europe/Berlin"
    )
    assert format_when("2030-03-10T09:00:00+01:00", "2030-03-11T10:00:00+01:00", zone) == (
        "2030-03-10 09:00-2030-03-11 10:00 Europe/Berlin"
    )
