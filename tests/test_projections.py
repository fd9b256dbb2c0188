"""Read models: incremental catch-up equals a rebuild equals the aggregate, under any command sequence."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger import people, storage
from ledger.application import SNAPSHOT_INTERVAL
from ledger.errors import LedgerError
from ledger.notes import section_name
from projections import queries
from projections.store import ReadStore
from tests.conftest import Cli
from tests.support import new_meeting, sign_up_many, store

NAMES = ["Ann", "Ben", "Cid", "Dee", "Eve", "Fay", "Gus"]


def aggregate_roster(app: Any, slug: str) -> dict[str, Any]:
    meeting = app.get_meeting(slug)
    return queries.attendee_list({**meeting.roster.to_dict(), "withdrawn": []}, slug).to_json()


def model_state(store: ReadStore) -> dict[str, Any]:
    return {m.name: store.all(m.name) for m in queries.MODELS}


class LedgerMachine(RuleBasedStateMachine):
    """Random sign-ups, withdrawals, mode and capacity changes, topics and notes on one meeting."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp()
        people.actor_var.set("alice")
        people.principal_var.set(people.login_name())
        self.app = storage.open_ledger(storage.resolve(os.path.join(self.dir, "ledger.sqlite")))
        self.app.create_meeting("m", "M", "2030-01-01T10:00", "2030-01-01T11:00", "UTC", capacity=2)
        self.store = ReadStore(self.app)
        self.lowered = False
        self.waitlist_joins: list[str] = []

    def teardown(self) -> None:
        self.app.close()

    def attempt(self, command: Any, *args: Any) -> None:
        try:
            command(*args)
        except LedgerError:
            pass  # refused by a rule: nothing written, which the invariants check too

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from(["in-person", "in-person", "remote", "undecided"]))
    def sign_up(self, name: str, mode: str) -> None:
        self.attempt(self.app.sign_up, "m", name, mode)

    @rule(name=st.sampled_from(NAMES))
    def withdraw(self, name: str) -> None:
        self.attempt(self.app.withdraw, "m", name)

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from(["in-person", "remote", "undecided"]))
    def change(self, name: str, mode: str) -> None:
        self.attempt(self.app.change_attendance, "m", name, mode, None)

    @rule(capacity=st.integers(min_value=0, max_value=5))
    def capacity(self, capacity: int) -> None:
        before = self.app.get_meeting("m").roster.capacity or 0
        self.attempt(self.app.change_capacity, "m", capacity)
        if capacity < before:
            self.lowered = True

    @rule(title=st.text(min_size=1, max_size=8).filter(str.strip), parent=st.none() | st.integers(1, 4))
    def propose(self, title: str, parent: int | None) -> None:
        self.attempt(self.app.propose_topic, "m", title, "Dawn", parent)

    @rule(topic=st.integers(1, 6), position=st.integers(1, 4))
    def move(self, topic: int, position: int) -> None:
        self.attempt(self.app.move_topic, "m", topic, position)

    @rule(topic=st.integers(1, 6))
    def withdraw_topic(self, topic: int) -> None:
        self.attempt(self.app.withdraw_topic, "m", topic)

    @rule(text=st.text(max_size=30), topic=st.none() | st.integers(1, 3))
    def notes(self, text: str, topic: int | None) -> None:
        self.attempt(self.app.edit_notes, "m", topic, text)

    @rule(text=st.text(max_size=30), topic=st.none() | st.integers(1, 3), back=st.integers(1, 3))
    def stale_notes(self, text: str, topic: int | None, back: int) -> None:
        """An edit made from an older revision: merged with what changed since, or refused."""
        revision = self.app.get_meeting("m").notes_revision(section_name(topic))
        self.attempt(self.app.edit_notes, "m", topic, text, max(revision - back, 0))

    @rule(topic=st.none() | st.integers(1, 3), revision=st.integers(0, 4))
    def restore_notes(self, topic: int | None, revision: int) -> None:
        self.attempt(self.app.restore_notes, "m", topic, revision)

    @precondition(lambda self: random.random() < 0.3)
    @rule()
    def catch_up_midway(self) -> None:
        self.store.catch_up(queries.MODELS)

    @invariant()
    def roster_rules_hold(self) -> None:
        roster = self.app.get_meeting("m").roster
        names = [a.name.casefold() for a in roster.attendees.values()]
        assert len(names) == len(set(names)), "nobody is listed twice"
        if roster.capacity is not None and not self.lowered:
            assert roster.seated_count <= roster.capacity
        if roster.capacity is not None and roster.waitlist:
            assert roster.seated_count >= roster.capacity, "nobody waits while a seat is free"
        assert all(roster.attendees[k].mode == "in-person" and not roster.attendees[k].seated for k in roster.waitlist)

    @invariant()
    def incremental_equals_rebuild_equals_aggregate(self) -> None:
        self.store.catch_up(queries.MODELS)
        incremental = model_state(self.store)
        assert queries.attendees(self.store, "m").to_json() | {"withdrawn": []} == aggregate_roster(self.app, "m") | {
            "withdrawn": []
        }
        meeting = self.app.get_meeting("m")
        expected_agenda = queries.agenda_view(meeting.agenda.to_dict())
        assert queries.agenda(self.store, "m") == expected_agenda
        assert queries.all_notes(self.store, "m") == meeting.notes
        # Every older revision the aggregate reads back from its events is the one recorded.
        history = self.app._notes_history(meeting)
        for section, revisions in self.store.get("notes", meeting.id.hex)["sections"].items():  # type: ignore[index]
            for recorded in revisions:
                assert meeting.notes_text(section, recorded["revision"], history) == recorded["text"]
        # Each person's meetings (their feed) agree with the roster, person by person.
        standing = {key: a.mode for key, a in meeting.roster.attendees.items()}
        assert {e.person_key: e.mode for e in queries.everyone(self.store)} == standing
        for name in NAMES:
            key = people.person_key(name, None)
            found = [(e.meeting_id, e.mode) for e in queries.person_meetings(self.store, key)]
            assert found == ([(meeting.id.hex, standing[key])] if key in standing else [])
        self.store.reset(queries.MODELS)
        self.store.catch_up(queries.MODELS)
        assert model_state(self.store) == incremental


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.in_process
def test_attendees_as_of_shows_someone_who_withdrew_later(cli: Cli, ledger: Any) -> None:
    new_meeting(ledger, "past")
    ledger.sign_up("past", "Brandon Philips")
    time.sleep(1.1)
    moment = queries.meeting(store(ledger), "past").to_json()["updated_at"]
    from datetime import datetime, timedelta

    between = (datetime.fromisoformat(moment) + timedelta(seconds=0.5)).isoformat()
    time.sleep(1.1)
    ledger.withdraw("past", "Brandon Philips", "needs the room")
    then = cli.ok("attendees", "past", "--as-of", between, "--json").json()
    assert [e["name"] for e in then["seated"]] == ["Brandon Philips"]
    now = cli.ok("attendees", "past", "--json").json()
    assert now["seated"] == []
    assert cli("attendees", "past", "--as-of", "2000-01-01T00:00Z").code == 1
    assert cli("attendees", "past", "--as-of", "yesterday").code == 2


