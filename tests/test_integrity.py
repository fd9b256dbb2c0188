"""Nothing outside the chain changes what people see unnoticed: the database refuses edits of stored events,
`verify` names every tampered event (re-spelled ids, re-typed columns), and `verify --deep` every forged
snapshot and read-model document, with its meeting; reads never crash on any of it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Database, Result
from tests.support import InProcess, open_ledger
from tests.test_verify import Raw


@pytest.fixture(autouse=True)
def plain_personal_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests forge stored events by editing known bytes ("Derek Carr"), so the ledgers they
    build store personal data in plain text, as before encryption; the chain is the same either way
    (tests/test_privacy.py covers encrypted ledgers)."""
    monkeypatch.setenv("MEETINGS_PLAINTEXT_EVENTS", "1")


# What verify finds and what reads survive is the same in this process; the tests of file permissions and of
# another OS user run `meetings` as a process (they build their own `Cli`).
pytestmark = pytest.mark.in_process

SLUG = "sig-node-f2f-2016"
VIDEO = "https://meet.example.org/sig-node"
READS = (("show", SLUG), ("attendees", SLUG), ("agenda", SLUG), ("audit", SLUG), ("list",))


@pytest.fixture
def seeded(cli: Cli, db: Database) -> Iterator[Raw]:
    """The seed meeting with eleven events (a snapshot at ten) and its read models built, written by the
    Ledger's commands in this process (the tampering and what notices it are what these tests are about)."""
    app = open_ledger(db.url)
    try:
        app.create_meeting(
            SLUG, "Sig-node F2F", "2016-11-07T13:00", "2016-11-07T16:00", "UTC", video_url=VIDEO, capacity=25
        )
        for name in ("Dawn Chen", "Derek Carr", "Paul Morie", "Harry Zhang", "Euan Kemp", "Jeremy Eder"):
            app.sign_up(SLUG, name)
        for name in ("Yifan Gu", "Caleb Miles", "Xu Wang", "Pengfei Ni"):
            app.sign_up(SLUG, name)
    finally:
        app.close()
    InProcess(db, Path(cli.env["HOME"])).ok("attendees", SLUG)  # builds the read models
    yield Raw(db)


def no_crash(result: Result) -> None:
    assert "internal error" not in result.err and "Traceback" not in result.err, result.err
    assert result.code in (0, 1), result.err


def reads_do_not_crash(cli: Cli) -> None:
    for read in READS:
        no_crash(cli(*read))
    no_crash(cli("signup", SLUG, "Late Comer"))


# ----- the database refuses to change stored events ---------------------------------------------------


def test_update_and_delete_of_stored_events_are_refused_by_sqlite(sqlite_cli: Cli) -> None:
    sqlite_cli.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    for statement in (
        "UPDATE stored_events SET topic = 'x'",
        "DELETE FROM stored_events",
        "UPDATE stored_events SET chain = NULL",
    ):
        done = subprocess.run(["sqlite3", sqlite_cli.db.url, statement], capture_output=True, text=True, timeout=30)
        assert done.returncode != 0 and "stored events are append-only" in done.stderr, (statement, done.stderr)
    assert sqlite_cli.db.event_count() == 1
    sqlite_cli.ok("verify")


def test_update_delete_and_truncate_of_stored_events_are_refused_by_postgres(cli: Cli, db: Database) -> None:
    if db.backend != "postgres":
        pytest.skip("psql against PostgreSQL")
    cli.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    for statement in ("UPDATE ledger_events SET topic = 'x'", "DELETE FROM ledger_events", "TRUNCATE ledger_events"):
        done = subprocess.run(["psql", db.url, "-c", statement], capture_output=True, text=True, timeout=30)
        assert "stored events are append-only" in done.stderr, (statement, done.stderr)
    assert db.event_count() == 1
    cli.ok("verify")


def test_an_existing_ledger_gets_the_triggers_when_opened(sqlite_cli: Cli) -> None:
    sqlite_cli.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    with sqlite3.connect(sqlite_cli.db.url) as conn:
        conn.execute("DROP TRIGGER stored_events_no_update")
        conn.execute("DROP TRIGGER stored_events_no_delete")
    sqlite_cli.ok("verify")
    with sqlite3.connect(sqlite_cli.db.url) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM stored_events")


