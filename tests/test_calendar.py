"""Calendar export: the .ics files real clients' parsers read, byte framing, determinism and privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.calendar import feeds, ics
from tests.calendar_tools import (
    READERS,
    check_framing,
    icaljs,
    libical,
    require_icaljs,
    require_libical,
)
from tests.support import new_meeting

# The feeds' content is the rule here: `meetings export` runs in the test's process.
pytestmark = pytest.mark.in_process

# (slug, local start, local end, zone, fold): the seed meeting the day after the US fall-back, both sides of
# the spring change in Los Angeles and Berlin, Lord Howe's half-hour shift, and a time that happens twice.
TIMES = [
    ("sig-node-f2f-2016", "2016-11-07T13:00", "2016-11-07T16:00", "America/Los_Angeles", None),
    ("la-march", "2026-03-20T09:00", "2026-03-20T10:30", "America/Los_Angeles", None),
    ("la-early-march", "2026-03-05T09:00", "2026-03-05T10:00", "America/Los_Angeles", None),
    ("la-july", "2026-07-01T09:00", "2026-07-01T10:00", "America/Los_Angeles", None),
    ("berlin-march", "2026-03-26T10:00", "2026-03-26T12:00", "Europe/Berlin", None),
    ("berlin-late-march", "2026-03-30T10:00", "2026-03-30T12:00", "Europe/Berlin", None),
    ("berlin-july", "2026-07-01T10:00", "2026-07-01T11:00", "Europe/Berlin", None),
    ("lord-howe-january", "2026-01-15T10:00", "2026-01-15T11:00", "Australia/Lord_Howe", None),
    ("lord-howe-july", "2026-07-15T10:00", "2026-07-15T11:00", "Australia/Lord_Howe", None),
    ("la-fall-back", "2026-11-01T01:30", "2026-11-01T03:00", "America/Los_Angeles", "first"),
    # Past 2037, where pytz's tables end: the zone's current rules still hold, in the VTIMEZONE too.
    ("la-july-2040", "2040-07-03T09:00", "2040-07-03T10:00", "America/Los_Angeles", None),
    ("la-fall-back-2040", "2040-11-04T01:30", "2040-11-04T03:00", "America/Los_Angeles", "second"),
    ("berlin-april-2045", "2045-04-04T10:00", "2045-04-04T11:00", "Europe/Berlin", None),
]


def intended(local: str, zone: str, fold: str | None) -> datetime:
    """The instant the organizer meant, from Python's own zone data (not from any file)."""
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone), fold=1 if fold == "second" else 0)
    return moment.astimezone(UTC)


@pytest.fixture(scope="module")
def zoned_feed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One SQLite ledger holding every meeting in TIMES, rendered as one feed (rendering only: one backend)."""
    from ledger import people, storage
    from projections.queries import MODELS
    from projections.store import ReadStore

    path = tmp_path_factory.mktemp("zones") / "ledger.sqlite"
    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(str(path)))
    for slug, start, end, zone, fold in TIMES:
        app.create_meeting(slug, f"Meeting {slug}", start, end, zone, fold=fold)
    store = ReadStore(app)
    store.catch_up(MODELS)
    entries = feeds.load_all(store)
    uids = {e.meeting["calendar_uid"]: e.meeting["slug"] for e in entries}
    out = path.with_suffix(".ics")
    out.write_bytes(ics.render(entries, "All"))
    app.close()
    return out, uids


@pytest.mark.parametrize("reader", list(READERS))
def test_every_parser_reads_the_intended_utc_times(zoned_feed: tuple[Path, dict[str, Any]], reader: str) -> None:
    if reader == "ical.js":
        require_icaljs()
    if reader == "libical":
        require_libical()
    path, uids = zoned_feed
    seen = {uids[s.uid]: (s.start, s.end) for s in READERS[reader](path)}
    expected = {
        slug: (intended(start, zone, fold), intended(end, zone, fold)) for slug, start, end, zone, fold in TIMES
    }
    assert seen == expected
    assert seen["sig-node-f2f-2016"] == (datetime(2016, 11, 7, 21, tzinfo=UTC), datetime(2016, 11, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize("reader", ["ical.js", "libical", "vobject", "icalendar"])
def test_a_feed_of_only_far_future_meetings_still_gets_the_zones_yearly_rules(tmp_path: Path, reader: str) -> None:
    """With nothing before pytz's last year (2037) in the feed, the VTIMEZONE must still carry the current rule."""
    if reader == "ical.js":
        require_icaljs()
    if reader == "libical":
        require_libical()
    from ledger import people, storage
    from projections.queries import MODELS
    from projections.store import ReadStore

    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(str(tmp_path / "ledger.sqlite")))
    times = [
        ("summer-2038", "2038-04-01T06:00", "America/Los_Angeles"),
        ("winter-2041", "2041-12-01T06:00", "Europe/Berlin"),
    ]
    for slug, start, zone in times:
        app.create_meeting(slug, slug, start, start[:11] + "07:00", zone)
    store = ReadStore(app)
    store.catch_up(MODELS)
    path = tmp_path / "far.ics"
    entries = feeds.load_all(store)
    uids = {e.meeting["calendar_uid"]: e.meeting["slug"] for e in entries}
    path.write_bytes(ics.render([e for e in entries if e.meeting["slug"] == "summer-2038"], "Far"))
    app.close()
    seen = {uids[s.uid]: s.start for s in READERS[reader](path)}
    assert seen == {"summer-2038": datetime(2038, 4, 1, 13, tzinfo=UTC)}