@pytest.mark.in_process
def test_rebuild_gives_the_same_read_models(cli: Cli, ledger: Any) -> None:
    new_meeting(ledger, "r", capacity=1)
    sign_up_many(ledger, "r", ["Ann", "Ben", "Cid"])
    ledger.withdraw("r", "Ann")
    ledger.propose_topic("r", "Topic", "alice")
    before = [cli.ok(c, "r", "--json").out for c in ("attendees", "agenda", "show")]
    out = cli.ok("rebuild").out
    assert "from 7 events" in out
    assert [cli.ok(c, "r", "--json").out for c in ("attendees", "agenda", "show")] == before
    cli.ok("rebuild", "attendees")
    assert cli("rebuild", "nonsense").code == 2


CATCH_UP_SCRIPT = """
import sys
from ledger import storage
from projections.store import ReadStore
import projections.store as s
from projections.queries import MODELS
s.BATCH_SIZE = 7
store = ReadStore(storage.open_ledger(storage.resolve(sys.argv[1])))
store.reset(MODELS)
print("ready", flush=True)
store.catch_up(MODELS)
"""


@pytest.mark.slow
def test_a_killed_catch_up_never_leaves_a_model_half_applied(sqlite_db: Any) -> None:
    path = sqlite_db.url
    people.actor_var.set("alice")
    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(path))
    app.create_meeting("k", "K", "2030-01-01T10:00", "2030-01-01T11:00", "UTC", capacity=3)
    for i in range(40):
        app.sign_up("k", f"P{i}")
    for i in range(0, 40, 3):
        app.withdraw("k", f"P{i}")
    store = ReadStore(app)
    store.catch_up(queries.MODELS)
    expected = model_state(store)
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", CATCH_UP_SCRIPT, path],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(rng.uniform(0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        positions = store.positions()
        # Whatever was committed is consistent: each model's documents match its position.
        for model in queries.MODELS:
            position = positions.get(model.name, (0, 0))[0]
            from projections.folding import fold

            prefix = [e for e in store.meeting_events(queries.meeting_id("k")) if e.position <= position]
            stored = dict(store.all(model.name))
            assert stored == fold(model, prefix), model.name
    store.catch_up(queries.MODELS)
    assert model_state(store) == expected
    app.close()


def test_a_meeting_keeps_one_snapshot_and_loads_the_same_as_by_replay(db: Any) -> None:
    from eventsourcing.application import Repository

    from ledger.meeting import Meeting

    people.actor_var.set("alice")

    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(db.url))
    app.create_meeting("long", "Long", "2030-01-01T10:00", "2030-01-01T11:00", "UTC", capacity=5)
    for index in range(30):
        app.sign_up("long", f"Person {index}", "in-person")
        app.propose_topic("long", f"Topic {index}", f"Person {index}", None)
        if index % 3 == 0:
            app.withdraw("long", f"Person {index}")
    meeting_id = Meeting.create_id("long")
    loaded = app.get_meeting("long")
    assert app.snapshots is not None
    kept = [s.originator_version for s in app.snapshots.get(meeting_id)]
    interval = SNAPSHOT_INTERVAL
    assert len(kept) == 1 and loaded.version - interval < kept[0] <= loaded.version, kept
    from_events = Repository(app.events).get(meeting_id)  # no snapshots: every event replayed
    assert loaded.version == from_events.version
    assert loaded.roster.to_dict() == from_events.roster.to_dict()
    assert loaded.agenda.to_dict() == from_events.agenda.to_dict()
    app.close()


