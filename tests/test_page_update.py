"""Importing an edited page again (`import markdown PAGE --update SLUG`): a group keeps its wiki page during a
migration, and each re-import appends only the events that take the meeting to what the page now says."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.pages.parser import parse_page
from exports.pages.plan import ImportOptions, page_plan
from ledger.application import Ledger
from ledger.errors import PermissionDeniedError
from tests.conftest import Cli
from tests.test_pages import build, local_ledger, meetings, page_of, state

__all__ = ["local_ledger"]  # a fixture of the round-trip tests, used here too

# The rules of an update, run in this process; the start-up test below starts its own interpreter.
pytestmark = pytest.mark.in_process

SEED_PAGE = Path(__file__).parent / "fixtures" / "sig-node-f2f-2016.md"
SLUG = "sig-node-f2f-2016"


def edited(tmp_path: Path, *edits: tuple[str, str], name: str = "edited.md") -> Path:
    """A copy of the seed page with each (old, new) text replaced; every old text must be on the page."""
    page = SEED_PAGE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in page, old
        page = page.replace(old, new)
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


# A limit one seat lower, one person gone, one mode changed, three new sign-ups (the last waits), a topic gone,
# one retitled, one added in place of the empty item, and a notes sentence changed.
EDITS = (
    ("[Limit: 25]", "[Limit: 23]"),
    ("7. Brandon Philips (In Person) 2:30pm+ b/c of OSC Panel. Remove me if you need the room\n", ""),
    ("19. Piotr Siwczak (TBD)", "19. Piotr Siwczak (Remote)"),
    (
        "23. Ihor Dvoretzkyi (In Person)\n",
        "23. Ihor Dvoretzkyi (In Person)\n24. Ada Lovelace (In Person)\n25. Grace Hopper (In Person)\n"
        "26. Alan Turing (In Person) from Manchester\n",
    ),
    ("3. Vish: Runtime agnostic debugging tools\n", ""),
    ("4. Nodespec standardization (Dawn)", "4. Node spec standardization (Dawn)"),
    ("- 6.", "6. Kubelet checkpointing (Derek Carr)"),
    ("we have the 80%.", "we have the 90%."),
)


def update(cli: Cli, page: Path, *options: str) -> Any:
    return cli.ok("--json", "import", "markdown", str(page), "--update", SLUG, *options).json()


def test_dry_run_lists_exactly_the_events_the_update_appends_and_a_second_update_appends_none(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    page = edited(tmp_path, *EDITS)
    before = cli.db.event_count()

    planned = update(cli, page, "--dry-run")
    assert planned["dry_run"] is True and planned["position"] is None
    assert cli.db.event_count() == before  # a dry run appends nothing

    applied = update(cli, page)
    assert cli.db.event_count() == before + applied["events"] == before + planned["events"]
    assert [c["sentence"] for c in applied["changes"]] == [c["sentence"] for c in planned["changes"]]
    assert [(c["action"], c["person"]) for c in applied["changes"]] == [
        ("capacity-changed", ""),
        ("withdrew", "Brandon Philips"),
        ("attendance-changed", "Piotr Siwczak"),
        ("signed-up", "Ada Lovelace"),
        ("signed-up", "Grace Hopper"),
        ("signed-up", "Alan Turing"),
        ("topic-retitled", ""),
        ("topic-withdrawn", ""),
        ("topic-proposed", "Derek Carr"),
        ("notes-edited", ""),  # the general notes: the old topic's empty heading no longer matches a topic
        ("notes-edited", ""),
    ]
    # The audit holds the same events, in the same words.
    audit = cli.ok("--json", "audit", SLUG, "--format", "json").json()
    assert [e["sentence"] for e in audit[-applied["events"] :]] == [c["sentence"] for c in applied["changes"]]

    again = update(cli, page)
    assert again["events"] == 0 and again["changes"] == [] and again["position"] is None
    assert cli.db.event_count() == before + applied["events"]
    text = cli.ok("import", "markdown", str(page), "--update", SLUG)
    assert text.out == f"{SLUG} already matches the page; nothing to append.\n"


def test_a_first_import_dry_run_counts_the_events_the_import_appends(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    planned = cli.ok("--json", "import", "markdown", str(SEED_PAGE), "--dry-run").json()
    assert planned["dry_run"] is True and planned["position"] is None and cli.db.event_count() == 0
    imported = cli.ok("--json", "import", "markdown", str(SEED_PAGE)).json()
    assert imported["events"] == planned["events"] == cli.db.event_count()
    again = cli("import", "markdown", str(SEED_PAGE), "--dry-run")
    assert again.code == 1 and f"already exists (--update {SLUG} applies a page to it)" in again.err


def test_the_update_takes_the_meeting_to_what_the_page_says(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    cli.ok("import", "markdown", str(edited(tmp_path, *EDITS)), "--update", SLUG)

    roster = cli.ok("--json", "attendees", SLUG).json()
    people = {a["name"]: a for a in roster["attendees"]}
    assert "Brandon Philips" not in people
    assert people["Piotr Siwczak"]["mode"] == "remote"
    assert people["Alan Turing"]["remark"] == "from Manchester"
    assert roster["counts"]["seated"] == 23 and roster["counts"]["waitlisted"] == 1
    assert [a["name"] for a in roster["attendees"] if a.get("waitlist_position")] == ["Alan Turing"]
    assert cli.ok("--json", "show", SLUG).json()["capacity"] == 23

    agenda = cli.ok("--json", "agenda", SLUG).json()
    assert [(t["number"], t["title"], t["proposer"]) for t in agenda] == [
        ("1", "Performance-Sensitive Application Platform", "Jeremy Eder"),
        ("2", "CRI blockers and progress", "Brandon Philips"),
        ("3", "Node spec standardization", "Dawn"),
        ("4", "Packaging/running Kubelet and containers", "Euan"),
        ("5", "Kubelet checkpointing", "Derek Carr"),
    ]
    assert [s["title"] for s in agenda[2]["subtopics"]] == ["Image validation, kernel validation"]
    assert "we have the 90%." in cli.ok("notes", "show", SLUG, "--topic", "1").out

    # The page exported now reads back as the same meeting: an update from it appends nothing.
    exported = tmp_path / "exported.md"
    exported.write_text(cli.ok("export", "markdown", SLUG).out, encoding="utf-8")
    assert update(cli, exported)["events"] == 0


def test_raising_the_limit_on_the_page_seats_the_waitlist(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    update(cli, edited(tmp_path, *EDITS))
    raised = [(old, new.replace("[Limit: 23]", "[Limit: 30]")) for old, new in EDITS]
    result = update(cli, edited(tmp_path, *raised, name="raised.md"))
    assert [(c["action"], c["person"]) for c in result["changes"]] == [
        ("capacity-changed", ""),
        ("promoted", "Alan Turing"),
    ]
    roster = cli.ok("--json", "attendees", SLUG).json()
    assert roster["counts"]["seated"] == 24 and roster["counts"]["waitlisted"] == 0


def test_someone_removed_from_the_page_is_withdrawn_and_the_first_waiting_promoted(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    update(cli, edited(tmp_path, *EDITS))
    without_dawn = edited(tmp_path, *EDITS, ("1. Dawn Chen (In Person)\n", ""), name="without-dawn.md")

    planned = cli.ok("import", "markdown", str(without_dawn), "--update", SLUG, "--dry-run").out
    assert "withdrew Dawn Chen from sig-node-f2f-2016: removed from the page" in planned
    assert "Alan Turing was promoted from the waitlist of sig-node-f2f-2016" in planned
    result = cli.ok("import", "markdown", str(without_dawn), "--update", SLUG)
    # The words `meetings withdraw` says it in.
    assert "Withdrew Dawn Chen from sig-node-f2f-2016; promoted Alan Turing.\n" in result.out
    assert result.out.endswith(f"Updated {SLUG} (2 events).\n")
    roster = cli.ok("--json", "attendees", SLUG).json()
    assert roster["counts"]["waitlisted"] == 0
    assert "Dawn Chen" not in [a["name"] for a in roster["attendees"]]


def test_an_unknown_meeting_is_one_error_line_and_exit_1(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    before = cli.db.event_count()
    for extra in ((), ("--dry-run",)):
        result = cli("import", "markdown", str(edited(tmp_path, *EDITS)), "--update", "sig-node-f2f-2017", *extra)
        assert result.code == 1  # README: 1 refused by a rule or not found
        assert result.err.startswith("Error: no meeting 'sig-node-f2f-2017'") and result.err.count("\n") == 1
        assert "Traceback" not in result.err and result.out == ""
    assert cli.db.event_count() == before


def test_update_refuses_options_that_contradict_it(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    before = cli.db.event_count()
    both = cli("import", "markdown", str(SEED_PAGE), "--update", SLUG, "--skip-existing")
    assert both.code == 2 and both.err.startswith("Error: --update and --skip-existing")
    other = cli("import", "markdown", str(SEED_PAGE), "--update", SLUG, "--slug", "elsewhere")
    assert other.code == 2 and "name different meetings" in other.err
    assert cli.db.event_count() == before


def test_strict_update_refuses_a_page_with_problems_and_applies_nothing(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    before = cli.db.event_count()
    ihor = "23. Ihor Dvoretzkyi (In Person)\n"
    page = edited(tmp_path, (ihor, ihor + "24. Ada Lovelace\n"))
    refused = cli("import", "markdown", str(page), "--update", SLUG, "--strict")
    assert refused.code == 1
    assert "line 52: empty topic item 6" in refused.err and "nothing was applied" in refused.err
    assert cli.db.event_count() == before
    assert update(cli, page)["events"] == 1  # without --strict the readable part is applied


def test_a_page_that_only_lists_sign_ups_keeps_the_meetings_own_title_and_time(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    shown = cli.ok("--json", "show", SLUG).json()
    sheet = tmp_path / "sheet.md"
    attendees = SEED_PAGE.read_text(encoding="utf-8").split("**Attendees: [Limit: 25]**")[1].split("**Proposed")[0]
    sheet.write_text("**Attendees: [Limit: 25]**\n" + attendees + "24. Ada Lovelace (Remote)\n", encoding="utf-8")
    result = update(cli, sheet, "--dry-run")
    actions = [c["action"] for c in result["changes"]]
    assert "signed-up" in actions and "rescheduled" not in actions
    assert not any(c["action"] == "edited" and "title" in c["details"]["changes"] for c in result["changes"])
    update(cli, sheet)
    after = cli.ok("--json", "show", SLUG).json()
    assert (after["title"], after["start"], after["end"]) == (shown["title"], shown["start"], shown["end"])


def test_a_step_a_rule_refuses_is_left_out_and_listed_with_its_line(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    cli.ok("import", "markdown", str(SEED_PAGE))
    ihor = "23. Ihor Dvoretzkyi (In Person)\n"
    page = edited(tmp_path, (ihor, ihor + "24. Ada Lovelace (In Person)\n25. Derek Carr (Remote) again\n"))
    result = cli.ok("import", "markdown", str(page), "--update", SLUG)
    assert "line 41: Derek Carr is already signed up for sig-node-f2f-2016: (In Person): Derek Carr" in result.err
    assert result.out.endswith(f"Updated {SLUG} (1 event); 2 part(s) left out (see above).\n")
    derek = [a for a in cli.ok("--json", "attendees", SLUG).json()["attendees"] if a["name"] == "Derek Carr"]
    assert [(a["mode"], a["remark"]) for a in derek] == [("in-person", "")]  # his first line holds


# ----- in process: the roles hold as for every other write -------------------------------------------


@pytest.fixture
def seeded(ledger: Ledger) -> Ledger:
    """alice's account imports the seed page (so organizes it); bob is a participant."""
    plan = page_plan(parse_page(SEED_PAGE.read_text(encoding="utf-8")), ImportOptions(source_name=SEED_PAGE.name))
    with ledger.acting("alice"):
        ledger.import_meeting(plan.plan)
    return ledger