def test_the_application_role_of_the_readme_appends_but_cannot_rewrite(cli: Cli, db: Database, tmp_path: Path) -> None:
    if db.backend != "postgres":
        pytest.skip("PostgreSQL roles")
    import psycopg

    role = f"app_{os.urandom(4).hex()}"
    cli.ok("rebuild")  # the owner opens the ledger once: every table exists
    with psycopg.connect(db.url, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'secret'")
        for grant in README_GRANTS:
            owner.execute(grant.replace("meetings_app", role))
    app_url = db.url.replace("postgres@", f"{role}:secret@")
    try:
        app = InProcess(Database("postgres", app_url), tmp_path)
        app.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
        for name in ("Ann", "Ben", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo"):
            app.ok("signup", "m", name)
        app.ok("feed-token", "issue", "Ann")
        assert "ok: 11 events" in app.ok("verify", "--deep").out
        for statement in ("UPDATE ledger_events SET topic = 'x'", "UPDATE ledger_events SET chain = NULL"):
            done = subprocess.run(["psql", app_url, "-c", statement], capture_output=True, text=True, timeout=30)
            assert "ERROR" in done.stderr, done.stderr
        done = subprocess.run(["psql", app_url, "-c", "DELETE FROM ledger_events"], capture_output=True, text=True)
        assert "permission denied" in done.stderr
        assert db.event_count() == 11
    finally:
        with psycopg.connect(db.url, autocommit=True) as owner:
            owner.execute(f"DROP OWNED BY {role}")
            owner.execute(f"DROP ROLE {role}")


def _readme_grants() -> list[str]:
    """The GRANT statements of the README's PostgreSQL set-up, so the test runs what users are told to run."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = text.split("```sql\n", 1)[1].split("```", 1)[0]
    return [s.strip() for s in block.split(";") if s.strip().upper().startswith("GRANT")]


README_GRANTS = _readme_grants()


# ----- verify names every tampered event -------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["upper", "dashes"])
def test_a_respelled_meeting_id_is_an_altered_event_and_reads_survive(
    sqlite_cli: Cli, sqlite_db: Database, spelling: str
) -> None:
    cli = sqlite_cli
    for name in ("Dawn Chen", "Derek Carr"):
        if name == "Dawn Chen":
            cli.ok(
                "new", SLUG, "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC"
            )
        cli.ok("signup", SLUG, name)
    raw = Raw(sqlite_db)
    stored = raw.row(2)[0]
    respelled = stored.upper() if spelling == "upper" else str(__import__("uuid").UUID(hex=stored))
    raw.run("UPDATE {t} SET originator_id = ? WHERE {p} = ?", (respelled, 2))
    result = cli("verify", "--json")
    assert result.code == 1
    report = result.json()
    assert (report["position"], report["problem"], report["meeting"]) == (2, "altered", SLUG)
    text = cli("verify")
    assert "event at position 2 was altered" in text.err and f"(meeting {SLUG})" in text.err
    reads_do_not_crash(cli)


def test_the_recorder_stores_any_spelling_of_an_id_in_the_one_spelling(ledger: Any, db: Database) -> None:
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    meeting_id = uuid4()
    ledger.recorder.insert_events([StoredEvent(str(meeting_id).upper(), 1, "t", b"{}")])
    stored = Raw(db).row(1)[0]
    assert str(stored) in (meeting_id.hex, str(meeting_id))  # SQLite's text, PostgreSQL's uuid


SQLITE_RETYPES = {
    "state": "UPDATE {t} SET state = CAST(state AS TEXT) WHERE {p} = 3",
    "seal": "UPDATE {t} SET chain = hex(chain) WHERE {p} = 3",
    "version": "UPDATE {t} SET originator_version = 'v3' WHERE {p} = 3",
}
POSTGRES_RETYPES = {
    "state": "ALTER TABLE {t} ALTER COLUMN state TYPE text USING encode(state, 'escape')",
    "seal": "ALTER TABLE {t} ALTER COLUMN chain TYPE text USING encode(chain, 'hex')",
    "position": "ALTER TABLE {t} ALTER COLUMN notification_id TYPE text",
    "meeting id": "ALTER TABLE {t} ALTER COLUMN originator_id TYPE text",
}


@pytest.mark.parametrize("column", sorted({*SQLITE_RETYPES, *POSTGRES_RETYPES}))
def test_a_changed_column_type_names_the_altered_event(cli: Cli, seeded: Raw, column: str) -> None:
    retypes = POSTGRES_RETYPES if seeded.postgres else SQLITE_RETYPES
    if column not in retypes:
        pytest.skip(f"no {column} type change on {seeded.db.backend}")
    seeded.run(retypes[column])
    result = cli("verify")
    no_crash(result)
    assert result.code == 1
    position = 3 if not seeded.postgres else 1
    assert f"event at position {position} was altered" in result.err, result.err
    no_crash(cli("verify", "--json"))
    reads_do_not_crash(cli)


# ----- verify --deep: the chain beside the caches ---------------------------------------------------------


@pytest.fixture(params=["chain here", "chain beside"])
def chain_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`verify --deep` verifies the chain in this process on a short ledger and in a second process, while
    this one folds the events, on a long one (ledger/chain_process.py): the deep tests run both ways."""
    if request.param == "chain beside":
        import ledger.chain_process

        monkeypatch.setattr(ledger.chain_process, "BESIDE_FROM", 0)
    return str(request.param)


def test_the_second_process_finds_what_verify_finds_here(ledger: Any, db: Database, seeded: Raw) -> None:
    from ledger.chain import Digest, verify_ledger
    from ledger.chain_process import ChainBeside
    from ledger.storage import resolve

    intact = verify_ledger(ledger.recorder)
    assert intact.broken is None and intact.count == 11
    assert ChainBeside(resolve(db.url), None).result() == intact
    expectations = [(intact.head, "extends"), (Digest(5, bytes(32)), "differs"), (Digest(99, bytes(32)), "missing")]
    for expect, outcome in expectations:
        checked = verify_ledger(ledger.recorder, expect)
        assert checked.expected == outcome
        assert ChainBeside(resolve(db.url), expect).result() == checked
    state = bytes(seeded.row(3)[3])
    seeded.run("UPDATE {t} SET state = ? WHERE {p} = 3", (state.replace(b"Derek Carr", b"Derek Cart"),))
    tampered = verify_ledger(ledger.recorder)
    assert tampered.broken is not None and tampered.broken.position == 3
    assert ChainBeside(resolve(db.url), None).result() == tampered


def test_a_second_process_that_cannot_answer_leaves_the_chain_to_this_one(
    cli: Cli, seeded: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.chain_process

    monkeypatch.setattr(ledger.chain_process, "BESIDE_FROM", 0)
    monkeypatch.setattr(ledger.chain_process, "WORKER", "ledger.no_such_module")
    report = cli.ok("verify", "--deep", "--json").json()
    assert report["ok"] and report["events"] == 11 and report["deep"]["findings"] == []
    seeded.run("DELETE FROM {t} WHERE {p} = 4")
    result = cli("verify", "--deep", "--json")
    assert result.code == 1 and result.json()["problem"] == "removed" and result.json()["deep"] is None


@pytest.mark.parametrize("tampering", ["a name", "not JSON"])
@pytest.mark.usefixtures("chain_process")
def test_deep_verify_of_a_tampered_event_reports_the_break_and_no_caches(cli: Cli, seeded: Raw, tampering: str) -> None:
    """The caches are only compared with events the chain vouches for; events too damaged to fold
    are the chain's break, not a crash of the deep check."""
    state = bytes(seeded.row(3)[3])
    forged = state.replace(b"Derek Carr", b"Derek Cart") if tampering == "a name" else b"\xff not JSON"
    seeded.run("UPDATE {t} SET state = ? WHERE {p} = 3", (forged,))
    result = cli("verify", "--deep", "--json")
    no_crash(result)
    report = result.json()
    assert result.code == 1 and report["ok"] is False
    assert (report["position"], report["problem"], report["deep"]) == (3, "altered", None)
    plain = cli("verify", "--deep")
    assert plain.code == 1 and "the ledger has been tampered with: event at position 3" in plain.err, plain.err


# ----- verify --deep: snapshots -------------------------------------------------------------------------


class Snapshots:
    """The snapshot rows, tampered with directly (they have no trigger: they are a cache)."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.table = "ledger_snapshots" if raw.postgres else "stored_snapshots"

    def state(self) -> bytes:
        return bytes(self.raw.run(f"SELECT state FROM {self.table}")[0][0])

    def set(self, column: str, value: Any) -> None:
        self.raw.run(f"UPDATE {self.table} SET {column} = ?", (value,))


@pytest.mark.parametrize(
    "forgery",
    ["capacity", "cancelled", "stored type", "state type", "seal"],
)
@pytest.mark.usefixtures("chain_process")
def test_a_forged_snapshot_is_named_with_its_meeting(cli: Cli, seeded: Raw, forgery: str) -> None:
    snapshots = Snapshots(seeded)
    state = snapshots.state()
    assert b'"capacity":25' in state and b'"cancelled":false' in state
    if forgery == "capacity":
        snapshots.set("state", state.replace(b'"capacity":25', b'"capacity":2'))
    elif forgery == "cancelled":
        snapshots.set("state", state.replace(b'"cancelled":false', b'"cancelled":true'))
    elif forgery == "stored type":
        snapshots.set("topic", "os:system")
    elif forgery == "state type":
        snapshots.set("state", state.replace(b'"topic":"meeting-ledger:Meeting"', b'"topic":"os:system"'))
    else:
        snapshots.set("state", state.replace(b'"seal":"', b'"seal":"00'))
    assert cli.ok("verify").code == 0, "the events themselves are intact"
    result = cli("verify", "--deep")
    assert result.code == 1
    assert "snapshot" in result.err and SLUG in result.err, result.err
    finding = cli("verify", "--deep", "--json").json()["deep"]["findings"][0]
    assert (finding["kind"], finding["meeting"]) == ("snapshot", SLUG)
    reads_do_not_crash(cli)


def test_a_load_ignores_a_snapshot_of_another_type_or_history(ledger: Any, seeded: Raw) -> None:
    snapshots = Snapshots(seeded)
    state = snapshots.state()
    snapshots.set("state", state.replace(b'"capacity":25', b'"capacity":2').replace(b'"seal":"', b'"seal":"00'))
    assert ledger.get_meeting(SLUG).roster.capacity == 25, "a snapshot not matching the chain is replayed over"
    snapshots.set("state", state.replace(b'"capacity":25', b'"capacity":2'))
    snapshots.set("topic", "os:system")
    assert ledger.get_meeting(SLUG).roster.capacity == 25, "a snapshot of another type is never decoded"


# ----- verify --deep: read models -------------------------------------------------------------------------


def forge_document(raw: Raw, model: str, old: str, new: str) -> None:
    rows = raw.run("SELECT doc_key, body FROM read_model_docs WHERE model = ?", (model,))
    key, body = next((k, b) for k, b in rows if old in b)
    raw.run("UPDATE read_model_docs SET body = ? WHERE model = ? AND doc_key = ?", (body.replace(old, new), model, key))


@pytest.mark.parametrize("forgery", ["attendee name", "video link", "not JSON", "true for 1"])
@pytest.mark.usefixtures("chain_process")
def test_a_forged_read_model_document_is_named_with_its_meeting(cli: Cli, seeded: Raw, forgery: str) -> None:
    if forgery == "attendee name":
        forge_document(seeded, "attendees", "Dawn Chen", "Eve Forger")
    elif forgery == "video link":
        forge_document(seeded, "meetings", VIDEO, "https://evil.example.com/")
    elif forgery == "not JSON":
        seeded.run("UPDATE read_model_docs SET body = ? WHERE model = 'attendees'", ("{not json",))
    else:
        forge_document(seeded, "meetings", '"sequence":0', '"sequence":false')
    result = cli("verify", "--deep")
    assert result.code == 1
    model = "attendees" if forgery in ("attendee name", "not JSON") else "meetings"
    assert f"read model '{model}' of {SLUG} is forged" in result.err, result.err
    reads_do_not_crash(cli)


@pytest.mark.usefixtures("chain_process")
def test_a_read_model_position_moved_ahead_is_found(cli: Cli, seeded: Raw) -> None:
    seeded.run("UPDATE read_model_positions SET position = position + 1 WHERE model = 'attendees'")
    result = cli("verify", "--deep")
    assert result.code == 1 and "read model 'attendees' claims position 12, after the last event (11)" in result.err
    # The next sign-up lands exactly where the forged position stands: the model skips it...
    cli.ok("signup", SLUG, "Late Comer")
    assert "Late Comer" not in cli.ok("attendees", SLUG).out
    # ...and --deep names the meeting whose attendees now differ from the events.
    result = cli("verify", "--deep")
    assert result.code == 1 and f"read model 'attendees' of {SLUG} is forged" in result.err, result.err


@pytest.mark.usefixtures("chain_process")
def test_deep_verify_passes_on_an_untouched_ledger(cli: Cli, seeded: Raw) -> None:
    out = cli.ok("verify", "--deep").out.splitlines()
    assert out[0].startswith("ok: 11 events, head 11:")
    assert out[1].startswith("ok: the snapshots of 1 meetings and ")
    report = cli.ok("verify", "--deep", "--json").json()
    assert report["ok"] and report["deep"]["findings"] == []


# ----- who may open a SQLite ledger ----------------------------------------------------------------------


def test_a_new_ledger_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "ledger.sqlite"
    cli = Cli(Database("sqlite", str(path)), tmp_path)
    cli.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_is_told_the_ledger_is_not_theirs(tmp_path: Path) -> None:
    import shutil
    import tempfile

    from tests.conftest import meetings_executable

    shared = Path(tempfile.mkdtemp(prefix="shared-ledger-"))  # pytest's own folders are the owner's only
    try:
        shared.chmod(0o755)
        path = shared / "ledger.sqlite"
        cli = Cli(Database("sqlite", str(path)), shared)
        cli.ok("new", "m", "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
        path.chmod(0o644)  # readable by others, writable by its owner only
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *meetings_executable(), "list"]
        done = subprocess.run(command, capture_output=True, text=True, env=cli.env, timeout=60)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "belongs to OS user root" in done.stderr, done.stderr
    finally:
        shutil.rmtree(shared)
