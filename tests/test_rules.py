"""The domain rules, in-process: the Ledger's commands on each backend, read back through the views.

Each test here was a subprocess test in test_cli_core.py; what the `meetings` command adds (exit codes,
one-line `Error:` output, option parsing, text output) is still tested there, once per behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.errors import BadInputError, LedgerError, NotesConflictError, NotFoundError, RuleError
from projections import queries
from tests.conftest import SEED_ATTENDEES, Database
from tests.support import acting_as, attendees, names, new_meeting, seed_meeting, sign_up_many, store, stored_kinds


def test_the_seed_meeting_is_numbered_as_on_the_page(ledger: Ledger) -> None:
    slug = seed_meeting(ledger)
    data = attendees(ledger, slug)
    assert data["capacity"] == 25
    assert names(data["seated"]) == [n for n, m, _ in SEED_ATTENDEES if m == "in-person"]
    assert names(data["undecided"]) == ["Piotr Siwczak"]
    assert data["waitlist"] == [] and data["remote"] == []
    assert [e["position"] for e in data["attendees"]] == list(range(1, 24))
    brandon = next(e for e in data["seated"] if e["name"] == "Brandon Philips")
    assert brandon == {
        **brandon,
        "mode": "in-person",
        "position": 7,
        "remark": "2:30pm+ b/c of OSC Panel. Remove me if you need the room",
    }
    agenda = queries.agenda(store(ledger), slug).to_json()
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


def test_room_limit_waitlist_and_automatic_promotion(ledger: Ledger, db: Database) -> None:
    new_meeting(ledger, "room", start="2030-03-01T10:00", end="2030-03-01T11:00", zone="Europe/Berlin", capacity=2)
    sign_up_many(ledger, "room", ["Ann", "Ben", "Cid"])
    data = attendees(ledger, "room")
    assert names(data["seated"]) == ["Ann", "Ben"]
    assert [(e["name"], e["waitlist_position"]) for e in data["waitlist"]] == [("Cid", 1)]

    assert "promoted Cid" in ledger.withdraw("room", "ann", "needs the room").summary
    assert stored_kinds(db)[-2:] == ["Withdrew", "Promoted"]
    assert names(attendees(ledger, "room")["seated"]) == ["Ben", "Cid"]

    sign_up_many(ledger, "room", ["Dee", "Eve"])
    ledger.change_capacity("room", 3)
    data = attendees(ledger, "room")
    assert names(data["seated"]) == ["Ben", "Cid", "Dee"]
    assert names(data["waitlist"]) == ["Eve"]

    ledger.change_capacity("room", 1)
    data = attendees(ledger, "room")
    assert names(data["seated"]) == ["Ben", "Cid", "Dee"], "lowering removes no one"
    assert data["counts"]["over_capacity"] is True


def test_a_withdrawn_person_signs_up_again_at_the_end(ledger: Ledger) -> None:
    new_meeting(ledger, "again")
    sign_up_many(ledger, "again", ["Ann", "Ben"])
    ledger.withdraw("again", "Ann")
    ledger.sign_up("again", "ann", "remote")
    data = attendees(ledger, "again")
    assert [(e["position"], e["name"], e["mode"]) for e in data["attendees"]] == [
        (1, "Ben", "in-person"),
        (2, "ann", "remote"),
    ]


REFUSED: list[tuple[str, Callable[[Ledger], Any], type[LedgerError], int, str]] = [
    ("unknown meeting", lambda app: app.sign_up("nope", "Ann"), NotFoundError, 1, "no meeting 'nope'"),
    (
        "duplicate sign-up",
        lambda app: app.sign_up("m", "  ann   lee "),
        RuleError,
        1,
        "Ann Lee is already signed up for m: (In Person)",
    ),
    (
        "unknown time zone",
        lambda app: app.create_meeting("z", "Z", "2030-01-01T10:00", "2030-01-01T11:00", "Mars/Base"),
        BadInputError,
        2,
        "unknown time zone 'Mars/Base' (use an IANA name such as America/Los_Angeles)",
    ),
    (
        "end before start",
        lambda app: app.create_meeting("z", "Z", "2030-01-01T10:00", "2030-01-01T09:00", "UTC"),
        BadInputError,
        2,
        "end must be after start",
    ),
    (
        "nonexistent local time",
        lambda app: app.create_meeting("z", "Z", "2030-03-10T02:30", "2030-03-10T04:00", "America/New_York"),
        BadInputError,
        2,
        "start 2030-03-10 02:30 does not exist in America/New_York (clocks skip it)",
    ),
    (
        "ambiguous local time",
        lambda app: app.create_meeting("z", "Z", "2030-11-03T01:30", "2030-11-03T03:00", "America/New_York"),
        BadInputError,
        2,
        "start 2030-11-03 01:30 happens twice in America/New_York; say which with --fold first|second",
    ),
    (
        "nonexistent local time past pytz's tables",
        lambda app: app.create_meeting("z", "Z", "2040-03-11T02:30", "2040-03-11T04:00", "America/Los_Angeles"),
        BadInputError,
        2,
        "start 2040-03-11 02:30 does not exist in America/Los_Angeles (clocks skip it)",
    ),
    (
        "ambiguous local time past pytz's tables",
        lambda app: app.create_meeting("z", "Z", "2040-11-04T01:30", "2040-11-04T03:00", "America/Los_Angeles"),
        BadInputError,
        2,
        "start 2040-11-04 01:30 happens twice in America/Los_Angeles; say which with --fold first|second",
    ),
    (
        "nonexistent end time past pytz's tables",
        lambda app: app.create_meeting("z", "Z", "2041-03-31T01:00", "2041-03-31T02:30", "Europe/Berlin"),
        BadInputError,
        2,
        "end 2041-03-31 02:30 does not exist in Europe/Berlin (clocks skip it)",
    ),
    ("empty name", lambda app: app.sign_up("m", "   "), BadInputError, 2, "name must not be empty"),
    (
        "name with a newline",
        lambda app: app.sign_up("m", "Ann\nLee"),
        BadInputError,
        2,
        "name must be one line without control characters",
    ),
    (
        "name with a control character",
        lambda app: app.sign_up("m", "Ann\x07"),
        BadInputError,
        2,
        "name must be one line without control characters",
    ),
    (
        "unknown mode",
        lambda app: app.sign_up("m", "Bob", "maybe"),
        BadInputError,
        2,
        "unknown mode 'maybe'; use one of in-person, remote, undecided",
    ),
    (
        "negative capacity",
        lambda app: app.change_capacity("m", -3),
        BadInputError,
        2,
        "capacity must be zero or more, not -3",
    ),
    (
        "unsafe slug",
        lambda app: app.create_meeting("../etc", "Z", "2030-01-01T10:00", "2030-01-01T11:00", "UTC"),
        BadInputError,
        2,
        "slug '../etc' may hold only lower-case letters, digits, '.', '_' and '-', starting and ending with a letter"
        " or digit",
    ),
    (
        "duplicate slug",
        lambda app: app.create_meeting("m", "Z", "2030-01-01T10:00", "2030-01-01T11:00", "UTC"),
        RuleError,
        1,
        "a meeting 'm' already exists",
    ),
    (
        "very long remark",
        lambda app: app.sign_up("m", "Bob", remark="x" * 501),
        BadInputError,
        2,
        "remark is 501 characters long; the limit is 500",
    ),
    (
        "bad email",
        lambda app: app.sign_up("m", "Bob", email="not-an-email"),
        BadInputError,
        2,
        "'not-an-email' is not an email address",
    ),
    (
        "unknown topic parent",
        lambda app: app.propose_topic("m", "Sub", "alice", 99),
        NotFoundError,
        1,
        "m has no topic with id 99",
    ),
    (
        "withdraw someone not signed up",
        lambda app: app.withdraw("m", "Zed"),
        NotFoundError,
        1,
        "'Zed' is not signed up for m",
    ),
]


@pytest.mark.parametrize(("case", "command", "error", "code", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_refused_command_names_the_problem_and_writes_nothing(
    ledger: Ledger,
    db: Database,
    case: str,
    command: Callable[[Ledger], Any],
    error: type[LedgerError],
    code: int,
    message: str,
) -> None:
    new_meeting(ledger, "m")
    ledger.sign_up("m", "Ann Lee")
    before = db.event_count()
    with pytest.raises(error) as refused:
        command(ledger)
    assert type(refused.value) is error, case
    assert str(refused.value) == message
    assert refused.value.exit_code == code
    assert db.event_count() == before


def test_ambiguous_time_is_accepted_with_an_explicit_fold(ledger: Ledger) -> None:
    for fold, offset in (("first", "-04:00"), ("second", "-05:00")):
        ledger.create_meeting(
            f"fall-{fold}", "Fall back", "2030-11-03T01:30", "2030-11-03T03:00", "Eastern Time", fold=fold
        )
        shown = queries.meeting(store(ledger), f"fall-{fold}").to_json()
        assert shown["start"] == f"2030-11-03T01:30:00{offset}"
        assert shown["timezone"] == "America/New_York"


def test_times_past_2037_get_the_offsets_of_the_zones_current_rules(ledger: Ledger) -> None:
    """pytz's tables end in 2037 and then put every summer an hour off; the standard library's do not."""
    for slug, start, fold, offset in (
        ("summer-2040", "2040-07-03T09:00", None, "-07:00"),
        ("winter-2040", "2040-12-04T09:00", None, "-08:00"),
        ("fall-2040-first", "2040-11-04T01:30", "first", "-07:00"),
        ("fall-2040-second", "2040-11-04T01:30", "second", "-08:00"),
        ("spring-2040", "2040-03-11T03:00", None, "-07:00"),
    ):
        end = start[:11] + "04:00" if start[11:13] < "03" else start[:11] + "23:00"
        ledger.create_meeting(slug, "Far ahead", start, end, "America/Los_Angeles", fold=fold)
        assert queries.meeting(store(ledger), slug).to_json()["start"] == f"{start}:00{offset}", slug


def test_every_event_records_actor_and_reason(ledger: Ledger) -> None:
    new_meeting(ledger, "who")
    with acting_as(ledger, "bob"):
        ledger.sign_up("who", "Brandon Philips")
    with acting_as(ledger, "carol"):
        ledger.withdraw("who", "Brandon Philips", "needs the room")
    withdrawn = attendees(ledger, "who")["withdrawn"]
    assert (withdrawn[0]["by"], withdrawn[0]["reason"]) == ("carol", "needs the room")


def test_notes_edits_merge_when_they_do_not_overlap_and_refuse_when_they_do(ledger: Ledger, db: Database) -> None:
    new_meeting(ledger, "n")
    ledger.edit_notes("n", None, "one\ntwo\nthree\nfour\nfive\n")
    with acting_as(ledger, "bob"):
        ledger.edit_notes("n", None, "ONE\ntwo\nthree\nfour\nfive\n")
    # Carol edited revision 1 while Bob was saving revision 2: different lines merge.
    with acting_as(ledger, "carol"):
        ledger.edit_notes("n", None, "one\ntwo\nthree\nfour\nFIVE\n", 1)
    assert queries.notes(store(ledger), "n").to_json()["text"] == "ONE\ntwo\nthree\nfour\nFIVE\n"
    # Dan also started from revision 1 and changed the first line: a conflict, nothing written.
    before = db.event_count()
    with pytest.raises(NotesConflictError) as conflict:
        ledger.edit_notes("n", None, "uno\ntwo\nthree\nfour\nfive\n", 1)
    assert conflict.value.exit_code == 1
    assert "- ONE" in conflict.value.conflicting_lines and "+ uno" in conflict.value.conflicting_lines
    assert db.event_count() == before
    history = queries.notes(store(ledger), "n").to_json()["revisions"]
    assert [(r["revision"], r["by"], r["merged"]) for r in history] == [
        (1, "alice", False),
        (2, "bob", False),
        (3, "carol", True),
    ]
    ledger.restore_notes("n", None, 1)
    restored = queries.notes(store(ledger), "n").to_json()
    assert (restored["text"], restored["revision"]) == ("one\ntwo\nthree\nfour\nfive\n", 4)


def test_topics_keep_stable_ids_through_moves_and_withdrawals(ledger: Ledger) -> None:
    new_meeting(ledger, "t")
    for title in ("A", "B", "C"):
        ledger.propose_topic("t", title, "Dawn")
    ledger.propose_topic("t", "B1", "alice", 2)
    ledger.move_topic("t", 2, 1)
    ledger.withdraw_topic("t", 1)
    ledger.retitle_topic("t", 3, "C!")
    ledger.propose_topic("t", "D", "alice")
    agenda = queries.agenda(store(ledger), "t").to_json()
    assert [(t["id"], t["number"], t["title"]) for t in agenda] == [(2, "1", "B"), (3, "2", "C!"), (5, "3", "D")]
    assert [(s["id"], s["number"], s["proposer"]) for s in agenda[0]["subtopics"]] == [(4, "1a", "alice")]
