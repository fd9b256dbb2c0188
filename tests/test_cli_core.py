"""The core story through the real `meetings` command: the seed meeting, the room limit, bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED_ATTENDEES, Cli, meetings_executable

SLUG = "sig-node-f2f-2016"


def recreate_seed(cli: Cli) -> None:
    script = REPO / "tests" / "fixtures" / "sig-node-f2f-2016.sh"
    proc = subprocess.run(
        ["bash", str(script), " ".join(meetings_executable())], env=cli.env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr


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


def test_seed_meeting_prints_numbered_as_on_the_page(cli: Cli) -> None:
    recreate_seed(cli)
    lines = cli.ok("attendees", SLUG).out.splitlines()
    assert lines[0] == "Attendees: [Limit: 25] 22 seated"
    assert lines[1] == "1. Dawn Chen (In Person)"
    assert lines[7] == "7. Brandon Philips (In Person) 2:30pm+ b/c of OSC Panel. Remove me if you need the room"
    assert lines[19] == "19. Piotr Siwczak (TBD)"
    assert lines[23] == "23. Ihor Dvoretzkyi (In Person)"
    assert len(lines) == 24

    data = cli.ok("attendees", SLUG, "--json").json()
    assert data["capacity"] == 25
    assert [e["name"] for e in data["seated"]] == [n for n, m, _ in SEED_ATTENDEES if m == "in-person"]
    assert [e["name"] for e in data["undecided"]] == ["Piotr Siwczak"]
    assert data["waitlist"] == [] and data["remote"] == []
    assert [e["position"] for e in data["attendees"]] == list(range(1, 24))
    brandon = next(e for e in data["seated"] if e["name"] == "Brandon Philips")
    assert brandon == {
        **brandon,
        "mode": "in-person",
        "position": 7,
        "remark": "2:30pm+ b/c of OSC Panel. Remove me if you need the room",
    }

    agenda_lines = cli.ok("agenda", SLUG).out.splitlines()
    assert agenda_lines[0].startswith("1. Performance-Sensitive Application Platform (Jeremy Eder)")
    assert agenda_lines[4].startswith("  - a. Image validation, kernel validation (Dawn)")
    agenda = cli.ok("agenda", SLUG, "--json").json()
    assert [(t["number"], t["proposer"]) for t in agenda] == [
        ("1", "Jeremy Eder"),
        ("2", "Brandon Philips"),
        ("3", "Vish"),
        ("4", "Dawn"),
        ("5", "Euan"),
    ]
    assert [(s["number"], s["title"]) for s in agenda[3]["subtopics"]] == [
        ("4a", "Image validation, kernel validation")
    ]
    assert [s["number"] for s in agenda[4]["subtopics"]] == ["5a"]
    assert set(agenda[0]) >= {"id", "number", "title", "proposer", "subtopics"}


def stored_kinds(cli: Cli) -> list[str]:
    import sqlite3

    if cli.db.backend == "sqlite":
        with sqlite3.connect(cli.db.url) as conn:
            rows = conn.execute("SELECT topic FROM stored_events ORDER BY rowid").fetchall()
    else:
        import psycopg

        with psycopg.connect(cli.db.url) as conn:
            rows = conn.execute("SELECT topic FROM ledger_events ORDER BY notification_id").fetchall()
    return [r[0].rsplit(".", 1)[1] for r in rows]


def test_room_limit_waitlist_and_automatic_promotion(cli: Cli) -> None:
    cli.ok(
        "new",
        "room",
        "--title",
        "Room",
        "--start",
        "2030-03-01T10:00",
        "--end",
        "2030-03-01T11:00",
        "--tz",
        "Europe/Berlin",
        "--capacity",
        "2",
    )
    for name in ("Ann", "Ben", "Cid"):
        cli.ok("signup", "room", name)
    data = cli.ok("attendees", "room", "--json").json()
    assert [e["name"] for e in data["seated"]] == ["Ann", "Ben"]
    assert [(e["name"], e["waitlist_position"]) for e in data["waitlist"]] == [("Cid", 1)]

    out = cli.ok("withdraw", "room", "ann", "--reason", "needs the room").out
    assert "promoted Cid" in out
    assert stored_kinds(cli)[-2:] == ["Withdrew", "Promoted"]
    assert [e["name"] for e in cli.ok("attendees", "room", "--json").json()["seated"]] == ["Ben", "Cid"]

    cli.ok("signup", "room", "Dee")
    cli.ok("signup", "room", "Eve")
    cli.ok("capacity", "room", "3")
    data = cli.ok("attendees", "room", "--json").json()
    assert [e["name"] for e in data["seated"]] == ["Ben", "Cid", "Dee"]
    assert [e["name"] for e in data["waitlist"]] == ["Eve"]

    cli.ok("capacity", "room", "1")
    data = cli.ok("attendees", "room", "--json").json()
    assert [e["name"] for e in data["seated"]] == ["Ben", "Cid", "Dee"], "lowering removes no one"
    assert data["counts"]["over_capacity"] is True
    assert "over capacity" in cli.ok("attendees", "room").out


def test_a_withdrawn_person_signs_up_again_at_the_end(cli: Cli) -> None:
    cli.ok(
        "new", "again", "--title", "Again", "--start", "2030-07-01T10:00", "--end", "2030-07-01T11:00", "--tz", "UTC"
    )
    for name in ("Ann", "Ben"):
        cli.ok("signup", "again", name)
    cli.ok("withdraw", "again", "Ann")
    cli.ok("signup", "again", "ann", "--mode", "remote")
    data = cli.ok("attendees", "again", "--json").json()
    assert [(e["position"], e["name"], e["mode"]) for e in data["attendees"]] == [
        (1, "Ben", "in-person"),
        (2, "ann", "remote"),
    ]


BAD_INPUTS = [
    ("unknown meeting", ["signup", "nope", "Ann"], 1),
    ("duplicate sign-up", ["signup", "m", "  ann   lee "], 1),
    (
        "unknown time zone",
        ["new", "z", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "Mars/Base"],
        2,
    ),
    (
        "end before start",
        ["new", "z", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T09:00", "--tz", "UTC"],
        2,
    ),
    (
        "nonexistent local time",
        [
            "new",
            "z",
            "--title",
            "Z",
            "--start",
            "2030-03-10T02:30",
            "--end",
            "2030-03-10T04:00",
            "--tz",
            "America/New_York",
        ],
        2,
    ),
    (
        "ambiguous local time",
        [
            "new",
            "z",
            "--title",
            "Z",
            "--start",
            "2030-11-03T01:30",
            "--end",
            "2030-11-03T03:00",
            "--tz",
            "America/New_York",
        ],
        2,
    ),
    ("empty name", ["signup", "m", "   "], 2),
    ("name with a newline", ["signup", "m", "Ann\nLee"], 2),
    ("name with a control character", ["signup", "m", "Ann\x07"], 2),
    ("unknown mode", ["signup", "m", "Bob", "--mode", "maybe"], 2),
    ("negative capacity", ["capacity", "m", "-3"], 2),
    ("capacity not a number", ["capacity", "m", "lots"], 2),
    (
        "unsafe slug",
        ["new", "../etc", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC"],
        2,
    ),
    (
        "duplicate slug",
        ["new", "m", "--title", "Z", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC"],
        1,
    ),
    ("very long remark", ["signup", "m", "Bob", "--remark", "x" * 501], 2),
    ("bad email", ["signup", "m", "Bob", "--email", "not-an-email"], 2),
    ("unknown topic parent", ["topic", "propose", "m", "Sub", "--under", "99"], 1),
    ("withdraw someone not signed up", ["withdraw", "m", "Zed"], 1),
    ("missing option", ["new", "z", "--title", "Z"], 2),
]


@pytest.mark.parametrize(("case", "args", "code"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_and_writes_nothing(cli: Cli, case: str, args: list[str], code: int) -> None:
    cli.ok("new", "m", "--title", "M", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    cli.ok("signup", "m", "Ann Lee")
    before = cli.db.event_count()
    result = cli(*args)
    assert result.code == code, (case, result)
    assert result.err.startswith("Error: ") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert cli.db.event_count() == before


def test_ambiguous_time_is_accepted_with_an_explicit_fold(cli: Cli) -> None:
    for fold, offset in (("first", "-04:00"), ("second", "-05:00")):
        cli.ok(
            "new",
            f"fall-{fold}",
            "--title",
            "Fall back",
            "--start",
            "2030-11-03T01:30",
            "--end",
            "2030-11-03T03:00",
            "--tz",
            "Eastern Time",
            "--fold",
            fold,
        )
        shown = cli.ok("show", f"fall-{fold}", "--json").json()
        assert shown["start"] == f"2030-11-03T01:30:00{offset}"
        assert shown["timezone"] == "America/New_York"


def test_every_event_records_actor_and_principal(cli: Cli) -> None:
    cli.ok("new", "who", "--title", "Who", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    cli.ok("signup", "who", "Brandon Philips", actor="bob")
    cli.ok("withdraw", "who", "Brandon Philips", "--reason", "needs the room", env={"MEETINGS_ACTOR": "carol"})
    data = cli.ok("attendees", "who", "--json").json()
    assert data["withdrawn"][0]["by"] == "carol"
    assert data["withdrawn"][0]["reason"] == "needs the room"


def test_notes_edits_merge_when_they_do_not_overlap_and_refuse_when_they_do(cli: Cli, tmp_path: Path) -> None:
    cli.ok("new", "n", "--title", "N", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    cli.ok("notes", "edit", "n", "--file", "-", input="one\ntwo\nthree\nfour\nfive\n")
    cli.ok("notes", "edit", "n", "--file", "-", input="ONE\ntwo\nthree\nfour\nfive\n", actor="bob")
    # Carol edited revision 1 while Bob was saving revision 2: different lines merge.
    cli.ok("notes", "edit", "n", "--base", "1", "--file", "-", input="one\ntwo\nthree\nfour\nFIVE\n", actor="carol")
    assert cli.ok("notes", "show", "n").out == "ONE\ntwo\nthree\nfour\nFIVE\n"
    # Dan also started from revision 1 and changed the first line: a conflict, nothing written.
    before = cli.db.event_count()
    result = cli("notes", "edit", "n", "--base", "1", "--file", "-", input="uno\ntwo\nthree\nfour\nfive\n")
    assert result.code == 1 and "- ONE" in result.err and "+ uno" in result.err
    assert cli.db.event_count() == before
    history = cli.ok("notes", "history", "n", "--json").json()
    assert [(r["revision"], r["by"], r["merged"]) for r in history] == [
        (1, "alice", False),
        (2, "bob", False),
        (3, "carol", True),
    ]
    diff = cli.ok("notes", "diff", "n", "1", "3").out
    assert "-one" in diff and "+ONE" in diff and "+FIVE" in diff
    cli.ok("notes", "restore", "n", "1")
    assert cli.ok("notes", "show", "n").out == "one\ntwo\nthree\nfour\nfive\n"
    assert cli.ok("notes", "show", "n", "--json").json()["revision"] == 4


def test_topics_keep_stable_ids_through_moves_and_withdrawals(cli: Cli) -> None:
    cli.ok("new", "t", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    for title in ("A", "B", "C"):
        cli.ok("topic", "propose", "t", title, "--by", "Dawn")
    cli.ok("topic", "propose", "t", "B1", "--under", "2")
    cli.ok("topic", "move", "t", "2", "1")
    cli.ok("topic", "withdraw", "t", "1")
    cli.ok("topic", "retitle", "t", "3", "C!")
    cli.ok("topic", "propose", "t", "D")
    agenda = cli.ok("agenda", "t", "--json").json()
    assert [(t["id"], t["number"], t["title"]) for t in agenda] == [(2, "1", "B"), (3, "2", "C!"), (5, "3", "D")]
    assert [(s["id"], s["number"], s["proposer"]) for s in agenda[0]["subtopics"]] == [(4, "1a", "alice")]
