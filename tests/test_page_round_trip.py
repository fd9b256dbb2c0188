"""Export then import gives the same meeting, whatever text it holds: markup, comments, part names, long lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.pages.escaping import escape_notes, unescape_notes
from exports.pages.exact import EXACT_MARK, description_block
from exports.pages.parser import parse_page
from ledger import text
from ledger.errors import BadInputError
from tests.test_pages import ZONES, assert_round_trip, local_ledger  # noqa: F401 (local_ledger: a fixture)

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéßøΩж日本", min_size=1, max_size=8)
CAPITALISED = WORD.map(str.title)
# What a wiki page reads as markup or structure, and words that name a part of the page.
HOSTILE = st.sampled_from(
    [
        "<!--",
        "-->",
        "*",
        "**",
        "_x_",
        "|",
        "#",
        "##",
        "[",
        "]",
        "`",
        "~~",
        "[maybe]",
        "(remote)",
        "(In Person, waitlist 2)",
        "[Limit: 5]",
        "Who",
        "Attendees",
        "Agenda",
        "Notes",
        "<b>",
        "&amp;",
        "\\",
        "\\*",
        ":",
        " - ",
        "1.",
        "a)",
        "https://example.org/a_(b)",
        "🙂",
        "\u00a0",
        "  ",
        "–",
    ]
)
TOKEN = st.one_of(WORD, CAPITALISED, HOSTILE)


def _line(tokens: list[str], joiners: list[str]) -> str:
    return "".join(t + j for t, j in zip(tokens, joiners, strict=False)).strip()


TEXT = st.builds(_line, st.lists(TOKEN, min_size=1, max_size=8), st.lists(st.sampled_from([" ", ""]), max_size=8))
LONG = st.builds(lambda word, n: " ".join([word] * n)[:480].strip(), WORD, st.integers(20, 60))
# Any characters a one-line value may hold (no controls, no surrogates), private-use ones of plane 16 included.
CHARACTERS = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)
# Lines the importer of a real page reads as fields, parts, sign-ups or personal data.
PAGE_LIKE = st.sampled_from(
    [
        "**Host:** Igalia",
        "Who: Bob",
        "- **Dates**: June 12-13, 2019",
        "Location: Boston",
        "## Attendees",
        "# Notes",
        "**Proposed discussion topics:**",
        "1. Ann Lee (In Person)",
        "2. bob (remote) -- late",
        "<!-- exported by meeting-ledger: exact -->",
        "<!-- description -->",
        "<!-- end of description -->",
        "<pre>",
        "| Name | Mode |",
        "Contact bob@example.org, +1 650-214-2933",
        "Zoom passcode: 482913",
        "ann at example dot org",
        "\U00100000 \U0010ffff",
    ]
)
ANY_LINE = st.one_of(
    TEXT, CHARACTERS, PAGE_LIKE, st.builds(" ".join, st.lists(st.one_of(TOKEN, PAGE_LIKE), max_size=5))
)


def accepted(field: str) -> Any:
    """The values the product accepts for `field` (the commands' own check), and nothing else."""

    def ok(value: str) -> bool:
        try:
            text.check(field, value)
        except BadInputError:
            return False
        return True

    return ok


TITLE = st.one_of(ANY_LINE, LONG.map(lambda t: t[:200].strip())).filter(accepted("title"))
REMARK = st.one_of(st.just(""), ANY_LINE, LONG, st.just("write to bob@example.org")).filter(accepted("remark"))
# Names as the sign-up command takes them: lowercase, digits, punctuation, markup, words that name a part of a page.
NAME = st.one_of(
    st.builds(lambda first, rest: " ".join([first, *rest]), TOKEN, st.lists(st.one_of(TOKEN, HOSTILE), max_size=3)),
    CHARACTERS,
    PAGE_LIKE,
).filter(accepted("name"))
PROPOSER = NAME
DESCRIPTION = st.one_of(
    st.just(""),
    st.lists(WORD, min_size=1, max_size=6).map(" ".join),
    st.lists(st.one_of(ANY_LINE, st.sampled_from(["", " ", "\t"])), min_size=1, max_size=6).map("\n".join),
).filter(accepted("description"))
LOCATION = st.one_of(st.just(""), ANY_LINE).filter(accepted("location"))
VIDEO_URL = st.sampled_from(
    ["", "https://zoom.us/j/123", "https://example.org/a_(b)?x=1&y=*2*#[frag]", "http://meet.example/Who:_~x"]
).filter(accepted("video_url"))
NOTE_LINE = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            "   ",
            "## Agenda",
            "# Notes",
            "### Attendees",
            "**Attendees**",
            "*present*",
            "<!-- still open",
            "-->",
            "---",
            "\\## escaped already",
            "\\",
            "| a | b |",
            "<tr><td>row",
            "a<br>## b",
            "<h2>Heading</h2>",
            "1. Ann Lee (In Person)",
            "\t- item",
            "Who: Bob",
            "Contact bob@example.org, +1 650-214-2933",
        ]
    ),
)
NOTES = st.lists(NOTE_LINE, max_size=6).map("\n".join)


