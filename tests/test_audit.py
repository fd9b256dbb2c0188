"""`meetings audit`: the seed meeting's whole story, told event by event, filtered and streamed."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports import audit as trail
from ledger.application import Ledger
from ledger.people import name_key
from tests.conftest import Cli, Database, meetings_executable
from tests.support import InProcess, acting_as, new_meeting, seed_meeting, sign_up_many

SLUG = "sig-node-f2f-2016"
FIELDS = {"position", "time", "actor", "principal", "meeting", "person", "action", "details", "sentence"}
VERBS = (
    "created",
    "edited",
    "rescheduled",
    "cancelled",
    "reinstated",
    "set the capacity",
    "removed the capacity",
    "signed up",
    "withdrew",
    "changed",
    "was promoted",
    "proposed",
    "retitled",
    "moved",
    "made",
)

# What the audit tells is a rule: the command runs in this process. The memory bar measures
# real `meetings` processes (its own `Cli`s), whatever the marker.
pytestmark = pytest.mark.in_process


@pytest.fixture
def story(cli: Cli, ledger: Ledger) -> Cli:
    """The seed meeting (its script runs in test_golden_json.py), then changed by bob, carol and dave."""
    seed_meeting(ledger)
    with acting_as(ledger, "dave"):
        sign_up_many(ledger, SLUG, ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra"])  # the last waits
    with acting_as(ledger, "bob"):
        ledger.withdraw(SLUG, "Brandon Philips", "needs the room")
    with acting_as(ledger, "carol"):
        ledger.change_attendance(SLUG, "Dawn Chen", "remote", None)
        ledger.edit_notes(SLUG, None, "# Notes\n\nCRI first.\n")
    with acting_as(ledger, "dave"):
        ledger.edit_notes(SLUG, None, "# Notes\n\nCRI first.\nThen nodespec.\n")
    with acting_as(ledger, "bob"):
        ledger.retitle_topic(SLUG, 3, "Runtime-agnostic debugging tools")
    return cli


def test_audit_tells_every_event_as_json_csv_and_sentences(story: Cli) -> None:
    entries = story.ok("audit", "--format", "json").json()
    assert len(entries) == story.db.event_count()
    assert all(set(e) == FIELDS for e in entries)
    assert [e["position"] for e in entries] == sorted(e["position"] for e in entries)
    assert {e["actor"] for e in entries} == {"alice", "bob", "carol", "dave"}
    # The accounts bob, carol and dave were made admins for the story: the directory's events.
    assert {e["meeting"] for e in entries} == {SLUG, "the ledger"}
    withdrawal = next(e for e in entries if e["action"] == "withdrew")
    assert withdrawal["sentence"] == "bob withdrew Brandon Philips from sig-node-f2f-2016: needs the room"
    assert (withdrawal["actor"], withdrawal["person"], withdrawal["details"]) == (
        "bob",
        "Brandon Philips",
        {"reason": "needs the room"},
    )
    promotion = next(e for e in entries if e["action"] == "promoted")
    assert promotion["sentence"] == (
        "Edsger Dijkstra was promoted from the waitlist of sig-node-f2f-2016 (after bob's change)"
    )
    assert promotion["actor"] == "bob"
    assert "dave signed up Edsger Dijkstra for sig-node-f2f-2016 (in person, waitlisted)" in [
        e["sentence"] for e in entries
    ]
    datetime.fromisoformat(entries[0]["time"])

    # The same events as CSV, loaded by the csv module.
    rows = list(csv.DictReader(io.StringIO(story.ok("audit", "--format", "csv").out)))
    assert [int(r["position"]) for r in rows] == [e["position"] for e in entries]
    assert [json.loads(r["details"]) for r in rows] == [e["details"] for e in entries]
    assert [r["sentence"] for r in rows] == [e["sentence"] for e in entries]

    # As text: one sentence a line naming the actor, the action, its subject and the meeting.
    lines = story.ok("audit").out.splitlines()
    assert len(lines) == len(entries)
    for line, entry in zip(lines, entries, strict=True):
        if entry["meeting"] == "the ledger":
            continue
        assert line.startswith(entry["time"][:10])
        assert entry["actor"] in line and SLUG in line
        assert any(verb in line for verb in VERBS), line
        subject = entry["person"] or entry["details"].get("title") or "notes"
        assert subject in line, line


def test_notes_edits_show_a_unified_diff_with_diffs(story: Cli) -> None:
    text = story.ok("audit", SLUG, "--actor", "dave", "--diffs").out
    assert "dave edited the general notes of sig-node-f2f-2016 (revision 2)\n" in text
    assert "    --- revision 1\n    +++ revision 2\n" in text
    assert "    +Then nodespec.\n" in text
    edits = [e for e in story.ok("audit", "--format", "json", "--diffs").json() if e["action"] == "notes-edited"]
    assert edits[0]["diff"].startswith("--- revision 0\n+++ revision 1\n")
    assert "+CRI first.\n" in edits[0]["diff"]


def test_person_filter_matches_names_as_the_sign_up_sheet_does() -> None:
    """Case and repeated spaces do not matter; a missing space does (PRODUCT.md: names match that way)."""
    entry = trail.Entry(1, "2016-11-07T21:00:00+00:00", "alice", "", SLUG, "Dawn Chen", "signed-up", {}, "")
    for typed in ("Dawn Chen", "dawn chen", "  DAWN   CHEN "):
        assert trail.Filters(person=typed).keep(entry), typed
    for typed in ("dawnchen", "Dawn Che"):
        assert not trail.Filters(person=typed).keep(entry), typed


def test_audit_of_an_unknown_meeting_or_with_a_bad_time_refuses(cli: Cli, ledger: Ledger) -> None:
    new_meeting(ledger, SLUG)
    unknown = cli("audit", "no-such-meeting")
    assert (unknown.code, unknown.err) == (1, "Error: no meeting 'no-such-meeting'\n")
    bad = cli("audit", "--since", "last tuesday")
    assert bad.code == 2 and bad.err.startswith("Error: --since 'last tuesday' is not an ISO 8601 time")


# ----- filters: a property ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[InProcess, list[dict[str, Any]], list[str]]:
    """Two meetings changed by several actors, built in-process; the full audit as JSON and text."""
    from ledger import people, storage

    path = tmp_path_factory.mktemp("mixed") / "ledger.sqlite"
    app = storage.open_ledger(storage.resolve(str(path)))
    people.principal_var.set(people.login_name())

    def act(account: str) -> None:
        people.principal_var.set(account)
        people.actor_var.set("")

    act("alice")  # the ledger's first account: its admin, who makes the others admins for the story
    app.create_meeting("alpha", "Alpha", "2016-11-07T13:00", "2016-11-07T16:00", "UTC", capacity=2)
    for account in ("bob", "Carol", "carol", "dave"):
        app.grant_admin(account)
    app.create_meeting("beta", "Beta", "2016-11-07T13:00", "2016-11-07T16:00", "UTC", capacity=2)
    for i, (actor, slug, name) in enumerate(
        [
            ("alice", "alpha", "Dawn Chen"),
            ("bob", "alpha", "Derek Carr"),
            ("Carol", "beta", "Dawn Chen"),
            ("bob", "alpha", "Paul Morie"),
            ("dave", "beta", "Paul Morie"),
            ("alice", "beta", "Euan Kemp"),
        ]
    ):
        act(actor)
        app.sign_up(slug, name, remark=f"#{i}")
    act("carol")
    app.withdraw("alpha", "Dawn Chen", "needs the room")
    act("dave")
    app.propose_topic("beta", "CRI", "Dawn Chen")
    app.edit_notes("beta", None, "hello\n")
    app.close()
    # Thirty filter combinations: the command runs in-process (the executable's contract is tested above).
    cli = InProcess(Database("sqlite", str(path)), path.parent)
    return cli, json.loads(cli.ok("audit", "--format", "json").out), cli.ok("audit").out.splitlines()


@st.composite
def filters(draw: st.DrawFn, entries: list[dict[str, Any]]) -> dict[str, Any]:
    times = sorted(datetime.fromisoformat(e["time"]) for e in entries)
    chosen: dict[str, Any] = {}
    if draw(st.booleans()):
        chosen["slug"] = draw(st.sampled_from(["alpha", "beta"]))
    if draw(st.booleans()):
        chosen["actor"] = draw(st.sampled_from(["alice", "BOB", "carol", "dave", "nobody"]))
    if draw(st.booleans()):
        name = draw(st.sampled_from(["Dawn Chen", "Paul Morie", "Euan Kemp", "Nobody"]))
        chosen["person"] = draw(
            st.sampled_from([name, name.upper(), name.replace(" ", ""), f" {name.lower()} ", name.replace(" ", "   ")])
        )
    for bound in ("since", "until"):
        if draw(st.booleans()):
            moment = draw(st.sampled_from(times)) + timedelta(microseconds=draw(st.sampled_from([-1, 0, 1])))
            zone = draw(st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), None]))
            # Without an offset the CLI reads local time, which is UTC in its environment.
            chosen[bound] = moment.astimezone(zone or UTC).replace(tzinfo=None if zone is None else zone)
    return chosen


def matches(entry: dict[str, Any], chosen: dict[str, Any]) -> bool:
    moment = datetime.fromisoformat(entry["time"])

    def aware(value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    return (
        ("slug" not in chosen or entry["meeting"] == chosen["slug"])
        and ("actor" not in chosen or entry["principal"].casefold() == chosen["actor"].casefold())
        and ("person" not in chosen or name_key(entry["person"]) == name_key(chosen["person"]))
        and ("since" not in chosen or moment >= aware(chosen["since"]))
        and ("until" not in chosen or moment <= aware(chosen["until"]))
    )


def test_filtered_audit_equals_the_full_audit_filtered(
    mixed_ledger: tuple[InProcess, list[dict[str, Any]], list[str]],
) -> None:
    cli, full, full_text = mixed_ledger

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(filters(full))
    def check(chosen: dict[str, Any]) -> None:
        args = [chosen["slug"]] if "slug" in chosen else []
        for option in ("actor", "person", "since", "until"):
            if option in chosen:
                value = chosen[option]
                args += [f"--{option}", value.isoformat() if isinstance(value, datetime) else value]
        expected = [i for i, e in enumerate(full) if matches(e, chosen)]
        assert json.loads(cli.ok("audit", "--format", "json", *args).out) == [full[i] for i in expected]
        assert cli.ok("audit", *args).out.splitlines() == [full_text[i] for i in expected]

    check()


# ----- streaming: memory stays flat -----------------------------------------------------------------


def build_big_ledger(path: Path, events: int) -> None:
    """A meeting with `events` events, saved in a few large batches (far faster than the CLI)."""
    from ledger import people, storage
    from ledger.meeting import Meeting
    from ledger.timing import Schedule

    people.actor_var.set("loader")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(str(path)))
    meeting = Meeting.schedule(
        slug="big", title="Big", schedule=Schedule.from_input("2016-11-07T13:00", "2016-11-07T16:00", "UTC", None)
    )
    written = 1
    while written < events:
        for i in range(min(10_000, events - written) // 2):
            meeting.sign_up(f"Person {written + 2 * i}", "remote", None, "a remark to make the rows realistic")
            meeting.withdraw(f"Person {written + 2 * i}", "a reason")
        app.save(meeting)
        written = meeting.version
    app.close()


def peak_rss_kib(cli: Cli, *args: str) -> int:
    """The peak resident memory of one `meetings` process, measured by a parent that runs only it."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *meetings_executable(), *args],
        env=cli.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return int(done.stdout)


