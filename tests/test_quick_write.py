"""The light sign-up (ledger/quick_write.py) stores what the full path stores, and hands it everything else."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import quick_write
from ledger.chain import verify_ledger
from ledger.meeting import Meeting
from ledger.streams import SNAPSHOT_INTERVAL
from tests.support import new_meeting, open_ledger

ACTOR = "alice"
NAMES = [f"Person {i}" for i in range(8)]
HANDLED: list[tuple[str, bool]] = []  # which of the property's writes the light path took


def _rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT rowid, originator_id, originator_version, topic, state, chain FROM stored_events"
        ).fetchall()


def _lookups(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as c:
        return dict(c.execute("SELECT key_id, lookup FROM person_keys").fetchall())


def _copy(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as s, sqlite3.connect(target) as t:
        s.backup(t)
    return target


def _comparable(path: Path, state: bytes) -> Any:
    """A stored state with what differs by chance masked: its time, the ciphertexts and nonces, and key ids
    (named by their person's lookup, which is what identifies them)."""
    data = orjson.loads(state)
    data.pop("timestamp")
    lookups = _lookups(path)
    for envelope in data.get("personal", []):
        envelope["k"] = lookups[envelope["k"]]
        envelope.pop("c")
    return data


def _history(path: Path, steps: list[tuple[str, int]], capacity: int | None, early: int) -> None:
    app = open_ledger(str(path), ACTOR)
    try:
        new_meeting(app, "m", capacity=capacity)
        for index in range(early):  # SNAPSHOT_INTERVAL - 1 of them: a snapshot at its version
            app.sign_up("m", f"Early {index}")
        for kind, n in steps:
            name = NAMES[n]
            try:
                if kind == "signup":
                    app.sign_up("m", name, "in-person" if n % 3 else "remote")
                elif kind == "withdraw":
                    app.withdraw("m", name)
                elif kind == "capacity":
                    app.change_capacity("m", None if n == 0 else n)
                else:
                    app.change_attendance("m", name, "remote" if n % 2 else "in-person", None)
            except Exception:  # noqa: BLE001 - a refused step is part of a random history
                pass
    finally:
        app.close()


STEPS = st.lists(
    st.tuples(st.sampled_from(["signup", "withdraw", "capacity", "mode"]), st.integers(0, len(NAMES) - 1)),
    max_size=14,
)


def _events_after(path: Path, slug: str, version: int) -> tuple[list[Any], Meeting]:
    """The meeting's events after `version`, as eventsourcing's own reader (the Ledger's load) decodes them."""
    app = open_ledger(str(path), ACTOR)
    try:
        meeting = app.get_meeting(slug)
        events = [
            (type(e).__name__, {k: v for k, v in vars(e).items() if k != "timestamp"})
            for e in app.events.get(meeting.id, gt=version)
        ]
        return events, meeting
    finally:
        app.close()


@settings(max_examples=70, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=STEPS,
    capacity=st.one_of(st.none(), st.integers(1, 4)),
    who=st.sampled_from(["New One", "Early 0", "early 1", *NAMES]),
    early=st.sampled_from([0, 3, SNAPSHOT_INTERVAL - 1]),
    command=st.sampled_from(["signup", "withdraw"]),
)
def test_light_and_full_writes_store_the_same_events(
    tmp_path_factory: Any, steps: Any, capacity: Any, who: str, early: int, command: str
) -> None:
    base = tmp_path_factory.mktemp("q") / "base.sqlite"
    _history(base, steps, capacity, early)
    light, full = _copy(base, base.with_name("light.sqlite")), _copy(base, base.with_name("full.sqlite"))
    before = _rows(light)
    version = max(r[2] for r in before)

    if command == "signup":
        saved = quick_write.sign_up(str(light), ACTOR, "m", who, "in-person", None, "hi")
    else:
        saved = quick_write.withdraw(str(light), ACTOR, "m", who, "moved away")
    app = open_ledger(str(full), ACTOR)
    try:
        if command == "signup":
            expected = app.sign_up("m", who, "in-person", None, "hi")
        else:
            expected = app.withdraw("m", who, "moved away")
    except Exception:  # noqa: BLE001 - refused by the rules: the light path must have left it to the full path
        expected = None
    finally:
        app.close()
    HANDLED.append((command, saved is not None))
    if saved is None:
        assert _rows(light) == before  # nothing written before handing over
        return
    assert expected is not None and saved == expected
    light_rows, full_rows = _rows(light)[len(before) :], _rows(full)[len(before) :]
    assert len(light_rows) == len(full_rows) >= 1
    for (*l_row, l_state, _), (*f_row, f_state, _) in zip(light_rows, full_rows, strict=True):
        assert l_row == f_row  # position, stream, version, topic
        assert _comparable(light, l_state) == _comparable(full, f_state)
        assert list(orjson.loads(l_state)) == list(orjson.loads(f_state))  # the same fields in the same order
    light_events, light_meeting = _events_after(light, "m", version)
    full_events, full_meeting = _events_after(full, "m", version)
    assert light_events == full_events
    assert light_meeting.roster.to_dict() == full_meeting.roster.to_dict()
    # The chain holds, and the full path goes on from the light write (through its next snapshot too).
    app = open_ledger(str(light), ACTOR)
    try:
        assert verify_ledger(app.recorder).intact
        for extra in range(SNAPSHOT_INTERVAL):
            app.sign_up("m", f"After {extra}", "remote")
        assert app.get_meeting("m").roster.by_name(f"After {SNAPSHOT_INTERVAL - 1}")
        assert verify_ledger(app.recorder).intact
    finally:
        app.close()


def test_the_property_exercised_both_paths() -> None:
    if HANDLED:  # run after the property (pytest keeps the file's order)
        for command in ("signup", "withdraw"):
            taken = [light for c, light in HANDLED if c == command]
            assert any(taken) and not all(taken), command


def _ledger_with_snapshot(tmp_path: Path, signups: int = 11) -> Path:
    path = tmp_path / "ledger.sqlite"
    app = open_ledger(str(path), ACTOR)
    try:
        new_meeting(app, "m", capacity=3)
        for i in range(signups):
            app.sign_up("m", f"P {i}")
    finally:
        app.close()
    return path


def test_a_common_sign_up_is_light_and_verifies(tmp_path: Path) -> None:
    path = _ledger_with_snapshot(tmp_path)
    saved = quick_write.sign_up(str(path), ACTOR, "m", "Newcomer", "remote", "new@example.org", "2pm")
    assert saved is not None and saved.summary == "signed up Newcomer for m (Remote) 2pm"
    app = open_ledger(str(path), ACTOR)
    try:
        attendee = app.get_meeting("m").find_attendee("new@example.org")
        assert (attendee.name, attendee.mode, attendee.remark) == ("Newcomer", "remote", "2pm")
    finally:
        app.close()
    run = subprocess.run(
        [sys.executable, "-m", "exports.cli", "--db", str(path), "verify"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


def test_a_withdrawal_is_light_and_seats_the_waitlist(tmp_path: Path) -> None:
    path = _ledger_with_snapshot(tmp_path)  # capacity 3: P 3 waits first
    saved = quick_write.withdraw(str(path), ACTOR, "m", "p 1", "moved")
    assert saved is not None and saved.summary == "withdrew P 1 from m; promoted P 3"
    app = open_ledger(str(path), ACTOR)
    try:
        meeting = app.get_meeting("m")
        kinds = [type(e).__name__ for e in app.events.get(meeting.id, gt=meeting.version - 2)]
        assert kinds == ["Withdrew", "Promoted"]
        assert meeting.roster.attendees["name:p 3"].seated and not meeting.roster.by_name("P 1")
        assert verify_ledger(app.recorder).intact
    finally:
        app.close()


@pytest.mark.parametrize(
    ("slug", "name", "why"),
    [
        ("m/2030-01-01", "X", "an occurrence of a series"),
        ("m", "P 1", "already signed up (the full path refuses it in its words)"),
        ("m", "Bad\u202ename", "bad input"),
        ("nope", "X", "no such meeting"),
    ],
)
def test_what_the_light_path_leaves_to_the_full_path(tmp_path: Path, slug: str, name: str, why: str) -> None:
    path = _ledger_with_snapshot(tmp_path)
    before = _rows(path)
    assert quick_write.sign_up(str(path), ACTOR, slug, name, "in-person", None, "") is None, why
    assert _rows(path) == before


def test_a_sign_up_that_takes_a_snapshot_is_the_full_paths(tmp_path: Path) -> None:
    path = _ledger_with_snapshot(tmp_path, signups=8)  # the next event is version 10
    assert quick_write.sign_up(str(path), ACTOR, "m", "X", "in-person", None, "") is None


def test_a_cancelled_meeting_a_directory_and_a_tampered_snapshot_go_to_the_full_path(tmp_path: Path) -> None:
    path = _ledger_with_snapshot(tmp_path)
    with sqlite3.connect(path) as c:
        c.execute("UPDATE stored_snapshots SET state = replace(state, '\"class_version\":4', '\"class_version\":5')")
    assert quick_write.sign_up(str(path), ACTOR, "m", "X", "in-person", None, "") is None
    (tmp_path / "b").mkdir()
    path2 = _ledger_with_snapshot(tmp_path / "b")
    app = open_ledger(str(path2), ACTOR)
    try:
        app.cancel("m")
    finally:
        app.close()
    assert quick_write.sign_up(str(path2), ACTOR, "m", "X", "in-person", None, "") is None
    (tmp_path / "c").mkdir()
    path3 = _ledger_with_snapshot(tmp_path / "c")
    app = open_ledger(str(path3), ACTOR)
    try:
        app.add_account("someone")
    finally:
        app.close()
    assert quick_write.sign_up(str(path3), ACTOR, "m", "X", "in-person", None, "") is None
    assert quick_write.sign_up(str(tmp_path / "missing.sqlite"), ACTOR, "m", "X", "in-person", None, "") is None
    assert quick_write.sign_up("postgresql://u@h:1/d", ACTOR, "m", "X", "in-person", None, "") is None


def test_permission_denied_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    app = open_ledger(str(path), ACTOR)
    try:
        with app.acting("founder-elsewhere"):
            new_meeting(app, "m")
            for i in range(11):
                app.sign_up("m", f"P {i}")
    finally:
        app.close()
    before = _rows(path)
    # This process's login neither founded the ledger nor organizes m: it may not sign up someone else.
    assert quick_write.sign_up(str(path), "Somebody Else", "m", "X", "in-person", None, "") is None
    assert _rows(path) == before


def _imported(path: Path, *command: str, code: int = 0) -> tuple[str, list[str]]:
    """Run the real CLI with `-X importtime`: what it printed and every module it imported."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "exports.cli", "--db", str(path), *command],
        capture_output=True,
        text=True,
    )
    assert run.returncode == code, run.stderr
    return run.stdout.strip(), [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]


def test_the_light_sign_up_and_withdrawal_import_no_eventsourcing(tmp_path: Path) -> None:
    path = _ledger_with_snapshot(tmp_path)
    out, imported = _imported(path, "signup", "m", "Quick One")
    assert out == "Signed up Quick One for m (In Person, waitlist 9)."
    assert "ledger.quick_write" in imported
    assert not [m for m in imported if m.startswith("eventsourcing") or m in ("ledger.meeting", "ledger.series")]
    out, imported = _imported(path, "--json", "withdraw", "m", "P 0")
    assert orjson.loads(out)["summary"] == "withdrew P 0 from m; promoted P 3"
    assert not [m for m in imported if m.startswith("eventsourcing") or m in ("ledger.meeting", "ledger.series")]
    _, imported = _imported(path, "signup", "m", "P 1", code=1)  # refused: the full path says why, in its words
    assert "eventsourcing.domain" in imported


@given(st.text(alphabet="/.~a\\ ", max_size=12))
def test_a_plain_path_is_used_as_pathlib_would_write_it(value: str) -> None:
    from ledger.storage import database

    if database._plain_path(value):
        assert str(Path(value).expanduser()) == value


def test_the_light_reader_knows_the_meetings_stored_names() -> None:
    """A new Meeting snapshot version or topic must be taught to the light reader (else it would hand every
    write to the full path, or worse, read a state it does not know)."""
    from eventsourcing.utils import get_topic

    from ledger.snapshots import SealedSnapshot

    assert quick_write.CLASS_VERSION == Meeting.class_version
    assert quick_write.MEETING == get_topic(Meeting)
    assert quick_write.SNAPSHOT_TOPIC == SealedSnapshot.TOPIC
    assert quick_write.SCHEDULED == get_topic(Meeting.Scheduled)
