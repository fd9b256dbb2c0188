"""A series in calendars: one VEVENT with RRULE, EXDATE and RECURRENCE-ID overrides, expanded the same way by
ical.js (Thunderbird), libical (Evolution), recurring-ical-events (on icalendar) and vobject, and equal to what
`meetings series show --json` lists; a split series is two VEVENTs that the four agree on too."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.calendar_tools import (
    SYSTEM_PYTHON,
    TESTS,
    as_utc,
    check_framing,
    require_icaljs,
    require_libical,
    require_vdirsyncer,
    utc,
)
from tests.conftest import Cli, Database
from tests.test_feed_server import start_server

# What is checked is the feed's content against `series show`: both commands run in the test's process
# (the feed server for vdirsyncer is still a process of its own).
pytestmark = pytest.mark.in_process

FIRST = 60  # occurrences compared per series
Instants = dict[str, list[tuple[datetime, datetime]]]


def expand_icaljs(path: Path) -> Instants:
    require_icaljs()
    proc = subprocess.run(
        ["node", str(TESTS / "js" / "expand-ics.mjs"), str(path), str(FIRST)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return {uid: [(utc(s), utc(e)) for s, e in pairs] for uid, pairs in json.loads(proc.stdout).items()}


def expand_libical(path: Path) -> Instants:
    require_libical()
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(TESTS / "libical_expand.py"), str(path), str(FIRST)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    parse = lambda t: datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)  # noqa: E731
    return {uid: [(parse(s), parse(e)) for s, e in pairs] for uid, pairs in json.loads(proc.stdout).items()}


def expand_recurring_ical_events(path: Path) -> Instants:
    import recurring_ical_events

    cal = icalendar.Calendar.from_ical(path.read_bytes())
    found: Instants = {}
    for event in recurring_ical_events.of(cal).between(datetime(2025, 1, 1), datetime(2050, 1, 1)):
        found.setdefault(str(event["UID"]), []).append((as_utc(event.start), as_utc(event.end)))
    return {uid: sorted(pairs)[:FIRST] for uid, pairs in found.items()}


def expand_vobject(path: Path) -> Instants:
    import vobject
    import vobject.icalendar

    # vobject keeps the first VTIMEZONE it read for each TZID for the whole process; each file is read
    # with its own, as a client reading only this file would.
    vars(vobject.icalendar)["__tzidMap"].clear()
    cal = vobject.readOne(path.read_text(encoding="utf-8"), validate=True)
    events = list(getattr(cal, "vevent_list", []))
    moved = {
        (e.uid.value, as_utc(e.recurrence_id.value)): (as_utc(e.dtstart.value), as_utc(e.dtend.value))
        for e in events
        if hasattr(e, "recurrence_id")
    }
    found: Instants = {}
    for e in (e for e in events if not hasattr(e, "recurrence_id")):
        length = e.dtend.value - e.dtstart.value
        pairs = []
        for start in e.getrruleset(addRDate=True):
            if len(pairs) == FIRST:
                break
            pairs.append(moved.get((e.uid.value, as_utc(start)), (as_utc(start), as_utc(start + length))))
        found[e.uid.value] = pairs
    return found


EXPANDERS: dict[str, Callable[[Path], Instants]] = {
    "ical.js": expand_icaljs,
    "libical": expand_libical,
    "recurring-ical-events": expand_recurring_ical_events,
    "vobject": expand_vobject,
}


def shown(cli: Cli, slug: str) -> tuple[str, list[tuple[datetime, datetime]]]:
    """The series' UID and the UTC instants of its first FIRST occurrences that take place."""
    view = cli.ok("series", "show", slug, "--json").json()
    held = [o for o in view["occurrences"] if o["status"] != "cancelled"][:FIRST]
    return view["calendar_uid"], sorted((utc(o["start_utc"]), utc(o["end_utc"])) for o in held)