@st.composite
def hostile_meetings(draw: Any) -> dict[str, Any]:
    from datetime import date

    names = draw(st.lists(NAME, max_size=8, unique_by=text.name_key))
    return {
        "title": draw(TITLE),
        "description": draw(DESCRIPTION),
        "location": draw(LOCATION),
        "video_url": draw(VIDEO_URL),
        "zone": draw(st.sampled_from(ZONES)),
        "day": draw(st.dates(min_value=date(2010, 1, 1), max_value=date(2035, 12, 31))),
        "hours": draw(st.tuples(st.integers(8, 12), st.sampled_from([0, 15, 30]), st.integers(1, 30))),
        "capacity": draw(st.one_of(st.none(), st.integers(0, 4))),
        "people": [(n, draw(st.sampled_from(["in-person", "remote", "undecided"])), draw(REMARK)) for n in names],
        "changes": draw(
            st.lists(
                st.tuples(st.integers(0, 20), st.sampled_from(["in-person", "remote", "withdraw", "capacity"])),
                max_size=4,
            )
        ),
        "topics": draw(
            st.lists(st.tuples(TITLE, PROPOSER, st.lists(st.tuples(TITLE, PROPOSER), max_size=2)), max_size=3)
        ),
        "notes": draw(st.lists(NOTES, min_size=6, max_size=6)),
    }


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=hostile_meetings(), number=st.integers(0, 10**9))
def test_exported_page_of_any_meeting_imports_to_the_same_meeting(
    local_ledger: Any,  # noqa: F811
    m: dict[str, Any],
    number: int,
) -> None:
    assert_round_trip(local_ledger, m, f"h{number}-{id(m)}")


@given(st.lists(NOTE_LINE, max_size=8).map("\n".join))
def test_notes_escaping_is_undone_exactly(body: str) -> None:
    assert unescape_notes("\n".join(escape_notes(body))) == body


# Left on a process: one export-then-import round trip end to end, as a user runs it.
def test_hostile_meeting_round_trips_through_the_real_cli(cli: Any, tmp_path: Path) -> None:
    times = ("--start", "2024-05-02T10:00", "--end", "2024-05-02T11:00", "--tz", "Europe/Berlin")
    cli.ok("new", "who", "--title", "Who: <!-- Attendees | Agenda #", *times, "--capacity", "1")
    cli.ok("signup", "who", "Ann [maybe] Lee", "--remark", "-- (remote) <!-- *not* bold")
    cli.ok("signup", "who", "Bob `Agenda` Lee", "--mode", "remote", "--remark", "Who:")
    cli.ok("signup", "who", "Cat | Lee")  # over the limit: waitlisted
    cli.ok("topic", "propose", "who", "Attendees", "--by", "Ann Lee")
    cli.ok("topic", "propose", "who", "1. Notes <!-- [x](y)", "--by", "Bob Lee", "--under", "1")
    cli.ok("notes", "edit", "who", "--file", "-", input="## Agenda\n<!-- open\n\n\n-->\n")
    cli.ok("notes", "edit", "who", "--topic", "1", "--file", "-", input="**Attendees**\n# Notes\n")
    page = tmp_path / "who.md"
    cli.ok("export", "markdown", "who", "-o", str(page))
    result = cli.ok("--json", "import", "markdown", str(page), "--slug", "copy")
    assert json.loads(result.out)["problems"] == []
    for command in (("attendees",), ("agenda",), ("show",), ("notes", "show"), ("notes", "show", "--topic", "1")):
        original = cli.ok("--json", *command, "who").json()
        copied = cli.ok("--json", *command, "copy").json()
        for shown in (original, copied):
            if isinstance(shown, dict):
                for key in ("slug", "created_at", "updated_at", "calendar_uid", "revisions"):
                    shown.pop(key, None)
        assert copied == original, command