def test_a_model_whose_fold_changed_is_rebuilt_and_the_others_apply_nothing_twice(
    ledger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import store as read_store
    from projections.attendees import AttendeesModel

    ledger.create_meeting("m", "M", "2030-01-01T10:00", "2030-01-01T11:00", "UTC", capacity=1)
    for name in ("Ann", "Ben", "Cid"):
        ledger.sign_up("m", name, "in-person")
        ledger.edit_notes("m", None, f"{name} was here")
    store = ReadStore(ledger)
    store.catch_up(queries.MODELS)
    before = model_state(store)

    class ChangedAttendees(AttendeesModel):
        version = AttendeesModel.version + 1

    changed = [ChangedAttendees() if m.name == "attendees" else m for m in queries.MODELS]
    # Small batches, so that most of them start after a meeting's creation, which replaces
    # a document whole and would hide an event applied twice.
    monkeypatch.setattr(read_store, "BATCH_SIZE", 2)
    ledger.withdraw("m", "Ann")  # one new event, which every model must apply once
    store.catch_up(changed)
    after = model_state(store)
    assert store.positions()["attendees"] == (store.last_position(), ChangedAttendees.version)
    # The notes model appends a revision per edit: re-applied events would show twice.
    assert after["notes"] == before["notes"]
    assert queries.attendees(store, "m").to_json() | {"withdrawn": []} == aggregate_roster(ledger, "m") | {
        "withdrawn": []
    }
    assert [w.name for w in queries.attendees(store, "m").waitlist] == ["Cid"]  # Ben took Ann's seat
    store.reset(changed)
    store.catch_up(changed)
    assert model_state(store) == after


def test_a_snapshot_that_cannot_be_written_fails_nothing_and_repeats_nothing(
    ledger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import OperationalError

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    assert ledger.snapshots is not None
    monkeypatch.setattr(ledger.snapshots, "put", locked)
    ledger.create_meeting("m", "M", "2030-01-01T10:00", "2030-01-01T11:00", "UTC")
    for index in range(25):  # crosses the snapshot interval twice
        ledger.propose_topic("m", f"Topic {index}", "Dawn")
    titles = [t["title"] for t in ledger.get_meeting("m").agenda.to_dict()["topics"]]
    assert titles == [f"Topic {index}" for index in range(25)], "each command applied exactly once"


def test_overlapping_catch_ups_leave_the_cycle_collector_as_they_found_it() -> None:
    import gc

    from projections.store import cyclic_gc_paused

    assert gc.isenabled()
    first, second = cyclic_gc_paused(), cyclic_gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first to start finishes first (two server threads)
    assert not gc.isenabled(), "paused while the second catch-up still runs"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_snapshot_from_before_notes_kept_only_their_current_text_still_loads(sqlite_db: Any) -> None:
    """Version 1 snapshots held every notes revision's text; they are upcast when loaded."""
    import json
    import sqlite3

    from eventsourcing.application import Repository

    from ledger.meeting import Meeting

    people.actor_var.set("alice")

    people.principal_var.set(people.login_name())
    app = storage.open_ledger(storage.resolve(sqlite_db.url))
    app.create_meeting("m", "M", "2030-01-01T10:00", "2030-01-01T11:00", "UTC")
    texts = [f"agenda\n\nline {index}\n" for index in range(12)]
    for text in texts:
        app.edit_notes("m", None, text)
    app.close()
    meeting_id = Meeting.create_id("m")
    with sqlite3.connect(sqlite_db.url) as conn:
        version, state = conn.execute("SELECT originator_version, state FROM stored_snapshots").fetchone()
        snapshot = json.loads(state)
        kept = snapshot["state"]
        edits = version - 1  # the meeting's creation, then one event per edit
        assert kept.pop("class_version") == 4 and kept["notes"] == {"general": texts[edits - 1]}
        # What version 1 stored: every revision's text, no revision numbers, no organizers.
        kept["notes"] = {"general": texts[:edits]}
        del kept["notes_revisions"]
        del kept["organizers"]
        del kept["attendee_list"]
        conn.execute("UPDATE stored_snapshots SET state = ?", (json.dumps(snapshot).encode(),))
    app = storage.open_ledger(storage.resolve(sqlite_db.url))
    loaded = app.get_meeting("m")
    assert loaded.notes == {"general": texts[-1]} and loaded.notes_revision("general") == 12
    assert loaded.notes == Repository(app.events).get(meeting_id).notes
    app.edit_notes("m", None, "added\n" + texts[0], base_revision=1)  # a stale edit still finds its base
    assert app.get_meeting("m").notes["general"] == "added\n" + texts[-1]
    app.close()