def build(cli: Cli) -> None:
    # Weekly in Los Angeles from October: the November fall-back and the March spring-forward both fall in it.
    cli.ok(
        *("series", "new", "la-weekly", "--title", "LA weekly", "--tz", "America/Los_Angeles", "--every", "week"),
        *("--start", "2026-10-06T09:00", "--end", "2026-10-06T10:00", "--count", "80", "--on", "tuesday"),
    )
    cli.ok("series", "cancel", "la-weekly", "2026-11-03", "--reason", "election day")
    cli.ok("series", "move", "la-weekly", "2027-03-16", "--start", "2027-03-17T13:00", "--end", "2027-03-17T14:30")
    # Every two weeks in Berlin, through both European changes, with an end date.
    cli.ok(
        *("series", "new", "berlin-biweekly", "--title", "Berlin", "--tz", "Europe/Berlin", "--every", "2weeks"),
        *("--start", "2026-10-05T17:00", "--end", "2026-10-05T18:00", "--until", "2030-12-31"),
    )
    cli.ok("series", "cancel", "berlin-biweekly", "2026-12-28")
    cli.ok(
        "series", "move", "berlin-biweekly", "2027-03-22", "--start", "2027-03-23T08:00", "--end", "2027-03-23T09:00"
    )
    cli.ok("series", "change", "berlin-biweekly", "2027-04-05", "--location", "Room 2")
    cli.ok("signup", "berlin-biweekly/2026-10-19", "Ann Lee")


@pytest.fixture(scope="module")
def built_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two series `build` makes, built once for the module; each test starts from a copy of its file."""
    from tests.support import InProcess

    home = tmp_path_factory.mktemp("built")
    path = home / "ledger.sqlite"
    build(InProcess(Database("sqlite", str(path)), home))
    return path


@pytest.fixture
def built(sqlite_cli: Cli, built_ledger: Path) -> Cli:
    """`sqlite_cli` on a ledger holding what `build` makes (a copy: each test changes its own)."""
    for part in built_ledger.parent.glob(built_ledger.name + "*"):  # the file and any journal beside it
        shutil.copy(part, Path(sqlite_cli.db.url).with_name(part.name))
    return sqlite_cli


@pytest.fixture
def feed(built: Cli, tmp_path: Path) -> Callable[[], Path]:
    def export() -> Path:
        path = tmp_path / f"feed-{len(list(tmp_path.glob('feed-*.ics')))}.ics"
        built.ok("export", "feed", "-o", str(path))
        return path

    return export


@pytest.mark.parametrize("expander", list(EXPANDERS))
def test_every_parser_expands_the_series_to_the_instants_series_show_lists(
    sqlite_cli: Cli, feed: Callable[[], Path], expander: str
) -> None:
    path = feed()
    check_framing(path.read_bytes())
    seen = EXPANDERS[expander](path)
    for slug in ("la-weekly", "berlin-biweekly"):
        uid, expected = shown(sqlite_cli, slug)
        assert len(expected) == FIRST
        assert sorted(seen[uid]) == expected, (expander, slug)
    la = dict(zip(("uid", "instants"), shown(sqlite_cli, "la-weekly"), strict=True))
    hours = {start.hour for start, _ in la["instants"]}  # 09:00 local is 16:00 or 17:00 UTC, and the move
    assert {16, 17} <= hours


@pytest.mark.parametrize("expander", list(EXPANDERS))
def test_a_split_series_is_two_entries_that_every_parser_reads_the_same(
    sqlite_cli: Cli, feed: Callable[[], Path], expander: str
) -> None:
    cli = sqlite_cli
    cli.ok("notes", "edit", "la-weekly/2026-10-13", "--file", "-", input="Minutes of the 13th.\n")
    cli.ok(
        "series",
        "split",
        "la-weekly",
        "2027-01-05",
        "la-late",
        "--start",
        "2027-01-05T15:00",
        "--end",
        "2027-01-05T16:00",
    )
    path = feed()
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    masters = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e]
    assert len(masters) == 3  # la-weekly (now with UNTIL), la-late, berlin-biweekly
    seen = EXPANDERS[expander](path)
    early_uid, early = shown(cli, "la-weekly")
    late_uid, late = shown(cli, "la-late")
    assert early_uid != late_uid and len(early) == 12 and len(late) == FIRST
    assert sorted(seen[early_uid]) == early and sorted(seen[late_uid]) == late, expander
    assert {s.astimezone(UTC).hour for s, _ in late if s.month in (1, 2)} == {23}  # 15:00 PST
    assert cli.ok("notes", "show", "la-weekly/2026-10-13", "--json").json()["text"] == "Minutes of the 13th.\n"


def test_the_series_entry_holds_the_rule_exdate_and_one_override_per_exception(
    sqlite_cli: Cli, feed: Callable[[], Path]
) -> None:
    cal = icalendar.Calendar.from_ical(feed().read_bytes())
    uid = sqlite_cli.ok("series", "show", "berlin-biweekly", "--json").json()["calendar_uid"]
    entries = [e for e in cal.walk("VEVENT") if str(e["UID"]) == uid]
    [master] = [e for e in entries if "RECURRENCE-ID" not in e]
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["INTERVAL"] == [2]
    until = master["RRULE"]["UNTIL"][0]
    assert until.tzinfo is not None and until.utcoffset() == timedelta(0)  # UTC beside a TZID DTSTART
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    overrides = {e["RECURRENCE-ID"].dt.date().isoformat(): e for e in entries if "RECURRENCE-ID" in e}
    # moved, changed, and the one with a sign-up (its attendees are in its own DESCRIPTION)
    assert set(overrides) == {"2027-03-22", "2027-04-05", "2026-10-19"}
    assert int(overrides["2027-03-22"]["SEQUENCE"]) > int(master["SEQUENCE"])
    assert str(overrides["2027-04-05"]["LOCATION"]) == "Room 2"
    assert "Ann Lee" in str(overrides["2026-10-19"]["DESCRIPTION"])
    assert [d.dt.date().isoformat() for d in master["EXDATE"].dts] == ["2026-12-28"]


def test_vdirsyncer_syncs_a_series_feed_before_and_after_a_change(built: Cli, tmp_path: Path) -> None:
    vdirsyncer = require_vdirsyncer()
    cli = built
    server = start_server(cli, tmp_path / "server.log")
    try:
        local = tmp_path / "calendar"
        local.mkdir()
        config = tmp_path / "vdirsyncer.conf"
        config.write_text(f"""
