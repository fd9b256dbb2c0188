"""A page that looks like it holds sign-ups or topics but yields none, or only some, says so; `--strict` refuses it."""

from __future__ import annotations

from pathlib import Path

from exports.pages.parser import parse_page
from tests.conftest import Cli

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "pages"

HEADER = "# Tools workshop\n\n**Schedule:** 2024-05-02 10:00 to 12:00 UTC\n\n"

# A timetable whose sessions the importer cannot read as topics (the times sit where titles would).
TIMETABLE = (
    HEADER + "| Time | Session | Room |\n|------|---------|------|\n| 10:00 | 0:30 | A |\n| 10:30 | 0:45 | B |\n"
)

# A list of participants given only as addresses: no one to sign up.
ADDRESSES = HEADER + "## Participants\n\n- ada@example.org\n- grace@example.org\n"


def write(tmp_path: Path, name: str, page: str) -> Path:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


def test_a_timetable_that_yields_no_topic_says_so_and_strict_refuses_it(sqlite_cli: Cli, tmp_path: Path) -> None:
    page = write(tmp_path, "timetable.md", TIMETABLE)
    refused = sqlite_cli("import", "markdown", str(page), "--strict")
    assert refused.code == 1
    assert (
        "line 5: looks like a list of topics, but no topic was read from it: | Time | Session | Room |" in refused.err
    )
    assert sqlite_cli.db.event_count() == 0
    dry = sqlite_cli("import", "markdown", str(page), "--strict", "--dry-run")
    assert dry.code == 1 and "looks like a list of topics" in dry.err
    assert sqlite_cli.db.event_count() == 0
    # Without --strict the meeting is imported and the report still says what was not read.
    done = sqlite_cli.ok("--json", "import", "markdown", str(page))
    reasons = [p["reason"] for p in done.json()["problems"]]
    assert "looks like a list of topics, but no topic was read from it" in reasons


def test_participants_given_only_as_addresses_yield_no_sign_up_and_say_so(sqlite_cli: Cli, tmp_path: Path) -> None:
    page = write(tmp_path, "addresses.md", ADDRESSES)
    refused = sqlite_cli("import", "markdown", str(page), "--strict")
    assert refused.code == 1
    assert "line 5: looks like a list of sign-ups, but no sign-up was read from it: Participants" in refused.err
    assert sqlite_cli.db.event_count() == 0


def test_strict_update_refuses_a_page_whose_sign_up_list_is_not_read(sqlite_cli: Cli, tmp_path: Path) -> None:
    sqlite_cli.ok("import", "markdown", str(write(tmp_path, "tools.md", HEADER)))
    before = sqlite_cli.db.event_count()
    page = write(tmp_path, "tools-edited.md", ADDRESSES)
    refused = sqlite_cli("import", "markdown", str(page), "--update", "tools", "--strict")
    assert refused.code == 1 and "looks like a list of sign-ups" in refused.err
    assert sqlite_cli.db.event_count() == before


def test_lists_read_whole_raise_nothing() -> None:
    for page in (
        FIXTURES / "sig-node-f2f-2016.md",
        FIXTURES / "signup-only.md",
        PAGES / "nodejs-summit-2018-berlin-rsvp.md",
    ):
        parsed = parse_page(page.read_text(encoding="utf-8"))
        assert not [p for p in parsed.problems if "read as a" in p.reason or "was read from it" in p.reason], page.name


def test_corpus_pages_whose_timetables_or_lists_were_not_read_say_so() -> None:
    vancouver = parse_page((PAGES / "nodejs-summit-2017-vancouver-agenda.md").read_text(encoding="utf-8"))
    unread = [
        p.line for p in vancouver.problems if p.reason == "looks like a list of topics, but no topic was read from it"
    ]
    # Of the five session tables, the day plans (lines 7 and 20) are read; the plenary plan and the TBD one are not.
    assert unread == [39, 74]

    wasm = parse_page((PAGES / "wasm-cg-2022-10.md").read_text(encoding="utf-8"))
    partial = [(p.line, p.reason) for p in wasm.problems if "but not read as a topic" in p.reason]
    assert partial == [
        (65, "under 'Agenda items' but not read as a topic"),  # "Discuss on the agenda [issue](...)": a pointer
        (111, "under 'Agenda items' but not read as a topic"),
        (112, "under 'Agenda items' but not read as a topic"),
    ]


def test_the_check_names_only_lines_the_importer_left_out_across_the_corpus() -> None:
    """No line reported as not read was read as a sign-up or a topic after all."""
    for page in sorted(PAGES.glob("*.md")):
        parsed = parse_page(page.read_text(encoding="utf-8"))
        read = {a.line for a in parsed.attendees} | {t.line for t in parsed.topics}
        read |= {s.line for t in parsed.topics for s in t.subtopics}
        for problem in parsed.problems:
            if problem.reason.startswith("under ") and " but not read as a " in problem.reason:
                assert problem.line not in read, (page.name, problem)
