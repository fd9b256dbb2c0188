"""Crypto-shredding (PRODUCT.md section 10, issue 18 acceptance 1-3): erase a person, and nothing the product
prints or serves, nor the database file itself, holds their data any more; migrate a plain-text ledger."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Database
from tests.support import InProcess
from tests.web_support import SEED_PAGE, SLUG, Browser, server_for

PERSON, EMAIL = "Quentin Zarkov", "quentin.zarkov@example.org"
REMARK = "QZREMARK allergic to nuts"
TOPIC = "QZTOPIC quantum widgets"
NOTE = "QZNOTE my private note"
REASON = "QZREASON double-booked"
# What must never show again: their name (any part of it), email, remark, and every text they wrote.
SECRETS = ("Quentin", "Zarkov", "quentin", "zarkov", "QZREMARK", "QZTOPIC", "QZNOTE", "QZREASON")
MEETINGS = (SLUG, "m2", "m3")

# Rules of what is printed, served and stored: the commands run in this process (the web server in its own).
pytestmark = pytest.mark.in_process


def build(cli: Cli) -> None:
    """The seed meeting and two more; the person signs up for all three, proposes a topic, writes
    notes between other people's lines, and is withdrawn from one by an organizer with a reason."""
    cli.ok("import", "markdown", str(SEED_PAGE))
    for slug in MEETINGS[1:]:
        cli.ok(
            "new", slug, "--title", f"Meeting {slug}", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00",
            "--tz", "UTC",
        )  # fmt: skip
    for slug in MEETINGS:
        cli.ok("signup", slug, PERSON, "--email", EMAIL, "--remark", REMARK, actor=PERSON)
    cli.ok("signup", "m2", "Olga Other", "--remark", "olga stays")
    cli.ok("topic", "propose", SLUG, TOPIC, actor=PERSON)
    cli.ok("notes", "edit", "m2", "--file", "-", input="alice line one\n\nalice line two\n")
    cli.ok("notes", "edit", "m2", "--file", "-", input=f"alice line one\n{NOTE}\n\nalice line two\n", actor=PERSON)
    cli.ok("notes", "edit", "m2", "--file", "-", input=f"alice line one\n{NOTE}\n\nalice line two\nalice three\n")
    cli.ok("withdraw", "m3", EMAIL, "--reason", REASON)
    cli.ok("feed-token", "issue", PERSON)


def read_everything(cli: Cli, as_of: list[str]) -> dict[str, str]:
    """Every read command's output, plain and --json, now and at each `as_of` time.

    The commands run in this process (the same click commands a process runs, without starting a
    hundred interpreters): what is checked is what they print.
    """
    out: dict[str, str] = {}
    reader = InProcess(cli.db, Path(cli.env["HOME"]))

    def run(*args: str) -> None:
        out[" ".join(args)] = reader.ok(*args).out

    run("list")
    run("--json", "list")
    for slug in MEETINGS:
        for when in ([], *(["--as-of", t] for t in as_of)):
            for command in (["show", slug], ["attendees", slug], ["agenda", slug], ["notes", "show", slug]):
                run(*command, *when)
                run("--json", *command, *when)
            run("export", "markdown", slug, *when)
        run("notes", "history", slug)
        run("--json", "notes", "history", slug)
        run("export", "ics", slug)
        for fmt in ("text", "json", "csv"):
            run("audit", slug, "--format", fmt, "--diffs")
    run("notes", "diff", "m2", "1", "3")
    run("notes", "show", SLUG, "--topic", "1")
    for fmt in ("text", "json", "csv"):
        run("audit", "--format", fmt)
        run("audit", "--format", fmt, "--diffs")
    run("export", "feed")
    return out


