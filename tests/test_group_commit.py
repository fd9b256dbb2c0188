"""Writes to one meeting at once are committed together: one load, one atomic append, each as its own account.

Over HTTP, sign-ups sent at the same time get their own answers and the exact seats; in-process, a step
refused inside a batch leaves the others applied and itself unapplied.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.test_web_api import PROXY, as_user
from tests.web_support import server_for

RACERS, SEATS = 12, 4


def new_meeting(cli: Cli, capacity: int) -> None:
    when = ["--start", "2099-01-01T10:00", "--end", "2099-01-01T11:00", "--tz", "UTC"]
    cli.ok("new", "race", "--title", "Race", *when, "--capacity", str(capacity))


def test_sign_ups_sent_at_once_are_each_answered_seated_exactly_and_recorded_as_their_account(
    cli: Cli, tmp_path: Path
) -> None:
    new_meeting(cli, SEATS)
    for server in server_for(cli, tmp_path, *PROXY):
        people = [as_user(server, f"racer{i:02d}") for i in range(RACERS)]
        tokens = [person.csrf("/") for person in people]
        replies: list[Any] = [None] * RACERS
        start = threading.Barrier(RACERS)

        def run(i: int) -> None:
            start.wait()
            replies[i] = people[i].request("/api/meetings/race/signup", body={}, headers={"X-CSRFToken": tokens[i]})

        threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert [reply.status for reply in replies] == [201] * RACERS
    positions = set()
    for i, reply in enumerate(replies):
        answer = reply.json()
        # Each answer is its own: its own sign-up's summary and the position of its own event.
        assert answer["summary"].startswith(f"signed up racer{i:02d} for race "), answer["summary"]
        positions.add(answer["position"])
    assert len(positions) == RACERS
    attendees = cli.ok("--json", "attendees", "race").json()
    assert (attendees["counts"]["seated"], attendees["counts"]["waitlisted"]) == (SEATS, RACERS - SEATS)
    signed = [e for e in cli.ok("--json", "audit", "race").json() if e["action"] == "signed-up"]
    # Every sign-up recorded as the account that sent it, for its own person, at the position it was told.
    assert sorted((e["principal"], e["person"]) for e in signed) == [(f"racer{i:02d}",) * 2 for i in range(RACERS)]
    told = {reply.json()["position"]: i for i, reply in enumerate(replies)}
    assert {e["position"]: e["principal"] for e in signed} == {p: f"racer{i:02d}" for p, i in told.items()}
    assert cli.ok("verify").out.startswith("ok: ")


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    from ledger import people, storage

    app = storage.open_ledger(storage.resolve(str(tmp_path / "ledger.sqlite")))
    people.principal_var.set("alice")
    people.actor_var.set("")
    app.create_meeting("race", "Race", "2099-01-01T10:00", "2099-01-01T11:00", "UTC", capacity=2)
    yield app
    app.close()


def test_a_step_refused_in_a_batch_leaves_the_others_applied_and_itself_unapplied(ledger: Any) -> None:
    from ledger.batching import Request
    from ledger.errors import LedgerError, PermissionDeniedError, RuleError
    from ledger.roles import Subject
    from ledger.steps import Step

    def half_done(meeting: Any) -> str:
        meeting.sign_up("mallory", "in-person", None, "")  # changes the meeting in memory, then refuses
        raise RuleError("refused after a change")

    requests = [
        Request(ledger.sign_up_step("race", "Bob", "in-person", None, ""), "bob", ""),
        Request(Step("signup", half_done, lambda _: Subject("mallory", None)), "mallory", ""),
        Request(ledger.sign_up_step("race", "Carol", "remote", None, ""), "carol", ""),
        # Not an organizer: may not sign up someone else (the same check as alone).
        Request(ledger.sign_up_step("race", "Dave", "in-person", None, ""), "erin", "Dave"),
        Request(ledger.sign_up_step("race", "Frank", "in-person", None, ""), "frank", ""),
    ]
    outcomes = ledger.run_steps("race", requests)
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["Saved", "RuleError", "Saved", "PermissionDeniedError", "Saved"], outcomes
    assert isinstance(outcomes[1], RuleError) and isinstance(outcomes[3], PermissionDeniedError)
    saved = [o for o in outcomes if not isinstance(o, LedgerError)]
    assert [o.summary.split(" for ")[0] for o in saved] == ["signed up Bob", "signed up Carol", "signed up Frank"]
    assert saved[0].position < saved[1].position < saved[2].position
    meeting = ledger.get_meeting("race")
    assert [a.name for a in meeting.roster.attendees.values()] == ["Bob", "Carol", "Frank"]
    events = list(ledger.events.get(meeting.id))
    signed = [(e.principal, e.actor) for e in events if type(e).__name__ == "SignedUp"]
    assert signed == [("bob", "bob"), ("carol", "carol"), ("frank", "frank")]  # as each would alone
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    from ledger.chain import verify_ledger

    assert verify_ledger(ledger.recorder).intact


def test_a_batch_of_only_refused_steps_appends_nothing(ledger: Any) -> None:
    from ledger.batching import Request
    from ledger.errors import RuleError

    before = ledger.recorder.max_notification_id()
    ledger.sign_up("race", "Bob")
    after_one = ledger.recorder.max_notification_id()
    outcomes = ledger.run_steps("race", [Request(ledger.sign_up_step("race", "Bob", "in-person", None, ""), "bob", "")])
    assert isinstance(outcomes[0], RuleError) and ledger.recorder.max_notification_id() == after_one > before


def test_threads_writing_to_one_meeting_are_committed_together_each_with_its_own_outcome(ledger: Any) -> None:
    import time

    from ledger import people
    from ledger.errors import LedgerError

    names = [f"person{i:02d}" for i in range(16)] + ["person00"]  # the last one signs up twice
    outcomes: list[Any] = [None] * len(names)
    # The first committer is held until every other thread has queued: they then make one batch.
    batches: list[int] = []
    gate = threading.Event()
    run_steps = ledger.run_steps

    def held(slug: str, requests: Any) -> Any:
        batches.append(len(requests))
        if len(batches) == 1:
            gate.wait(60)
        return run_steps(slug, requests)

    ledger.run_steps = held

    def run(i: int) -> None:
        people.principal_var.set(names[i])  # an account nobody registered: its person is its name
        people.actor_var.set("")
        try:
            outcomes[i] = ledger.run_together("race", ledger.sign_up_step("race", names[i], "in-person", None, ""))
        except LedgerError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(names))]
    threads[0].start()
    while not batches:
        time.sleep(0.01)
    for thread in threads[1:]:
        thread.start()
    while len(ledger._committers.queues["race"].waiting) < len(names) - 1:
        time.sleep(0.01)
    gate.set()
    for thread in threads:
        thread.join(timeout=120)
    assert batches == [1, len(names) - 1]
    assert isinstance(outcomes[-1], LedgerError) and "already" in str(outcomes[-1])  # refused alone
    assert all(not isinstance(o, LedgerError) for o in outcomes[:-1])
    assert len({o.position for o in outcomes[:-1]}) == len(names) - 1
    for name, outcome in zip(names, outcomes[:-1], strict=False):
        assert outcome.summary.startswith(f"signed up {name} for race")
    meeting = ledger.get_meeting("race")
    assert sorted(a.name for a in meeting.roster.attendees.values()) == sorted(set(names))
    assert meeting.roster.seated_count == 2
    signed = [(e.principal, e.actor) for e in ledger.events.get(meeting.id) if type(e).__name__ == "SignedUp"]
    assert sorted(signed) == sorted((name, name) for name in set(names))
