"""Meeting pages: a group imports its wiki page into the ledger, and publishes a meeting back as one."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.pages.parser import parse_page
from exports.pages.plan import ImportOptions, import_page, page_plan
from exports.pages.render import render_page
from ledger.errors import LedgerError
from tests.conftest import SEED_ATTENDEES, SEED_TOPICS

FIXTURES = Path(__file__).parent / "fixtures"
SEED_PAGE = FIXTURES / "sig-node-f2f-2016.md"
SLUG = "sig-node-f2f-2016"


# ----- 1. the original page --------------------------------------------------------------------


@pytest.mark.in_process
def test_seed_page_imports_exactly_as_written(cli: Any) -> None:
    result = cli.ok("import", "markdown", str(SEED_PAGE))
    assert f"Imported {SLUG}" in result.out
    assert "line 51: empty topic item 6" in result.err

    show = cli.ok("--json", "show", SLUG).json()
    assert show["title"] == "Sig-node is planning on having a Face to Face meeting in Seattle right before KubeCon"
    assert show["location"] == "Menzies Suite at the Grand Hyatt Seattle"
    assert (show["start"], show["end"]) == ("2016-11-07T13:00:00-08:00", "2016-11-07T16:00:00-08:00")
    assert show["timezone"] == "America/Los_Angeles"
    assert show["video_url"] == "https://zoom.us/j/6229641857"
    assert show["capacity"] == 25

    roster = cli.ok("--json", "attendees", SLUG).json()
    assert [(a["name"], a["mode"], a["remark"]) for a in roster["attendees"]] == SEED_ATTENDEES
    assert roster["counts"]["seated"] == 22 and roster["counts"]["waitlisted"] == 0

    agenda = cli.ok("--json", "agenda", SLUG).json()
    flat = [(t["title"], t["proposer"], None) for t in agenda]
    assert [(t["number"], t["proposer"]) for t in agenda] == [
        ("1", "Jeremy Eder"),
        ("2", "Brandon Philips"),
        ("3", "Vish"),
        ("4", "Dawn"),
        ("5", "Euan"),
    ]
    assert [(s["number"], s["title"], s["proposer"]) for t in agenda for s in t["subtopics"]] == [
        ("4a", "Image validation, kernel validation", "Dawn"),
        ("5a", "Sig-cluster-lifecycle related work", "Euan"),
    ]
    assert [t for t, _, _ in flat] == [t for t, _, parent in SEED_TOPICS if parent is None]
    assert len(agenda) == 5  # the empty item 6 was left out

    first = cli.ok("notes", "show", SLUG, "--topic", "1").out
    assert first.startswith("What is it? Laundry list of features")
    assert first.rstrip().endswith("Jeremy: Less value if it's not part of the product. We can prototype this stuff..")
    assert cli.ok("notes", "show", SLUG, "--topic", "2").out.startswith("- 1.5 - What's the state")
    assert cli.ok("notes", "show", SLUG, "--topic", "3").out.rstrip().endswith("for now incrementally improve.")
    assert cli.ok("notes", "show", SLUG, "--topic", "4").out.strip() == ""  # the page's section is empty
    general = cli.ok("notes", "show", SLUG, "--json").json()["text"]  # the text form adds each topic's after it
    assert "Original sig-node mailing list thread [here](#)." in general
    assert "add yourself to the list below" in general
    assert "Laundry list" not in general

    history = cli.ok("--json", "notes", "history", SLUG, "--topic", "1").json()
    assert [r["by"] for r in history] == ["alice"]  # attributed to whoever imported


@pytest.mark.in_process
def test_title_and_slug_can_be_given(cli: Any) -> None:
    cli.ok("import", "markdown", "-", "--slug", "seed", "--title", "Sig-node F2F", input=SEED_PAGE.read_text())
    assert cli.ok("--json", "show", "seed").json()["title"] == "Sig-node F2F"


@pytest.mark.in_process
def test_import_is_one_append_and_refuses_an_existing_slug(cli: Any) -> None:
    cli.ok("import", "markdown", str(SEED_PAGE))
    count = cli.db.event_count()
    assert count == 1 + 23 + 7 + 4  # scheduled, sign-ups, topics, notes sections
    again = cli("import", "markdown", str(SEED_PAGE))
    assert again.code == 1 and "already exists" in again.err
    assert cli.db.event_count() == count


@pytest.mark.in_process
def test_strict_import_refuses_a_page_with_problems_and_writes_nothing(cli: Any) -> None:
    result = cli("import", "markdown", str(SEED_PAGE), "--strict")
    assert result.code == 1
    assert "line 51: empty topic item 6" in result.err
    assert cli.db.event_count() == 0


@pytest.mark.in_process
def test_page_without_a_time_needs_start_and_end(cli: Any) -> None:
    page = FIXTURES / "signup-only.md"
    refused = cli("import", "markdown", str(page), "--title", "Community call", "--tz", "UTC")
    assert refused.code == 2 and "--start" in refused.err and "--end" in refused.err
    assert cli.db.event_count() == 0
    cli.ok(
        "import",
        "markdown",
        str(page),
        "--title",
        "Community call",
        "--tz",
        "Europe/Paris",
        "--start",
        "2024-05-02T17:00",
        "--end",
        "2024-05-02T18:00",
    )
    roster = cli.ok("--json", "attendees", "signup-only").json()
    assert [(a["name"], a["mode"], a["remark"]) for a in roster["attendees"]] == [
        ("Ada Lovelace", "in-person", ""),
        ("Grace Hopper", "remote", "joining from the car"),
        ("Alan Turing", "undecided", ""),
    ]


@pytest.mark.in_process
def test_exported_seed_page_reads_like_the_original(cli: Any, tmp_path: Path) -> None:
    cli.ok("import", "markdown", str(SEED_PAGE))
    page = cli.ok("export", "markdown", SLUG).out
    assert "**Location :** Menzies Suite at the Grand Hyatt Seattle" in page
    assert "**Schedule:** 7 November 2016; 1 pm to 4 pm (America/Los_Angeles)" in page
    assert "**Attendees: [Limit: 25]**" in page
    assert "7. Brandon Philips (In Person) 2:30pm+ b/c of OSC Panel. Remove me if you need the room" in page
    assert "19. Piotr Siwczak (TBD)" in page
    assert "  - a. Dawn: Image validation, kernel validation" in page
    assert "## CRI blockers and progress" in page
    out = tmp_path / "copy.md"
    cli.ok("export", "markdown", SLUG, "-o", str(out))
    cli.ok("import", "markdown", str(out), "--slug", "copy")
    for command in ("attendees", "agenda"):
        original = cli.ok("--json", command, SLUG).json()
        copy = cli.ok("--json", command, "copy").json()
        if isinstance(original, dict):
            original.pop("slug"), copy.pop("slug")
        assert copy == original
    before = cli("export", "markdown", SLUG, "--as-of", "2000-01-01T00:00:00+00:00")
    assert before.code == 1 and "did not exist yet" in before.err


# ----- 2. export then import gives the same meeting -----------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéß", min_size=1, max_size=8)
NAME = st.builds(lambda a, b: f"{a.title()} {b.title()}", WORD, WORD)
TITLE = st.lists(WORD, min_size=1, max_size=6).map(lambda ws: " ".join([ws[0].title(), *ws[1:]]))
REMARK = st.one_of(st.just(""), st.lists(WORD, min_size=1, max_size=5).map(" ".join))
NOTES = st.lists(st.lists(WORD, min_size=1, max_size=8).map(" ".join), max_size=4).map("\n\n".join)
ZONES = ["America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "UTC", "Australia/Sydney"]


@st.composite
def meetings(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(NAME, max_size=12, unique_by=lambda n: n.casefold()))
    return {
        "title": draw(TITLE),
        "description": draw(st.one_of(st.just(""), TITLE.map(lambda t: t + "."))),
        "location": draw(st.one_of(st.just(""), TITLE)),
        "video_url": draw(st.sampled_from(["", "https://zoom.us/j/123", "https://meet.example.org/a?b=c"])),
        "zone": draw(st.sampled_from(ZONES)),
        "day": draw(
            st.dates(
                min_value=__import__("datetime").date(2010, 1, 1), max_value=__import__("datetime").date(2035, 12, 31)
            )
        ),
        "hours": draw(st.tuples(st.integers(8, 12), st.sampled_from([0, 15, 30]), st.integers(1, 30))),
        "capacity": draw(st.one_of(st.none(), st.integers(0, 6))),
        "people": [
            (n, draw(st.sampled_from(["in-person", "in-person", "remote", "undecided"])), draw(REMARK)) for n in names
        ],
        # Later changes that make the waitlist differ from sign-up order.
        "changes": draw(
            st.lists(
                st.tuples(
                    st.integers(0, 20), st.sampled_from(["in-person", "remote", "undecided", "withdraw", "capacity"])
                ),
                max_size=6,
            )
        ),
        "topics": draw(st.lists(st.tuples(TITLE, NAME, st.lists(st.tuples(TITLE, NAME), max_size=2)), max_size=4)),
        "notes": draw(st.lists(NOTES, min_size=6, max_size=6)),
    }


def build(app: Any, slug: str, m: dict[str, Any]) -> None:
    from datetime import datetime, timedelta

    hour, minute, length = m["hours"]
    start = datetime.combine(m["day"], datetime.min.time()).replace(hour=hour, minute=minute)
    end = start + timedelta(minutes=length * 15)
    app.create_meeting(
        slug,
        m["title"],
        start.isoformat(),
        end.isoformat(),
        m["zone"],
        m["location"],
        m["video_url"],
        m["description"],
        m["capacity"],
    )
    for name, mode, remark in m["people"]:
        app.sign_up(slug, name, mode, None, remark)
    for index, action in m["changes"]:
        try:
            if action == "capacity":
                app.change_capacity(slug, index % 4)
            elif m["people"]:
                name = m["people"][index % len(m["people"])][0]
                if action == "withdraw":
                    app.withdraw(slug, name)
                else:
                    app.change_attendance(slug, name, action, None)
        except LedgerError:
            pass  # not signed up any more, or already like that
    for title, proposer, subs in m["topics"]:
        app.propose_topic(slug, title, proposer)
        parent = app.get_meeting(slug).agenda.next_topic_id - 1
        for sub_title, sub_proposer in subs:
            app.propose_topic(slug, sub_title, sub_proposer, parent)
    meeting = app.get_meeting(slug)
    sections: list[int | None] = [None, *[t.topic_id for t in meeting.agenda.active()]]
    for topic_id, body in zip(sections, m["notes"], strict=False):
        if body:
            app.edit_notes(slug, topic_id, body)


def state(store: Any, slug: str) -> dict[str, Any]:
    from projections import queries

    store.catch_up(queries.MODELS)
    meeting = queries.meeting(store, slug).to_json()
    roster = queries.attendees(store, slug).to_json()
    agenda = queries.agenda(store, slug).to_json()
    notes = queries.all_notes(store, slug)
    return {
        "meeting": {
            k: meeting[k]
            for k in ("title", "start", "end", "timezone", "location", "video_url", "description", "capacity")
        },
        "attendees": [
            (a["name"], a["mode"], a["remark"], a["status"], a.get("waitlist_position")) for a in roster["attendees"]
        ],
        "agenda": [
            (t["number"], t["title"], t["proposer"], [(s["title"], s["proposer"]) for s in t["subtopics"]])
            for t in agenda
        ],
        "notes": {
            "general": notes.get("general", ""),
            **{t["number"]: notes.get(f"topic-{t['id']}", "") for item in agenda for t in [item, *item["subtopics"]]},
        },
    }


def page_of(store: Any, slug: str) -> str:
    from projections import queries

    store.catch_up(queries.MODELS)
    return render_page(
        queries.meeting(store, slug),
        queries.attendees(store, slug),
        queries.agenda(store, slug),
        queries.all_notes(store, slug),
    )


@pytest.fixture
def local_ledger(tmp_path: Path) -> Any:
    from ledger import people, storage
    from projections.store import ReadStore

    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(str(tmp_path / "roundtrip.sqlite")))
    yield app, ReadStore(app)
    app.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=meetings(), number=st.integers(0, 10**9))
def test_exported_page_imports_to_the_same_meeting(local_ledger: Any, m: dict[str, Any], number: int) -> None:
    assert_round_trip(local_ledger, m, f"m{number}-{id(m)}")


_EXAMPLES = itertools.count()


def assert_round_trip(local_ledger: Any, m: dict[str, Any], slug: str) -> None:
    """The meeting built from `m`, exported and imported again under another slug, is the same meeting."""
    app, store = local_ledger
    slug = f"{slug}-{next(_EXAMPLES)}"  # hypothesis replays examples into the same ledger: slugs must not repeat
    copy = f"copy-{slug}"
    build(app, slug, m)
    page = page_of(store, slug)
    parsed = parse_page(page)
    assert parsed.problems == [], page
    import_page(app, parsed, ImportOptions(slug=copy))
    assert state(store, copy) == state(store, slug), page


def test_waitlisted_before_seated_survives_the_round_trip(local_ledger: Any) -> None:
    app, store = local_ledger
    app.create_meeting("room", "Small room", "2024-01-10T10:00", "2024-01-10T11:00", "UTC", capacity=2)
    app.sign_up("room", "Ann A")
    app.sign_up("room", "Bob B", "remote")
    app.sign_up("room", "Cat C")
    app.sign_up("room", "Dan D")  # waitlisted 1
    app.change_attendance("room", "Bob B", "in-person", None)  # waitlisted 2, above Dan in the list
    app.change_capacity("room", 1)  # over capacity: nobody is removed
    page = page_of(store, "room")
    assert "2. Bob B (In Person, waitlist 2)" in page and "4. Dan D (In Person, waitlist 1)" in page
    import_page(app, parse_page(page), ImportOptions(slug="room-copy"))
    assert state(store, "room-copy") == state(store, "room")


def test_page_over_its_limit_waitlists_the_last_in_person_sign_ups(local_ledger: Any) -> None:
    app, store = local_ledger
    page = parse_page((FIXTURES / "w3c-f2f-2019.md").read_text())
    import_page(app, page, ImportOptions(slug="w3c"))
    roster = state(store, "w3c")["attendees"]
    assert [(n, s) for n, _, _, s, _ in roster if s in ("seated", "waitlisted")] == [
        ("Léonie Watson", "seated"),
        ("Marcos Cáceres", "seated"),
        ("Anne van Kesteren", "seated"),
        ("Olli Pettay", "seated"),
        ("Domenic Denicola", "waitlisted"),
    ]


# ----- 3. pages of other communities -------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "ietf-interim-2023.md",
            {
                "title": "MLS WG Virtual Interim Meeting",
                "start": "2023-02-14T16:00:00+00:00",
                "timezone": "UTC",
                "attendees": 5,
                "remote": 4,
                "undecided": 1,
                "topics": 4,
                "subtopics": 3,
                "topic_notes": 2,
                "problems": 0,
            },
        ),
        (
            "w3c-f2f-2019.md",
            {
                "title": "WebApps WG Face-to-Face, TPAC 2019",
                "start": "2019-09-16T09:00:00+09:00",
                "timezone": "Asia/Tokyo",
                "attendees": 7,
                "remote": 1,
                "undecided": 1,
                "topics": 3,
                "subtopics": 0,
                "topic_notes": 2,
                "problems": 0,
            },
        ),
        (
            "nodejs-collab-summit-2019.md",
            {
                "title": "Node.js Collaborator Summit, Berlin 2019",
                "start": "2019-05-30T09:00:00+02:00",
                "timezone": "Europe/Berlin",
                "attendees": 8,
                "remote": 2,
                "undecided": 2,
                "topics": 3,
                "subtopics": 2,
                "topic_notes": 0,
                "problems": 1,
            },
        ),
    ],
)
def test_pages_of_other_communities_import_with_the_right_counts(
    local_ledger: Any, fixture: str, expected: dict[str, Any]
) -> None:
    app, store = local_ledger
    imported = import_page(app, parse_page((FIXTURES / fixture).read_text()), ImportOptions(source_name=fixture))
    assert imported.slug == fixture.removesuffix(".md")
    got = state(store, imported.slug)
    modes = [mode for _, mode, _, _, _ in got["attendees"]]
    assert got["meeting"]["title"] == expected["title"]
    assert got["meeting"]["start"] == expected["start"]
    assert got["meeting"]["timezone"] == expected["timezone"]
    assert len(modes) == expected["attendees"]
    assert modes.count("remote") == expected["remote"]
    assert modes.count("undecided") == expected["undecided"]
    assert len(got["agenda"]) == expected["topics"]
    assert sum(len(subs) for *_, subs in got["agenda"]) == expected["subtopics"]
    assert sum(1 for k, v in got["notes"].items() if k != "general" and v) == expected["topic_notes"]
    assert len(imported.problems) == expected["problems"]


def test_regrets_are_not_sign_ups_and_headings_give_modes() -> None:
    page = parse_page((FIXTURES / "w3c-f2f-2019.md").read_text())
    names = {a.name: a.mode for a in page.attendees}
    assert "Chaals McCathie Nevile" not in names
    assert names["Travis Leithead"] == "remote" and names["Xiaoqian Wu"] == "undecided"
    assert page.location == "Room 501, Hilton Fukuoka Sea Hawk"
    assert page.video_url == "https://www.w3.org/2019/09/tpac/webapps-bridge"


def test_a_line_break_tag_separates_lines_but_not_a_table_rows_cells() -> None:
    # "Ann<br>Bob" is two lines to a reader, in any case of the tag; inside a table row the
    # cell keeps its words apart on one line; "&lt;br&gt;" is the text "<br>", not a break.
    page = parse_page(
        "# Face to face\n\n**Attendees:**\n\n"
        "1. Ann Lee (In Person)<br>2. Bob Ray (Remote)<BR/>3. Cy Dee (In Person)<br>\n\n"
        "**Proposed discussion topics:**\n\n"
        "1. Ann Lee: Packaging &lt;br&gt; tags\n"
    )
    assert [(a.name, a.mode) for a in page.attendees] == [
        ("Ann Lee", "in-person"),
        ("Bob Ray", "remote"),
        ("Cy Dee", "in-person"),
    ]
    assert [t.title for t in page.topics] == ["Packaging <br> tags"]
    table = parse_page(
        "# Face to face\n\n**Attendees:**\n\n| Name | Remote? | Notes |\n| --- | --- | --- |\n"
        "| Dee Fox | no | first<br>day |\n<tr><td>Eve Gil</td><td>yes</td><td>a<br />b</td></tr>\n"
    )
    assert [(a.name, a.remark) for a in table.attendees] == [("Dee Fox", "first day"), ("Eve Gil", "a b")]


@pytest.mark.parametrize(
    ("written", "start", "end", "zone"),
    [
        ("11/7/16; 1 pm to 4 pm Pacific Time", (2016, 11, 7, 13, 0), (16, 0), "America/Los_Angeles"),
        ("23 May, 2011, 9am - 6pm PDT (UTC-7)", (2011, 5, 23, 9, 0), (18, 0), "America/Los_Angeles"),
        ("Monday, November 7, 2016, 13:00–16:30 (UTC)", (2016, 11, 7, 13, 0), (16, 30), "UTC"),
        ("2024-03-18 11-1pm Europe/Berlin", (2024, 3, 18, 11, 0), (13, 0), "Europe/Berlin"),
        ("7 November 2016; 12 pm to 12:45 pm (UTC+2)", (2016, 11, 7, 12, 0), (12, 45), "Etc/GMT-2"),
    ],
)
def test_schedules_in_the_styles_pages_use(
    written: str, start: tuple[int, ...], end: tuple[int, int], zone: str
) -> None:
    page = parse_page(f"# Meeting\n\n**Schedule:** {written}\n")
    assert page.start_date is not None and page.start_time is not None and page.end_time is not None
    assert (
        page.start_date.year,
        page.start_date.month,
        page.start_date.day,
        page.start_time.hour,
        page.start_time.minute,
    ) == start
    assert (page.end_time.hour, page.end_time.minute) == end
    assert page.zone == zone


# ----- 4. any text at all -----------------------------------------------------------------------

PAGE_BITS = st.sampled_from(
    [
        "# Notes",
        "## ",
        "**Attendees: [Limit: 3]**",
        "1. Ann (In Person)",
        "- a. ",
        "- 6.",
        "|",
        "| a | b |",
        "<tr><td>",
        "</tr>",
        "<!--",
        "-->",
        "**Schedule:** 1/2/3 4-5 pm PT",
        "**VC:**",
        "(remote)",
        "[maybe]",
        "---",
        "Will attend remotely",
        "Proposed discussion topics:",
        "Dawn: x (y)",
        "  - ",
        "\t",
        "\r",
        "<br>",
        "\u2028",
        "\x00",
        "(In Person, waitlist 0)",
        "[Limit: 99999999]",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.text(max_size=400), st.lists(st.one_of(PAGE_BITS, st.text(max_size=20)), max_size=40).map("\n".join))
)
def test_arbitrary_text_never_crashes_the_importer(local_ledger: Any, page_text: str) -> None:
    app, _ = local_ledger
    page = parse_page(page_text)
    options = ImportOptions(slug="any", title="Any", start="2024-01-01T10:00", end="2024-01-01T11:00", zone="UTC")
    try:
        outcome = app.import_meeting(page_plan(page, options).plan, dry_run=True)
    except LedgerError:
        return  # refused with a message, as a user would see it
    assert outcome.slug == "any"


# Left on a process: raw bytes on the real stdin of the installed command.
def test_arbitrary_bytes_through_the_real_command_give_one_line_and_no_traceback(sqlite_cli: Any) -> None:
    for text in ["\x00\x01 # \n- (In Person)\n", "**Schedule:** 99/99/99 25 pm", "", "# Only a title\n"]:
        result = sqlite_cli("import", "markdown", "-", input=text)
        assert result.code in (0, 1, 2)
        assert "Traceback" not in result.err