[general]
status_path = "{tmp_path / "status"}"

[pair series]
a = "local"
b = "served"
collections = null
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".ics"

[storage served]
type = "http"
url = "{server.base}/meetings/la-weekly.ics"
""")

        def sync() -> list[Any]:
            for step in ("discover", "sync"):
                proc = subprocess.run(
                    [vdirsyncer, "-c", str(config), step], capture_output=True, text=True, input="y\n" * 5, timeout=120
                )
                assert proc.returncode == 0, proc.stdout + proc.stderr
            [item] = list(local.glob("*.ics"))  # one item: the series with its overrides
            return list(icalendar.Calendar.from_ical(item.read_bytes()).walk("VEVENT"))

        before = sync()
        assert len(before) == 2  # the rule and the moved date
        cli.ok("series", "move", "la-weekly", "2026-12-01", "--start", "2026-12-02T09:00", "--end", "2026-12-02T10:00")
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        after = sync()
        while len(after) == 2 and datetime.now(UTC) < deadline:
            after = sync()
        moved = {e["RECURRENCE-ID"].dt.date().isoformat(): e for e in after if "RECURRENCE-ID" in e}
        assert set(moved) == {"2027-03-16", "2026-12-01"}
        assert as_utc(moved["2026-12-01"]["DTSTART"].dt) == datetime(2026, 12, 2, 17, tzinfo=UTC)
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def test_a_ten_year_series_feed_holds_one_vevent_plus_its_overrides(tmp_path: Path) -> None:
    """PRODUCT.md section 8's series: 520 occurrences, 20 exceptions, and a feed as big as the exceptions."""
    from exports.calendar import feeds
    from projections import queries
    from tests.benchmarks.series import build

    app, store, _ = build(tmp_path / "ledger.sqlite")
    try:
        assert len(queries.series(store, "ten-years").occurrences) == 520
        for slug in ("ten-years", "one-year"):
            cal = icalendar.Calendar.from_ical(feeds.meeting_feed(store, slug).body)
            events = list(cal.walk("VEVENT"))
            [master] = [e for e in events if "RECURRENCE-ID" not in e]
            # 5 moved, 5 with another place and 5 with sign-ups get an override; 5 cancelled are EXDATEs
            assert len(events) == 1 + 15, slug
            assert len(master["EXDATE"].dts) == 5
            assert {str(e["UID"]) for e in events} == {str(master["UID"])}
    finally:
        app.close()