@pytest.mark.slow
def test_audit_memory_stays_flat_from_a_thousand_to_a_hundred_thousand_events(tmp_path: Path) -> None:
    small, big = tmp_path / "small.sqlite", tmp_path / "big.sqlite"
    build_big_ledger(small, 1_001)
    build_big_ledger(big, 100_001)
    small_cli = Cli(Database("sqlite", str(small)), tmp_path)
    big_cli = Cli(Database("sqlite", str(big)), tmp_path)
    assert big_cli.db.event_count() == 100_001
    for args in (("audit", "--format", "json"), ("audit", "--format", "csv"), ("verify",)):
        small_peak, big_peak = peak_rss_kib(small_cli, *args), peak_rss_kib(big_cli, *args)
        # A hundred times the events may cost a few MiB of database cache, never the output itself.
        assert big_peak - small_peak < 16 * 1024, (args, small_peak, big_peak)
    assert os.path.getsize(big) > 10 * 1024 * 1024


def test_an_entrys_json_record_has_every_field_in_order_and_leaves_out_only_the_empty_extras() -> None:
    import dataclasses

    entry = trail.Entry(1, "2016-11-07T13:00:00+00:00", "ada", "ada", "f2f", "Ada", "signed up", {"m": [1]}, "s")
    names = [f.name for f in dataclasses.fields(trail.Entry)]
    assert list(entry.as_dict()) == [n for n in names if n not in ("diff", "not_notified")]
    full = dataclasses.replace(entry, diff="-a\n+b", not_notified=(("Ada", "no email"),))
    assert list(full.as_dict()) == names
    assert full.as_dict()["not_notified"] == [{"person": "Ada", "reason": "no email"}]