def test_vtimezones_use_yearly_rules_not_rdate_lists(zoned_feed: tuple[Path, dict[str, Any]]) -> None:
    cal = icalendar.Calendar.from_ical(zoned_feed[0].read_bytes())
    zones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}
    assert set(zones) == {"America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe"}
    for tz in zones.values():
        assert not any("RDATE" in part for part in tz.subcomponents)
        assert all("RRULE" in part for part in tz.subcomponents if part.name in ("STANDARD", "DAYLIGHT"))
    # The ambiguous fall-back meeting is written in UTC instead of a local time two parsers misread.
    assert b"DTSTART:20261101T083000Z" in zoned_feed[0].read_bytes()


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Tokyo"])
def test_generated_vtimezone_matches_the_zone_hour_by_hour(zone: str) -> None:
    """Every hour from 2016 to 2030 gets the offset Python's zone data gives, read back through icalendar."""
    tz = ics.vtimezone(zone, datetime(2016, 1, 1, tzinfo=UTC))
    parsed = icalendar.Timezone.from_ical(tz.to_ical()).to_tz()
    real = ZoneInfo(zone)
    moment = datetime(2016, 1, 1, tzinfo=UTC)
    while moment.year < 2031:
        assert moment.astimezone(parsed).utcoffset() == moment.astimezone(real).utcoffset(), moment
        moment += timedelta(hours=1)


def test_libical_finds_no_itip_problems_in_a_published_feed(zoned_feed: tuple[Path, dict[str, Any]]) -> None:
    require_libical()
    assert libical(zoned_feed[0])["errors"] == []


# ----- framing and hostile text ----------------------------------------------------------------

HOSTILE = 'Ja, no; back\\slash: "quoted" — Zürich 東京 🎉 end\\'
HOSTILE_NOTES = 'line one, with; all\\ of: "it"\nDESCRIPTION:injected\r\nBEGIN:VEVENT\nÜnïcödé ✓ ' + "x" * 90


def test_hostile_text_round_trips_and_cannot_inject(cli: Any, tmp_path: Path) -> None:
    cli.ok(
        "new",
        "hostile",
        "--title",
        HOSTILE,
        "--start",
        "2030-05-01T10:00",
        "--end",
        "2030-05-01T11:00",
        "--tz",
        "Europe/Berlin",
        "--location",
        'Room "A"; 2nd floor, B\\C',
        "--description",
        HOSTILE_NOTES,
    )
    cli.ok("signup", "hostile", 'Zoë "Zed" O\'Neil; Jr., PhD: x\\y', "--remark", HOSTILE)
    cli.ok("notes", "edit", "hostile", "--file", "-", input="Notes: " + HOSTILE_NOTES)
    cli.ok("edit", "hostile", "--attendee-list", "full")  # remarks and notes reach the feed
    out = tmp_path / "hostile.ics"
    cli.ok("export", "ics", "hostile", "-o", str(out))
    data = out.read_bytes()
    check_framing(data)

    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == HOSTILE
    assert str(event["LOCATION"]) == 'Room "A"; 2nd floor, B\\C'
    description = str(event["DESCRIPTION"])
    assert HOSTILE_NOTES.replace("\r\n", "\n") in description
    assert "Notes:\nNotes: " + HOSTILE_NOTES.replace("\r\n", "\n") in description
    assert f'Zoë "Zed" O\'Neil; Jr., PhD: x\\y ({HOSTILE})' in description
    assert len(icalendar.Calendar.from_ical(data).walk("VEVENT")) == 1
    assert not any(
        line.startswith(b"DESCRIPTION:injected") or line == b"BEGIN:VEVENT\r"
        for line in data.split(b"\r\n")[1:]
        if not line.startswith(b" ")
    )

    require_icaljs()
    [seen] = icaljs(out)["events"]
    assert seen["summary"] == HOSTILE
    assert seen["description"] == description
    assert seen["location"] == 'Room "A"; 2nd floor, B\\C'