def _plan(page: str) -> Any:
    return page_plan(parse_page(page), ImportOptions(slug=SLUG)).plan


def test_a_participant_may_not_apply_a_page_that_changes_other_people(seeded: Ledger, tmp_path: Path) -> None:
    page = edited(tmp_path, ("1. Dawn Chen (In Person)\n", "")).read_text(encoding="utf-8")
    before = seeded.storage.last_position()
    with seeded.acting("bob"), pytest.raises(PermissionDeniedError, match="nothing of the page was applied"):
        seeded.update_meeting(SLUG, _plan(page))
    assert seeded.storage.last_position() == before
    with seeded.acting("alice"):
        done = seeded.update_meeting(SLUG, _plan(page))
    assert [c.kind for c in done.changes] == ["Withdrew"]
    assert seeded.storage.last_position() == done.position


def test_a_participant_may_apply_a_page_that_only_adds_their_own_sign_up(seeded: Ledger, tmp_path: Path) -> None:
    page = edited(
        tmp_path, ("23. Ihor Dvoretzkyi (In Person)\n", "23. Ihor Dvoretzkyi (In Person)\n24. bob (Remote)\n")
    )
    with seeded.acting("bob"):
        done = seeded.update_meeting(SLUG, _plan(page.read_text(encoding="utf-8")))
    assert [(c.kind, c.data["person"], c.data["principal"]) for c in done.changes] == [("SignedUp", "bob", "bob")]