def serve_everything(cli: Cli, tmp_path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for running in server_for(cli, tmp_path):
        browser = Browser(running)
        paths = ["/", "/api/meetings", "/calendar.ics", "/feeds.json"]
        for slug in MEETINGS:
            paths += [f"/meetings/{slug}", f"/meetings/{slug}/history", f"/meetings/{slug}.ics"]
            paths += [f"/api/meetings/{slug}"] + [f"/api/meetings/{slug}/{p}" for p in ("attendees", "agenda", "notes")]
            paths += [f"/api/meetings/{slug}/audit"]
        for path in paths:
            reply = browser.request(path)
            assert reply.status == 200, (path, reply.status)
            out[path] = reply.body
    return out


def leaks(outputs: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for where, text in outputs.items():
        body = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        found += [(where, secret) for secret in SECRETS if secret in body]
    return found


def audit_times(cli: Cli) -> list[str]:
    return [entry["time"] for entry in cli.ok("audit", "--format", "json").json()]


def test_an_erased_person_is_gone_from_everything_the_product_prints_or_serves(
    cli: Cli, db: Database, tmp_path: Path
) -> None:
    build(cli)
    token = cli.ok("feed-token", "issue", PERSON).out.strip().split("/people/")[-1].split()[0]
    times = audit_times(cli)
    before = read_everything(cli, [times[-1]])
    assert leaks(before), "the person's data is shown before the erasure"
    others_before = cli.ok("--json", "attendees", SLUG).json()

    refused = cli("erase", PERSON, "--reason", f"asked by {PERSON}")
    assert refused.code == 2 and "must not name the person" in refused.err
    erased = cli.ok("erase", EMAIL, "--reason", "GDPR request 42")
    assert "Erased" in erased.out and not leaks({"erase": erased.out})

    after_times = [times[-8], times[-1], audit_times(cli)[-1]]  # before and after the erasure
    after = read_everything(cli, after_times)
    assert leaks(after) == []
    assert "[erased]" in after[f"attendees {SLUG}"] and "[erased]" in after["notes show m2"]
    served = serve_everything(cli, tmp_path)
    assert leaks(served) == []
    assert b"[erased]" in served["/api/meetings/m2/notes"]
    # Their personal feed URL went with their keys.
    for running in server_for(cli, tmp_path):
        assert Browser(running).request(f"/people/{token}.ics").status == 404

    # Other people's data is as it was: the notes lines others wrote around theirs, and every other attendee.
    notes = cli.ok("notes", "show", "m2").out
    assert notes == "alice line one\n[erased]\n\nalice line two\nalice three\n"
    assert "olga stays" in cli.ok("attendees", "m2").out
    others_after = cli.ok("--json", "attendees", SLUG).json()
    assert json.dumps(others_after).count("[erased]") >= 1
    keep = [a for a in others_before["attendees"] if a["name"] != PERSON]
    assert [a for a in others_after["attendees"] if a["name"] != "[erased]"] == keep

    audit = cli.ok("audit").out
    assert "erased a person's personal data (2 keys): GDPR request 42" in audit
    cli.ok("verify", "--deep")
    assert cli("erase", EMAIL, "--reason", "again").code == 1  # nothing of theirs is left to erase

    # A copy carries the keys of everyone else, never an erased one, and shows the same.
    copy = tmp_path / "copy.sqlite"
    cli.ok("copy", "--to", str(copy))
    copied = InProcess(Database("sqlite", str(copy)), tmp_path)
    assert leaks(read_everything(copied, after_times)) == []
    assert copied.ok("notes", "show", "m2").out == notes
    copied.ok("verify", "--deep")
    with sqlite3.connect(copy) as conn:
        copied_keys = conn.execute("SELECT count(*) FROM person_keys").fetchone()[0]
    assert copied_keys == key_count(db)


def key_count(db: Database) -> int:
    if db.backend == "sqlite":
        with sqlite3.connect(db.url) as conn:
            return int(conn.execute("SELECT count(*) FROM person_keys").fetchone()[0])
    import psycopg

    with psycopg.connect(db.url) as conn:
        return int(conn.execute("SELECT count(*) FROM person_keys").fetchone()[0])  # type: ignore[index]


def raw_dump(db: Database) -> bytes:
    """The database as bytes: the SQLite file and its WAL (after a checkpoint), or pg_dump's output."""
    if db.backend == "sqlite":
        with sqlite3.connect(db.url) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = Path(db.url + "-wal")
        return Path(db.url).read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    return subprocess.run([pg_dump, "--data-only", db.url], capture_output=True, check=True, timeout=120).stdout


def test_a_raw_dump_after_the_erasure_holds_none_of_their_data(cli: Cli, db: Database) -> None:
    build(cli)
    cli.ok("attendees", SLUG)  # the read models and snapshots hold the plain text now
    dump = raw_dump(db)
    assert b"QZREMARK" in dump or db.backend == "postgres" or b"Quentin" in dump
    cli.ok("erase", PERSON, "--reason", "GDPR request 42")
    dump = raw_dump(db)
    assert [s for s in SECRETS if s.encode() in dump] == []
    cli.ok("verify", "--deep")


def stored_states(db: Database) -> bytes:
    """The stored events' states, as the recorder reads them."""
    from ledger import storage

    app = storage.open_ledger(storage.resolve(db.url))
    try:
        return b"".join(row.state for row in app.recorder.select_sealed(-(2**63), 10_000))
    finally:
        app.close()


def test_events_store_personal_data_only_encrypted(cli: Cli, db: Database) -> None:
    build(cli)
    states = stored_states(db)
    assert [s for s in SECRETS if s.encode() in states] == []
    assert b"alice line one" not in states  # everyone's text is encrypted, not only the erased person's


def test_erase_is_for_admins_only(ledger: Any) -> None:
    from ledger.errors import PermissionDeniedError

    ledger.authenticate("founder")
    ledger.create_meeting("m", "M", "2099-05-01T10:00", "2099-05-01T11:00", "UTC")
    ledger.sign_up("m", PERSON, email=EMAIL, remark=REMARK)
    with ledger.acting("alice"), pytest.raises(PermissionDeniedError, match="needs the admin role"):
        ledger.erase(EMAIL, "GDPR request 42")
    with ledger.acting("founder"):
        ledger.erase(EMAIL, "GDPR request 42")
    assert ledger.get_meeting("m").roster.attendees  # still an entry, as "[erased]"
    assert [a.name for a in ledger.get_meeting("m").roster.attendees.values()] == ["[erased]"]


def test_migrate_encrypts_a_ledger_made_by_the_previous_version(cli: Cli, tmp_path: Path) -> None:
    """A ledger written without encryption (as main wrote it) migrates to one with the same state."""
    plain = {"MEETINGS_PLAINTEXT_EVENTS": "1"}
    cli.env.update(plain)
    build(cli)
    assert b"QZREMARK" in stored_states(cli.db)  # the setting was heard: written as the previous version did
    old_digest = cli.ok("verify", "--head").out.strip()
    views = [["--json", "attendees", s] for s in MEETINGS] + [["--json", "agenda", SLUG], ["notes", "show", "m2"]]
    views += [["--json", "notes", "history", "m2"], ["--json", "show", "m2"]]
    old_views = [cli.ok(*v).out for v in views]
    del cli.env["MEETINGS_PLAINTEXT_EVENTS"]
    new = tmp_path / "new.sqlite"
    cli.ok("migrate", "--encrypt-personal-data", "--to", str(new))
    migrated = InProcess(Database("sqlite", str(new)), tmp_path)
    assert [migrated.ok(*v).out for v in views] == old_views
    migrated.ok("verify", "--deep")
    assert "continue the migrated ledger" in migrated.ok("verify", "--expect", old_digest).out
    assert cli.ok("verify", "--head").out.strip() == old_digest  # the old ledger is kept as it was
    with sqlite3.connect(new) as conn:
        states = b"".join(r[0] for r in conn.execute("SELECT state FROM stored_events"))
    assert [s for s in SECRETS if s.encode() in states] == []
    audit = migrated.ok("audit").out.splitlines()
    assert f"whose head was {old_digest}" in audit[0]
    # And the migrated ledger erases like any other.
    migrated.ok("erase", EMAIL, "--reason", "GDPR request 42")
    assert "[erased]" in migrated.ok("notes", "show", "m2").out


def test_notes_lines_keep_their_first_author_through_merges_and_restores(ledger: Any) -> None:
    """An erased person's lines are replaced in every revision holding them, however they got there."""
    ledger.authenticate("founder")
    ledger.create_meeting("n", "N", "2099-05-01T10:00", "2099-05-01T11:00", "UTC")
    with ledger.acting("founder", for_person="Alice"):
        ledger.edit_notes("n", None, "alice one\nalice two\n")  # 1
    with ledger.acting("founder", for_person=PERSON):
        ledger.edit_notes("n", None, f"alice one\n{NOTE}\nalice two\n")  # 2
    with ledger.acting("founder", for_person="Alice"):
        ledger.edit_notes("n", None, "alice one\nalice two\nalice three\n", base_revision=1)  # 3: merged
        ledger.restore_notes("n", None, 1)  # 4
        ledger.restore_notes("n", None, 3)  # 5: their line back, restored by someone else
    texts = [ledger._notes_revision_text(ledger.get_meeting("n"), "general", r) for r in range(1, 6)]
    assert [NOTE in t for t in texts] == [False, True, True, False, True]
    with ledger.acting("founder"):
        ledger.erase(PERSON, "GDPR request 42")
    meeting = ledger.get_meeting("n")
    after = [ledger._notes_revision_text(meeting, "general", r) for r in range(1, 6)]
    assert after == [t.replace(NOTE, "[erased]") for t in texts]
    assert meeting.notes["general"] == texts[4].replace(NOTE, "[erased]")


def test_an_erased_persons_account_and_mail_setting_keep_only_the_login(cli: Cli, db: Database) -> None:
    """An account's person and email, and a muted person, are that person's data too: erased with them.
    The login stays: it is what proves who acted in the audit."""
    cli.ok(
        "new", "m1", "--title", "M", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00", "--tz", "UTC"
    )  # fmt: skip
    cli.ok("account", "add", "qz17", "--email", EMAIL, "--person", PERSON)
    cli.ok("signup", "m1", PERSON, "--email", EMAIL, "--remark", REMARK)
    cli.ok("notify", "mute", EMAIL)
    assert PERSON in cli.ok("account", "list").out

    cli.ok("erase", EMAIL, "--reason", "GDPR request 42")
    outputs = {" ".join(a): cli.ok(*a).out for a in (["account", "list"], ["--json", "account", "list"])}
    outputs |= {f"audit {f}": cli.ok("audit", "--format", f).out for f in ("text", "json", "csv")}
    assert leaks(outputs) == []
    (listed,) = [a for a in cli.ok("--json", "account", "list").json() if a["name"] == "qz17"]
    assert listed["person"] == "[erased]" and not listed["email"]
    assert "added the account qz17 as [erased]" in outputs["audit text"]
    assert [s for s in SECRETS if s.encode() in raw_dump(db)] == []
    cli.ok("verify", "--deep")


def test_an_erasure_rewrites_only_documents_that_held_their_data_however_many_meetings(
    cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streams are read a few meetings per query (here two, so three meetings take two queries),
    and only the models that fold an event holding the person's data are rewritten: the agenda of a
    meeting they only signed up for is left as it was; `verify --deep` compares every document with
    a fold from the events."""
    import projections.store

    monkeypatch.setattr(projections.store, "STREAMS_PER_QUERY", 2)
    build(cli)
    cli.ok("topic", "propose", "m2", "Olga's topic", actor="Olga Other")
    agenda_before = cli.ok("--json", "agenda", "m2").out
    cli.ok("erase", EMAIL, "--reason", "GDPR request 42")
    assert cli.ok("--json", "agenda", "m2").out == agenda_before
    assert TOPIC not in cli.ok("agenda", SLUG).out and "[erased]" in cli.ok("agenda", SLUG).out
    for slug in MEETINGS:
        assert [s for s in SECRETS if s in cli.ok("--json", "attendees", slug).out] == []
    assert "olga stays" in cli.ok("attendees", "m2").out
    cli.ok("verify", "--deep")
