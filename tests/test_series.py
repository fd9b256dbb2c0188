"""Recurring meetings: a series' occurrences come from its rule, each one is a meeting of its own once
someone acts on it, and single dates can be cancelled, moved or changed without touching the others."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ledger.application import Ledger
from ledger.errors import BadInputError, NotFoundError, PermissionDeniedError, RuleError
from projections import queries
from tests.conftest import Cli, Database
from tests.support import names, store

LA = "America/Los_Angeles"


def weekly(app: Ledger, slug: str = "wg", count: int | None = 60, **options: object) -> None:
    app.create_series(slug, "Working group", "2026-12-08T10:00", "2026-12-08T11:00", LA, "week", count=count, **options)


def utc_starts(app: Ledger, slug: str) -> list[str]:
    return [o.start_utc for o in queries.series(store(app), slug).occurrences]


def test_a_weekly_series_keeps_its_local_time_across_daylight_saving_changes(ledger: Ledger) -> None:
    weekly(ledger, capacity=20)
    shown = queries.series(store(ledger), "wg")
    assert len(shown.occurrences) == 60
    starts = [datetime.fromisoformat(o.start) for o in shown.occurrences]
    assert {(s.hour, s.minute, s.weekday()) for s in starts} == {(10, 0, 1)}
    offsets = {o.start[-6:] for o in shown.occurrences}
    assert offsets == {"-08:00", "-07:00"}  # both sides of the March and November changes
    for o in shown.occurrences:
        local = datetime.fromisoformat(o.date + "T10:00").replace(tzinfo=ZoneInfo(LA))
        assert o.start_utc == local.astimezone(UTC).isoformat()


def test_signing_up_for_an_occurrence_starts_its_meeting_and_shows_there_only(ledger: Ledger, db: Database) -> None:
    weekly(ledger, capacity=1)
    before = db.event_count()
    assert queries.attendees(store(ledger), "wg/2026-12-15").counts.total == 0  # reading writes nothing
    assert db.event_count() == before
    ledger.sign_up("wg/2026-12-15", "Ann Lee")
    ledger.sign_up("wg/2026-12-15", "Ben Ode")
    read = store(ledger)
    listed = queries.attendees(read, "wg/2026-12-15").to_json()
    assert names(listed["attendees"]) == ["Ann Lee", "Ben Ode"]
    assert names(listed["waitlist"]) == ["Ben Ode"]  # the series' capacity is the occurrence's
    assert queries.attendees(read, "wg/2026-12-22").counts.total == 0
    counts = {o.date: o.counts.total for o in queries.series(read, "wg", window=queries.Window(limit=3)).occurrences}
    assert counts == {"2026-12-08": 0, "2026-12-15": 2, "2026-12-22": 0}


def test_an_occurrence_takes_topics_notes_and_shows_the_series_details(ledger: Ledger) -> None:
    weekly(ledger, location="Room 4")
    ledger.propose_topic("wg/2026-12-08", "Release plan", "Ann Lee")
    ledger.edit_notes("wg/2026-12-08", None, "Agreed on dates.\n")
    ledger.edit_series("wg", location="Room 5")
    read = store(ledger)
    assert [t.title for t in queries.agenda(read, "wg/2026-12-08").items] == ["Release plan"]
    assert queries.notes(read, "wg/2026-12-08").text == "Agreed on dates.\n"
    assert queries.meeting(read, "wg/2026-12-08").location == "Room 5"  # its stream started before the edit
    assert queries.agenda(read, "wg/2026-12-15").items == ()


def test_one_occurrence_can_be_cancelled_moved_or_changed_alone(ledger: Ledger) -> None:
    weekly(ledger, location="Room 4")
    ledger.sign_up("wg/2026-12-22", "Ann Lee")
    ledger.cancel_occurrence("wg", "2026-12-22", "holiday")
    ledger.move_occurrence("wg", "2027-01-05", "2027-01-06T14:00", "2027-01-06T15:00")
    ledger.change_occurrence("wg", "2027-01-12", location="Room 9")
    read = store(ledger)
    cancelled = queries.meeting(read, "wg/2026-12-22")
    assert (cancelled.cancelled, cancelled.cancel_reason) == (True, "holiday")
    assert queries.meeting(read, "wg/2027-01-05").start == "2027-01-06T14:00:00-08:00"
    assert queries.meeting(read, "wg/2027-01-12").location == "Room 9"
    assert queries.meeting(read, "wg/2027-01-19").location == "Room 4"
    with pytest.raises(RuleError, match="sign-ups are closed"):
        ledger.sign_up("wg/2026-12-22", "Ben Ode")
    with pytest.raises(NotFoundError, match="no occurrence on 2026-12-23"):
        ledger.sign_up("wg/2026-12-23", "Ben Ode")
    with pytest.raises(RuleError, match="use `meetings series cancel wg 2026-12-29`"):
        ledger.cancel("wg/2026-12-29")


def test_splitting_from_an_occurrence_on_leaves_earlier_ones_untouched(ledger: Ledger) -> None:
    weekly(ledger, count=20)
    ledger.add_organizer("wg", "dawn")
    ledger.sign_up("wg/2026-12-15", "Ann Lee")
    ledger.edit_notes("wg/2026-12-15", None, "Minutes.\n")
    before = utc_starts(ledger, "wg")
    ledger.split_series("wg", "2027-02-02", "wg-late", "2027-02-02T15:00", "2027-02-02T16:00", title="WG (afternoon)")
    read = store(ledger)
    early, late = queries.series(read, "wg"), queries.series(read, "wg-late")
    assert [o.start_utc for o in early.occurrences] == before[:8]
    assert early.split_into == "wg-late" and late.split_from == "wg"
    assert len(late.occurrences) == 12 and late.title == "WG (afternoon)"
    assert late.organizers == early.organizers and "dawn" in late.organizers  # recorded, not only in memory
    assert ledger.meeting_organizers("wg-late") == list(late.organizers)
    assert {o.start[11:16] for o in late.occurrences} == {"15:00"}
    assert names(queries.attendees(read, "wg/2026-12-15").to_json()["attendees"]) == ["Ann Lee"]
    assert queries.notes(read, "wg/2026-12-15").text == "Minutes.\n"
    with pytest.raises(NotFoundError):
        queries.meeting(read, "wg/2027-02-09")


def test_meetings_and_series_share_one_namespace_of_slugs(ledger: Ledger, db: Database) -> None:
    weekly(ledger)
    ledger.create_meeting("kickoff", "Kick-off", "2026-12-01T10:00", "2026-12-01T11:00", LA)
    before = db.event_count()
    with pytest.raises(RuleError, match="a series 'wg' already exists"):
        ledger.create_meeting("wg", "Clash", "2026-12-01T10:00", "2026-12-01T11:00", LA)
    with pytest.raises(RuleError, match="a meeting 'kickoff' already exists"):
        weekly(ledger, "kickoff")
    with pytest.raises(RuleError, match="a series 'wg' already exists"):
        weekly(ledger)
    assert db.event_count() == before


def test_ending_a_series_drops_later_occurrences_only(ledger: Ledger) -> None:
    weekly(ledger, count=None)  # no end: 60 are listed
    assert len(queries.series(store(ledger), "wg").occurrences) == 60
    ledger.end_series("wg", "2027-01-01")
    assert [o.date for o in queries.series(store(ledger), "wg").occurrences] == [
        "2026-12-08",
        "2026-12-15",
        "2026-12-22",
        "2026-12-29",
    ]


def test_monthly_series_by_weekday_and_by_date(ledger: Ledger) -> None:
    ledger.create_series("second-tue", "M", "2026-12-08T10:00", "2026-12-08T11:00", LA, "month", on="tuesday", count=4)
    ledger.create_series("on-8th", "M", "2026-12-08T10:00", "2026-12-08T11:00", LA, "month", count=4)
    read = store(ledger)
    assert [o.date for o in queries.series(read, "second-tue").occurrences] == [
        "2026-12-08",
        "2027-01-12",
        "2027-02-09",
        "2027-03-09",
    ]
    assert [o.date for o in queries.series(read, "on-8th").occurrences] == [
        "2026-12-08",
        "2027-01-08",
        "2027-02-08",
        "2027-03-08",
    ]


def test_only_the_series_organizers_change_it_and_they_organize_every_occurrence(ledger: Ledger) -> None:
    with ledger.acting("carol"):
        weekly(ledger)
        ledger.sign_up("wg/2026-12-15", "Dan Eli")  # someone else: carol organizes the occurrence
    with ledger.acting("bob"):
        ledger.sign_up("wg/2026-12-15", "Bob")  # a participant signs themself up
        with pytest.raises(PermissionDeniedError, match="needs the organizer role"):
            ledger.cancel_occurrence("wg", "2026-12-22")
        with pytest.raises(PermissionDeniedError):
            ledger.edit_series("wg", title="Mine")
        with pytest.raises(PermissionDeniedError):
            ledger.withdraw("wg/2026-12-15", "Dan Eli")
    with ledger.acting("carol"):
        ledger.withdraw("wg/2026-12-15", "Bob", "needs the room")
        ledger.change_capacity("wg/2026-12-29", 3)
    assert names(queries.attendees(store(ledger), "wg/2026-12-15").to_json()["attendees"]) == ["Dan Eli"]
    assert ledger.organizers_of(ledger.get_meeting("wg/2026-12-29")) == ["carol"]
    with ledger.acting("carol"):
        ledger.add_organizer("wg", "bob")  # shared: bob now organizes the series and every occurrence
    with ledger.acting("bob"):
        ledger.cancel_occurrence("wg", "2026-12-22")
        ledger.withdraw("wg/2026-12-15", "Dan Eli")
    assert ledger.meeting_organizers("wg") == ["carol", "bob"]
    assert queries.series(store(ledger), "wg").organizers == ("carol", "bob")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"every": "daily"}, "--every must be one of week, 2weeks, month, not 'daily'"),
        ({"on": "monday"}, "--on monday does not match the start, which is a tuesday"),
        ({"until": "2026-01-01"}, "--until 2026-01-01 is before the first occurrence 2026-12-08"),
        ({"until": "2027-01-01", "count": 3}, "give --until or --count, not both"),
        ({"start": "2040-03-13T10:00", "end": "2040-03-11T02:30"}, "end 2040-03-11 02:30 does not exist in"),
    ],
)
def test_bad_series_input_is_refused_and_nothing_is_written(
    ledger: Ledger, db: Database, options: dict[str, str], message: str
) -> None:
    wanted = {"start": "2026-12-08T10:00", "end": "2026-12-08T11:00", "every": "week", **options}
    before = db.event_count()
    with pytest.raises(BadInputError) as refused:
        ledger.create_series(
            "wg",
            "WG",
            wanted["start"],
            wanted["end"],
            LA,
            wanted["every"],
            on=wanted.get("on"),
            until=wanted.get("until"),
            count=wanted.get("count"),  # type: ignore[arg-type]
        )
    assert str(refused.value).startswith(message)
    assert db.event_count() == before


@pytest.mark.in_process
def test_series_commands_on_the_cli(cli: Cli) -> None:
    new = ("series", "new", "wg", "--title", "WG", "--start", "2026-12-08T10:00", "--end", "2026-12-08T11:00")
    cli.ok(*new, "--tz", "Pacific Time", "--every", "week", "--count", "10", "--capacity", "2")
    before = cli.db.event_count()
    for bad in (
        (*new, "--tz", "Pacific Time", "--every", "fortnight"),
        (*new, "--tz", "Pacific Time", "--every", "week", "--on", "monday"),
        ("series", "cancel", "wg", "2026-12-09"),
        ("series", "move", "wg", "12/15", "--start", "2026-12-16T10:00", "--end", "2026-12-16T11:00"),
        ("signup", "wg/2026-13-01", "Ann"),
        ("show", "wg/12-15"),
        ("attendees", "wg/2026-12-09"),
    ):
        result = cli(*bad)
        assert result.code in (1, 2) and result.err.startswith("Error: ") and result.err.count("\n") == 1, bad
    assert cli("series", "move", "wg", "12/15", "--start", "x", "--end", "y").code == 2
    assert cli.db.event_count() == before
    cli.ok("signup", "wg/2026-12-15", "Ann Lee")
    cli.ok("series", "cancel", "wg", "2026-12-22", "--reason", "holiday")
    cli.ok("series", "move", "wg", "2026-12-29", "--start", "2026-12-30T10:00", "--end", "2026-12-30T11:00")
    shown = cli.ok("series", "show", "wg", "--json").json()
    assert [o["status"] for o in shown["occurrences"][:3]] == ["scheduled", "scheduled", "cancelled"]
    later = cli.ok("series", "show", "wg", "--json", "--from", "2026-12-22", "--limit", "2").json()["occurrences"]
    assert [o["date"] for o in later] == ["2026-12-22", "2026-12-29"]
    assert shown["occurrences"][3]["start_utc"] == "2026-12-30T18:00:00+00:00"
    assert shown["occurrences"][1]["counts"]["total"] == 1
    assert cli.ok("attendees", "wg/2026-12-15", "--json").json()["counts"]["total"] == 1
    assert cli.ok("show", "wg/2026-12-22", "--json").json()["status"] == "cancelled"
    assert "wg/2026-12-15" in cli.ok("audit", "wg/2026-12-15").out
    assert "cancelled wg/2026-12-22: holiday" in cli.ok("audit", "wg").out
    assert [r["slug"] for r in cli.ok("series", "list", "--json").json()] == ["wg"]
    assert cli.ok("list", "--json").json() == []  # occurrences are listed with their series
    as_of = cli.ok("show", "wg/2026-12-22", "--json", "--as-of", shown["created_at"]).json()
    assert as_of["status"] == "scheduled"  # before the cancellation
    ics = cli.ok("export", "ics", "wg").out
    assert ics.count("BEGIN:VEVENT") == 3  # the rule, the moved date and the one with a sign-up
    assert "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=TU" in ics and "EXDATE;TZID=America/Los_Angeles:20261222T100000" in ics
    now = datetime.now(UTC)
    ahead = [
        o for o in shown["occurrences"] if o["status"] == "scheduled" and datetime.fromisoformat(o["end_utc"]) > now
    ]
    following = cli("next", "wg", "--json")
    if ahead:  # the next one from today: the earliest start among those not over and not cancelled
        first = min(ahead, key=lambda o: o["start_utc"])
        assert following.code == 0 and following.json()["date"] == first["date"]
    else:
        assert following.code == 1 and "has no occurrence ahead" in following.err


def test_deep_verification_holds_for_occurrences_whose_series_changed_after_they_started(ledger: Ledger) -> None:
    from projections.verification import deep_findings

    weekly(ledger, capacity=3)
    ledger.sign_up("wg/2026-12-15", "Ann Lee")
    ledger.edit_series("wg", location="Room 7", title="WG (new name)")
    ledger.move_occurrence("wg", "2026-12-15", "2026-12-16T10:00", "2026-12-16T11:00")
    for n in range(12):  # past the snapshot interval: the snapshot holds the meeting as its events give it
        ledger.sign_up("wg/2026-12-15", f"Person {n}")
    ledger.cancel_occurrence("wg", "2026-12-15", "room flooded")
    with pytest.raises(RuleError, match="wg/2026-12-15 is cancelled; sign-ups are closed"):
        ledger.sign_up("wg/2026-12-15", "Late Comer")
    ledger.edit_notes("wg/2026-12-15", None, "Called off.\n")
    findings, snapshots, _ = deep_findings(ledger)
    assert findings == [] and snapshots >= 1
    shown = queries.meeting(store(ledger), "wg/2026-12-15")
    assert (shown.title, shown.location, shown.cancelled) == ("WG (new name)", "Room 7", True)
    assert shown.start == "2026-12-16T10:00:00-08:00"