# ----- any meeting taken to any other meeting's page ---------------------------------------------------

_EXAMPLES = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=meetings(), new=meetings(), number=st.integers(0, 10**9))
def test_updating_any_meeting_with_another_meetings_page_gives_what_importing_that_page_gives(
    local_ledger: Any, old: dict[str, Any], new: dict[str, Any], number: int
) -> None:
    app, store = local_ledger
    # A fresh pair of slugs per example: ids of freed objects and shrunk numbers repeat.
    unique = next(_EXAMPLES)
    slug, target = f"u{number}-{unique}", f"t{number}-{unique}"
    build(app, slug, old)
    build(app, target, new)
    page = parse_page(page_of(store, target))
    plan = page_plan(page, ImportOptions(slug=slug)).plan

    planned = app.update_meeting(slug, plan, dry_run=True)
    before = app.storage.last_position()
    done = app.update_meeting(slug, plan)
    assert [c.kind for c in done.changes] == [c.kind for c in planned.changes]
    assert app.storage.last_position() == before + len(done.changes)
    assert done.refusals == ()

    updated, wanted = state(store, slug), state(store, target)
    assert updated["meeting"] == wanted["meeting"]
    assert updated["agenda"] == wanted["agenda"] and updated["notes"] == wanted["notes"]
    # Who is signed up, how, and with what remark; seats follow each meeting's own history.
    assert sorted(a[:3] for a in updated["attendees"]) == sorted(a[:3] for a in wanted["attendees"])

    assert app.update_meeting(slug, plan).changes == ()  # a second update appends nothing
    assert app.storage.last_position() == before + len(done.changes)


