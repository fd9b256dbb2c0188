"""The `meetings` command's contract: text output, exit codes, one-line errors, options (the rules: test_rules.py)."""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from tests.conftest import Cli
from tests.support import attendees, names, new_meeting, seed_meeting, sign_up_many

SLUG = "sig-node-f2f-2016"


def test_help_lists_every_command_group(sqlite_cli: Cli) -> None:
    out = sqlite_cli.ok("--help").out
    for command in (
        "new",
        "edit",
        "reschedule",
        "cancel",
        "reinstate",
        "capacity",
        "list",
        "show",
        "signup",
        "withdraw",
        "change",
        "attendees",
        "topic",
        "agenda",
        "notes",
        "rebuild",
    ):
        assert f"  {command} " in out, command


def test_seed_meeting_prints_numbered_as_on_the_page(cli: Cli, ledger: Ledger) -> None:
    seed_meeting(ledger)  # the JSON and the script itself: test_rules.py, test_golden_json.py
    lines = cli.ok("attendees", SLUG).out.splitlines()
    assert lines[0] == "Attendees: [Limit: 25] 22 seated"
    assert lines[1] == "1. Dawn Chen (In Person)"
    assert lines[7] == "7. Brandon Philips (In Person) 2:30pm+ b/c of OSC Panel. Remove me if you need the room"
    assert lines[19] == "19. Piotr Siwczak (TBD)"
    assert lines[23] == "23. Ihor Dvoretzkyi (In Person)"
    assert len(lines) == 24

    agenda_lines = cli.ok("agenda", SLUG).out.splitlines()
    assert agenda_lines[0].startswith("1. Performance-Sensitive Application Platform (Jeremy Eder)")
    assert agenda_lines[4].startswith("  - a. Image validation, kernel validation (Dawn)")


def test_commands_report_promotions_and_the_room_being_over_capacity(cli: Cli, ledger: Ledger) -> None:
    new_meeting(ledger, "room", capacity=2)  # the rules themselves: test_rules.py
    sign_up_many(ledger, "room", ["Ann", "Ben", "Cid"])
    assert "promoted Cid" in cli.ok("withdraw", "room", "ann", "--reason", "needs the room").out
    sign_up_many(ledger, "room", ["Dee"])
    ledger.change_capacity("room", 3)
    cli.ok("capacity", "room", "1")
    assert names(attendees(ledger, "room")["seated"]) == ["Ben", "Cid", "Dee"]
    assert "over capacity" in cli.ok("attendees", "room").out


# What the command line adds to the rules (each rule and its message: test_rules.py): options
# parsed by click, and one domain error per exit code and per way of failing in the store.
BAD_INPUTS = [
    ("unknown meeting", ["signup", "nope", "Ann"], 1),
    (
        "unknown time zone",
        ["new", "z", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "Mars/Base"],
        2,
    ),
    ("name with a newline", ["signup", "m", "Ann\nLee"], 2),
    ("unknown mode", ["signup", "m", "Bob", "--mode", "maybe"], 2),
    ("negative capacity", ["capacity", "m", "-3"], 2),
    ("capacity not a number", ["capacity", "m", "lots"], 2),
    (
        "duplicate slug",
        ["new", "m", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC"],
        1,
    ),
    ("missing option", ["new", "z", "--title", "Z"], 2),
]


@pytest.mark.parametrize(("case", "args", "code"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(
    cli: Cli, ledger: Ledger, case: str, args: list[str], code: int
) -> None:
    new_meeting(ledger, "m")
    ledger.sign_up("m", "Ann Lee")
    before = cli.db.event_count()
    result = cli(*args)
    assert result.code == code, (case, result)
    assert result.err.startswith("Error: ") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert cli.db.event_count() == before


def test_fold_option_chooses_the_second_of_a_repeated_hour(cli: Cli) -> None:
    cli.ok(
        "new",
        "fall",
        "--title",
        "Fall back",
        "--start",
        "2030-11-03T01:30",
        "--end",
        "2030-11-03T03:00",
        "--tz",
        "Eastern Time",
        "--fold",
        "second",
    )
    assert cli.ok("show", "fall", "--json").json()["start"] == "2030-11-03T01:30:00-05:00"


@pytest.mark.parametrize("year", ["2026", "2040"])
def test_a_spring_forward_time_is_refused_and_a_fall_back_one_needs_fold_in_any_year(cli: Cli, year: str) -> None:
    spring, fall = {"2026": ("03-08", "11-01"), "2040": ("03-11", "11-04")}[year]
    zone = ("--tz", "America/Los_Angeles")
    before = cli.db.event_count()
    gap = cli(
        "new", "gap", "--title", "Gap", "--start", f"{year}-{spring}T02:30", "--end", f"{year}-{spring}T04:00", *zone
    )
    assert (
        gap.code == 2
        and gap.err == f"Error: start {year}-{spring} 02:30 does not exist in America/Los_Angeles (clocks skip it)\n"
    )
    times = ("--start", f"{year}-{fall}T01:30", "--end", f"{year}-{fall}T03:00", *zone)
    twice = cli("new", "twice", "--title", "Twice", *times)
    assert twice.code == 2 and "happens twice in America/Los_Angeles; say which with --fold first|second" in twice.err
    assert cli.db.event_count() == before
    cli.ok("new", "twice", "--title", "Twice", *times, "--fold", "second")
    assert cli.ok("show", "twice", "--json").json()["start"] == f"{year}-{fall}T01:30:00-08:00"


def test_the_actor_comes_from_the_as_option_or_the_environment(cli: Cli, ledger: Ledger) -> None:
    new_meeting(ledger, "who")
    cli.ok("signup", "who", "Brandon Philips", actor="bob")
    cli.ok("withdraw", "who", "Brandon Philips", "--reason", "needs the room", env={"MEETINGS_ACTOR": "carol"})
    (event,) = [e for e in cli.ok("audit", "--format", "json").json() if e["action"] == "signed-up"]
    assert event["actor"] == "bob"
    assert attendees(ledger, "who")["withdrawn"][0]["by"] == "carol"


def test_notes_commands_print_conflicts_diffs_and_text(cli: Cli, ledger: Ledger) -> None:
    new_meeting(ledger, "n")  # merging, refusing and restoring: test_rules.py
    ledger.edit_notes("n", None, "one\ntwo\nthree\nfour\nfive\n")
    ledger.edit_notes("n", None, "ONE\ntwo\nthree\nfour\nfive\n")
    ledger.edit_notes("n", None, "one\ntwo\nthree\nfour\nFIVE\n", 1)
    before = cli.db.event_count()
    result = cli("notes", "edit", "n", "--base", "1", "--file", "-", input="uno\ntwo\nthree\nfour\nfive\n")
    assert result.code == 1 and "- ONE" in result.err and "+ uno" in result.err
    assert result.err.splitlines()[-1].startswith("Error: ")
    assert cli.db.event_count() == before
    diff = cli.ok("notes", "diff", "n", "1", "3").out
    assert "-one" in diff and "+ONE" in diff and "+FIVE" in diff
    assert cli.ok("notes", "show", "n").out == "ONE\ntwo\nthree\nfour\nFIVE\n"