def _page(mark: bool, sign_up: str, description: str) -> str:
    head = [EXACT_MARK, ""] if mark else []
    return "\n".join(
        [
            *head,
            "# Review",
            "",
            *description_block(description),
            "",
            "**Schedule:** 2 May 2024; 10 am to 11 am (Europe/Berlin)",
            "",
            "**Attendees:**",
            "",
            sign_up,
            "",
            "**Proposed discussion topics:**",
            "",
            "1. agenda item 7: review",
            "",
        ]
    )


def test_the_mark_makes_the_importer_read_the_page_as_written_and_only_then() -> None:
    description = "Host: Igalia\n## Agenda\nwrite to bob@example.org or +1 650-214-2933"
    marked = parse_page(_page(True, "1. bob 2 (Remote) late", description))
    assert marked.problems == []
    assert [(a.name, a.mode, a.remark) for a in marked.attendees] == [("bob 2", "remote", "late")]
    assert [(t.proposer, t.title) for t in marked.topics] == [("agenda item 7", "review")]
    assert marked.description == description
    # The same lines without the mark are a page like any other: heuristics and personal-data screening apply.
    plain = parse_page(_page(False, "1. bob 2 (Remote) late", description))
    assert [(t.proposer, t.title) for t in plain.topics] == [(None, "agenda item 7: review")]
    assert "bob@example.org" not in plain.description + plain.general_notes


@pytest.mark.in_process
def test_a_marked_page_is_still_checked_by_the_commands(cli: Any, tmp_path: Path) -> None:
    page = tmp_path / "bad.md"
    page.write_text(_page(True, "1. Ann \u202eLee (In Person)", ""), encoding="utf-8")
    # As on any page, a sign-up the commands refuse is a line left out, and --strict refuses the page.
    strict = cli("import", "markdown", str(page), "--slug", "bad", "--strict")
    assert strict.code != 0 and "Traceback" not in strict.err
    assert cli("show", "bad").code != 0  # nothing was written
    loose = cli.ok("import", "markdown", str(page), "--slug", "bad")
    assert "line 10: name must not contain bidirectional control characters" in loose.err
    assert cli.ok("--json", "attendees", "bad").json()["attendees"] == []


@pytest.mark.in_process
def test_an_edited_exported_page_updates_the_meeting_with_any_accepted_name(cli: Any, tmp_path: Path) -> None:
    times = ("--start", "2024-05-02T10:00", "--end", "2024-05-02T11:00", "--tz", "Europe/Berlin")
    cli.ok("new", "wiki", "--title", "Wiki", *times, "--description", "Call +1 650-214-2933 <!-- x")
    cli.ok("signup", "wiki", "ann lee")
    page = tmp_path / "wiki.md"
    cli.ok("export", "markdown", "wiki", "-o", str(page))
    edited = page.read_text(encoding="utf-8").replace(
        "1. ann lee (In Person)", "1. ann lee (In Person)\n2. 3po (Remote)"
    )
    page.write_text(edited, encoding="utf-8")
    cli.ok("import", "markdown", str(page), "--update", "wiki")
    shown = cli.ok("--json", "attendees", "wiki").json()
    assert [(a["name"], a["mode"]) for a in shown["attendees"]] == [("ann lee", "in-person"), ("3po", "remote")]
    assert cli.ok("--json", "show", "wiki").json()["description"] == "Call +1 650-214-2933 <!-- x"