def test_a_topic_replaced_by_another_in_its_place_is_withdrawn_not_retitled(seeded: Ledger, tmp_path: Path) -> None:
    vish = "3. Vish: Runtime agnostic debugging tools"
    page = edited(tmp_path, (vish, "3. Vish: Budget for 2017")).read_text(encoding="utf-8")
    with seeded.acting("alice"):
        done = seeded.update_meeting(SLUG, _plan(page))
    topics = [(c.kind, c.data.get("title"), c.data.get("position")) for c in done.changes if "Topic" in c.kind]
    assert topics == [
        ("TopicWithdrawn", None, None),
        ("TopicProposed", "Budget for 2017", None),
        ("TopicMoved", None, 3),
    ]
    # A title edited in place, still much like the old one, is the same topic retitled (its notes stay its own).
    retitled = edited(tmp_path, (vish, "3. Vish: Budget for 2017 and 2018"), name="retitled.md")
    with seeded.acting("alice"):
        done = seeded.update_meeting(SLUG, _plan(retitled.read_text(encoding="utf-8")))
    assert [(c.kind, c.data.get("title")) for c in done.changes] == [("TopicRetitled", "Budget for 2017 and 2018")]


def test_other_commands_start_without_the_import_and_update_code() -> None:
    """A sign-up's start-up is the write bar of PRODUCT.md section 8: it must not load the page plans."""
    import subprocess
    import sys

    code = (
        "import sys; import exports.cli.group, ledger.application;"
        "loaded = {'ledger.importing', 'ledger.updating'} & set(sys.modules); assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