def entry_with(title: str, name: str, remark: str, notes: str) -> ics.MeetingEntry:
    meeting = {
        "slug": "m",
        "title": title,
        "start": "2030-01-01T10:00:00+01:00",
        "end": "2030-01-01T11:00:00+01:00",
        "timezone": "Europe/Berlin",
        "location": title,
        "video_url": "https://example.org/v?a=1;b=2,c",
        "description": notes,
        "capacity": None,
        "cancelled": False,
        "cancel_reason": "",
        "sequence": 3,
        "calendar_uid": "0b8f0d52-3c3a-4a44-9d0f-8f4a8b1a2b3c",
        "publish_emails": False,
        "created_at": "2029-12-01T00:00:00+00:00",
        "updated_at": "2029-12-02T00:00:00.123456+00:00",
    }
    person = {"name": name, "mode": "in-person", "remark": remark, "email": "hidden@example.org"}
    attendees = {
        "capacity": None,
        "seated": [person],
        "waitlist": [],
        "remote": [],
        "undecided": [],
        "counts": {"total": 1, "seated": 1, "waitlisted": 0, "remote": 0, "undecided": 0},
    }
    return ics.MeetingEntry(meeting, attendees, [], {"general": notes}, name)


one_line = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120)
    .map(str.strip)
    .filter(bool)
)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp"), blacklist_characters="\r"), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=one_line, name=one_line, remark=one_line, notes=free_text)
def test_any_text_keeps_framing_and_reads_back_unchanged(title: str, name: str, remark: str, notes: str) -> None:
    data = ics.render([entry_with(title, name, remark, notes)], title)
    check_framing(data)
    cal = icalendar.Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == title
    assert f"- {name} ({remark})" in str(event["DESCRIPTION"])
    assert notes in str(event["DESCRIPTION"])
    assert str(cal["X-WR-CALNAME"]) == title
    # Nothing the user typed became a property of its own.
    assert sorted(event) == sorted(
        [
            "UID",
            "DTSTAMP",
            "CREATED",
            "LAST-MODIFIED",
            "SEQUENCE",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "DESCRIPTION",
            "LOCATION",
            "ORGANIZER",
            "URL",
            "CONFERENCE",
            "STATUS",
            "TRANSP",
        ]
    )
    assert b"hidden@example.org" not in data


# ----- determinism, reschedule, cancel -----------------------------------------------------------


def export(cli: Any, slug: str, tmp_path: Path, name: str) -> bytes:
    out = tmp_path / name
    cli.ok("export", "ics", slug, "-o", str(out))
    return out.read_bytes()


def event_of(data: bytes) -> Any:
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return event


def seed_new(ledger: Any) -> None:
    """The seed meeting's `meetings new`, without its sign-ups."""
    ledger.create_meeting(
        "sig-node-f2f-2016",
        "Sig-node Face to Face meeting before KubeCon",
        "2016-11-07T13:00",
        "2016-11-07T16:00",
        "Pacific Time",
        location="Menzies Suite at the Grand Hyatt Seattle",
        video_url="https://zoom.us/j/6229641857",
        capacity=25,
    )


