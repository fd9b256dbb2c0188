"""Personal data in a page's leftover text: reported with its kind and line, and hidden from the public notes."""

from __future__ import annotations

from typing import Any

import pytest

from exports.pages.parser import parse_page
from exports.pages.personal import hide_personal_data


@pytest.mark.parametrize(
    ("written", "hidden", "kinds"),
    [
        ("- Phone: +1 650-214-2933", "- Phone: [phone hidden]", ["phone"]),
        ("Biltmore (408) 988-8411 (walking distance)", "Biltmore [phone hidden] (walking distance)", ["phone"]),
        ("- Tel.: 763.498.3633", "- Tel.: [phone hidden]", ["phone"]),
        ("- Email: bradnelson@google.com", "- Email: [email hidden]", ["email"]),
        ("from Cameron (czahedi *at* google *dot* com).", "from Cameron ([email hidden]).", ["email"]),
        ("write to bob [at] example [dot] org", "write to [email hidden]", ["email"]),
        ("Wifi: GUEST, event code: msevent454lj", "Wifi: GUEST, event code: [passcode hidden]", ["passcode"]),
        ("Zoom passcode 482913", "Zoom passcode [passcode hidden]", ["passcode"]),
    ],
)
def test_contact_details_and_passcodes_are_found_and_hidden(written: str, hidden: str, kinds: list[str]) -> None:
    assert hide_personal_data(written) == (hidden, kinds)


@pytest.mark.parametrize(
    "written",
    [
        "Dates: 2018-05-31 - 2018-06-01, TC39 2017-2018",
        "Location: (37.3863932, -121.9666314)",
        "[Hotels](https://www.google.com/maps/search/Hotels/@37.4199107,-122.0963779,15z)",
        "see #issuecomment-302154544",
        "GoogleGuest (no password); password reset is at the desk",
        "We meet at 10 dot 5 in the hall",
        "register pinning is expensive",
    ],
)
def test_dates_places_links_and_prose_are_not_personal_data(written: str) -> None:
    assert hide_personal_data(written) == (written, [])


PAGE = """# Team sync

**Schedule:** 7 November 2016; 1 pm to 4 pm (UTC)

- **Contact**:
    - Phone: +1 650-214-2933
    - Email: host@example.org

**Attendees:**

1. Ann Lee (In Person)

# Notes

Reach the chair at chair@example.org.
"""


def test_the_report_names_kind_and_line_and_the_notes_keep_only_the_marks(cli: Any) -> None:
    page = parse_page(PAGE)
    assert [(p.line, p.reason) for p in page.problems] == [
        (6, "personal data: phone, hidden from the public description and notes"),
        (7, "personal data: email, hidden from the public description and notes"),
    ]
    result = cli.ok("import", "markdown", "-", "--slug", "sync", input=PAGE)
    assert "line 6: personal data: phone" in result.err and "line 7: personal data: email" in result.err
    notes = cli.ok("notes", "show", "sync", "--json").json()["text"]
    assert "[phone hidden]" in notes and "[email hidden]" in notes
    assert "650-214-2933" not in notes and "host@example.org" not in notes
    # The page's own notes are the meeting's notes as the group wrote them: kept.
    assert "chair@example.org" in notes