def test_a_personal_feed_lists_the_occurrences_the_person_signed_up_for(built: Cli, tmp_path: Path) -> None:
    cli = built
    cli.ok("signup", "la-weekly/2027-02-02", "Ann Lee")
    path = tmp_path / "ann.ics"
    cli.ok("export", "feed", "--person", "Ann Lee", "--past-days", "3650", "-o", str(path))
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    berlin = cli.ok("series", "show", "berlin-biweekly", "--json").json()["calendar_uid"]
    la = cli.ok("series", "show", "la-weekly", "--json").json()["calendar_uid"]
    # Each date as an event of its own: a UID of its own, so no client takes it for the whole series.
    assert sorted(str(e["UID"]) for e in events) == sorted([f"{berlin}/2026-10-19", f"{la}/2027-02-02"])
    assert all("RRULE" not in e and "RECURRENCE-ID" not in e for e in events)


SLUGS = itertools.count()
ZONES = ["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata", "UTC"]


@pytest.fixture(scope="module")
def rule_ledger(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ledger import people, storage

    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(str(tmp_path_factory.mktemp("rules") / "ledger.sqlite")))
    yield app
    app.close()


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    first=st.dates(min_value=date(2026, 1, 1), max_value=date(2045, 12, 31)),
    hour=st.integers(min_value=6, max_value=21),
    every=st.sampled_from(["week", "2weeks", "month"]),
    by_weekday=st.booleans(),
    count=st.integers(min_value=1, max_value=40),
    cancelled=st.sets(st.integers(min_value=1, max_value=39), max_size=3),
)
def test_any_rule_expands_in_every_parser_as_series_show_lists(
    rule_ledger: Any,
    tmp_path: Path,
    zone: str,
    first: date,
    hour: int,
    every: str,
    by_weekday: bool,
    count: int,
    cancelled: set[int],
) -> None:
    """Whatever the zone, year (past pytz's 2037 too), frequency and cancellations: the calendar says what we say."""
    from exports.calendar import feeds
    from projections import queries
    from projections.store import ReadStore

    app = rule_ledger
    slug = f"rule-{next(SLUGS)}"  # a new series per example, in the one ledger
    on = first.strftime("%A").lower() if every == "month" and by_weekday else None
    start = f"{first}T{hour:02d}:00"
    app.create_series(slug, "Rule", start, f"{first}T{hour:02d}:45", zone, every, on=on, count=count)
    store = ReadStore(app)
    store.catch_up(queries.MODELS)
    listed = queries.series(store, slug).occurrences
    for index in sorted(cancelled):
        if index < len(listed):
            app.cancel_occurrence(slug, listed[index].date)
    store.catch_up(queries.MODELS)
    view = queries.series(store, slug)
    expected = sorted((utc(o.start_utc), utc(o.end_utc)) for o in view.occurrences if o.status != "cancelled")
    path = tmp_path / f"{slug}.ics"
    path.write_bytes(feeds.meeting_feed(store, slug).body)
    for name, expander in EXPANDERS.items():
        seen = expander(path).get(view.calendar_uid, [])
        assert sorted(seen) == expected[:FIRST], (name, zone, first, every, by_weekday)