def test_same_ledger_state_exports_the_same_bytes(cli: Any, ledger: Any, tmp_path: Path) -> None:
    seed_new(ledger)
    ledger.sign_up("sig-node-f2f-2016", "Dawn Chen")
    first = export(cli, "sig-node-f2f-2016", tmp_path, "a.ics")
    cli.ok("list")  # reading does not change anything
    assert export(cli, "sig-node-f2f-2016", tmp_path, "b.ics") == first
    stdout = cli.ok("export", "ics", "sig-node-f2f-2016").out.encode()
    assert stdout.replace(b"\n", b"") == first.replace(b"\r\n", b"")
    event = event_of(first)
    assert event["DTSTAMP"].to_ical().endswith(b"Z") and event["LAST-MODIFIED"].to_ical().endswith(b"Z")
    assert str(event["URL"]) == "https://zoom.us/j/6229641857"
    assert "https://zoom.us/j/6229641857" in str(event["DESCRIPTION"])
    assert "Attendees: 1 signed up: 1 in person (limit 25)" in str(event["DESCRIPTION"])
    cal = icalendar.Calendar.from_ical(first)
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in first and b"X-PUBLISHED-TTL:PT1H\r\n" in first
    assert b"NAME:Sig-node Face to Face" in first and b"X-WR-CALNAME:Sig-node" in first
    assert b"METHOD:PUBLISH\r\n" in first and b"ATTENDEE" not in first
    assert b"CONFERENCE;FEATURE=VIDEO;LABEL=Video call;VALUE=URI:https://zoom.us/j/6229" in first


def test_reschedule_keeps_uid_and_raises_sequence_and_cancel_says_cancelled(
    cli: Any, ledger: Any, tmp_path: Path
) -> None:
    seed_new(ledger)
    before = event_of(export(cli, "sig-node-f2f-2016", tmp_path, "before.ics"))
    ledger.reschedule("sig-node-f2f-2016", "2016-11-07T14:00", "2016-11-07T17:00", None)
    moved = event_of(export(cli, "sig-node-f2f-2016", tmp_path, "moved.ics"))
    assert moved["UID"] == before["UID"]
    assert moved["SEQUENCE"] > before["SEQUENCE"]
    assert moved.start.astimezone(UTC) == datetime(2016, 11, 7, 22, tzinfo=UTC)
    ledger.cancel("sig-node-f2f-2016", "room lost")
    cancelled = event_of(export(cli, "sig-node-f2f-2016", tmp_path, "cancelled.ics"))
    assert cancelled["UID"] == before["UID"]
    assert cancelled["SEQUENCE"] > moved["SEQUENCE"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert "room lost" in str(cancelled["DESCRIPTION"])


def test_feeds_never_show_emails_even_when_the_organizer_allowed_them(cli: Any, ledger: Any, tmp_path: Path) -> None:
    new_meeting(ledger, "privacy", title="Privacy", start="2099-05-01T10:00", end="2099-05-01T11:00")
    ledger.sign_up("privacy", "Dawn Chen", email="dawn@example.org", remark="mail me")
    ledger.sign_up("privacy", "Derek Carr", "remote", email="derek@example.org")
    feeds = [
        cli.ok("export", "ics", "privacy").out,
        cli.ok("export", "feed").out,
        cli.ok("export", "feed", "--person", "Dawn Chen").out,
        cli.ok("export", "feed", "--person", "derek@example.org").out,
    ]
    for text in feeds:
        assert "Privacy" in text and "Dawn Chen" in text
        assert "@" not in text.replace("mailto", ""), text
    # The option is still accepted, for older scripts; public feeds never publish emails (PRODUCT.md 10).
    cli.ok("edit", "privacy", "--publish-emails", "--attendee-list", "full")
    shown = cli.ok("export", "ics", "privacy").out.replace("\n ", "")
    assert "Dawn Chen (mail me)" in shown and "@" not in shown
    assert "ATTENDEE" not in shown
    ledger.edit_meeting("privacy", publish_emails=False)
    assert "@" not in cli.ok("export", "feed").out


def test_personal_feed_lists_only_that_persons_meetings(cli: Any, ledger: Any) -> None:
    for slug in ("one", "two"):
        new_meeting(
            ledger,
            slug,
            title=f"Meeting {slug}",
            start="2099-05-01T10:00",
            end="2099-05-01T11:00",
            zone="Europe/Berlin",
        )
    ledger.sign_up("one", "Dawn Chen")
    mine = cli.ok("export", "feed", "--person", "dawn  chen").out
    assert "Meeting one" in mine and "Meeting two" not in mine
    everyone = cli.ok("export", "feed").out
    assert "Meeting one" in everyone and "Meeting two" in everyone
    missing = cli("export", "feed", "--person", "Nobody")
    assert missing.code == 1 and missing.err.startswith("Error: no one called 'Nobody'")
    unknown = cli("export", "ics", "no-such-meeting")
    assert unknown.code == 1 and unknown.err.startswith("Error:")
