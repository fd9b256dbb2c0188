"""Tamper evidence: `meetings verify` finds the first altered, removed, moved or inserted event.

Each test builds a ledger through the application, tampers with the stored rows directly
in the real database (as someone with write access to the file or server could), and
checks the chain in-process; the real `meetings verify` is run once per way it reports (in the test's
process, and as a process for a broken chain).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import chain
from ledger.application import Ledger
from tests.conftest import Cli, Database
from tests.support import acting_for


@pytest.fixture(autouse=True)
def plain_personal_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests forge stored events by editing known bytes ("Derek Carr"), so the ledgers they
    build store personal data in plain text, as before encryption; the chain is the same either way
    (tests/test_privacy.py covers encrypted ledgers)."""
    monkeypatch.setenv("MEETINGS_PLAINTEXT_EVENTS", "1")


SLUG = "sig-node-f2f-2016"

# The command's reports are the same in this process; `process_cli` keeps one real process, for the exit
# status and the one-line message a shell sees when the chain is broken.
pytestmark = pytest.mark.in_process


@pytest.fixture
def process_cli(db: Database, tmp_path: Path) -> Cli:
    return Cli(db, tmp_path)


class Raw:
    """Direct SQL on the ledger's events table, bypassing the application."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgres = db.backend == "postgres"
        self.table = "ledger_events" if self.postgres else "stored_events"
        self.position = "notification_id" if self.postgres else "rowid"

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run one statement as an attacker with the database's own rights: append-only triggers dropped first.

        Every open of the ledger puts the triggers back, so they are dropped before each statement.
        """
        statement = statement.replace("{t}", self.table).replace("{p}", self.position)
        if self.postgres:
            import psycopg

            with psycopg.connect(self.db.url) as conn:
                conn.execute(f"DROP TRIGGER IF EXISTS {self.table}_append_only ON {self.table}")
                cur = conn.execute(statement.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        import sqlite3

        with sqlite3.connect(self.db.url) as conn:
            for trigger in ("no_update", "no_delete"):
                conn.execute(f"DROP TRIGGER IF EXISTS {self.table}_{trigger}")
            return conn.execute(statement, params).fetchall()

    def row(self, position: int) -> tuple[Any, ...]:
        rows = self.run(
            "SELECT originator_id, originator_version, topic, state, chain FROM {t} WHERE {p} = ?", (position,)
        )
        return tuple(rows[0])

    def positions(self) -> list[int]:
        return [r[0] for r in self.run("SELECT {p} FROM {t} ORDER BY {p}")]

    def insert(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes, seal: bytes | None
    ) -> None:
        self.run(
            f"INSERT INTO {{t}} ({self.position}, originator_id, originator_version, topic, state, chain)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (position, originator_id, version, topic, state, seal),
        )

    def reseal_from(self, start: int) -> None:
        """What a careful forger does after a change: recompute every seal from there on."""
        previous = chain.GENESIS
        for position in self.positions():
            originator_id, version, topic, state, seal = self.row(position)
            if position >= start:
                seal = chain.seal(previous, position, originator_id, version, topic, bytes(state))
                self.run("UPDATE {t} SET chain = ? WHERE {p} = ?", (seal, position))
            previous = bytes(seal)[32:]


@pytest.fixture
def seeded(ledger: Any, db: Database) -> Iterator[Raw]:
    """The seed meeting with a handful of sign-ups and a topic: 8 events."""
    ledger.create_meeting(
        SLUG, "Sig-node Face to Face", "2016-11-07T13:00", "2016-11-07T16:00", "Pacific Time", capacity=25
    )
    for name in ("Dawn Chen", "Derek Carr", "Paul Morie", "Harry Zhang", "Euan Kemp", "Jeremy Eder"):
        ledger.sign_up(SLUG, name)
    ledger.propose_topic(SLUG, "CRI blockers and progress", "Brandon Philips")
    yield Raw(db)


def verify(cli: Cli, *args: str) -> tuple[int, str, str]:
    result = cli("verify", *args)
    return result.code, result.out, result.err


def check(ledger: Ledger, expect: str | None = None) -> chain.Verification:
    """What `meetings verify [--expect DIGEST]` computes, in-process."""
    return chain.verify(chain.stored_rows(ledger.recorder), chain.Digest.parse(expect) if expect else None)


def broken(ledger: Ledger) -> chain.Break:
    found = check(ledger).broken
    assert found is not None, "the tampering went unnoticed"
    return found


# ----- the command: output, exit codes --------------------------------------------------------------


def test_verify_passes_on_an_untouched_ledger(cli: Cli, seeded: Raw) -> None:
    code, out, _ = verify(cli)
    assert code == 0
    assert re.fullmatch(r"ok: 8 events, head 8:[0-9a-f]{64}\n", out)


def test_an_empty_ledger_verifies(cli: Cli, ledger: Ledger) -> None:
    # `ledger` opens (and so makes) the empty ledger: a read command never creates one itself.
    code, out, _ = verify(cli)
    assert code == 0
    assert out == f"ok: 0 events, head 0:{'0' * 64}\n"


def test_a_broken_chain_is_reported_in_one_line_with_exit_1(process_cli: Cli, seeded: Raw) -> None:
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (4,))
    code, _, err = verify(process_cli)
    assert code == 1
    assert err.startswith("Error: the ledger has been tampered with: the chain breaks at position 5:")
    assert err.count("\n") == 1


def test_verify_head_prints_the_digest_verify_reports(cli: Cli, seeded: Raw, ledger: Ledger) -> None:
    head = cli.ok("verify", "--head").out.strip()
    assert head == str(check(ledger).head)
    assert cli.ok("verify").out == f"ok: 8 events, head {head}\n"
    report = json.loads(cli.ok("verify", "--json").out)
    assert report == {"ok": True, "events": 8, "head": head}


def test_verify_of_a_sqlite_ledger_reads_the_rows_without_the_application(
    db: Database, seeded: Raw, tmp_path: Path
) -> None:
    """The application and its domain classes are most of a short command's start-up, and `verify` reads
    only the stored rows; it opens the application only to name the meeting of a break."""
    if seeded.postgres:
        pytest.skip("PostgreSQL is opened whole: its open also checks the ledger's tables")

    def verify_imports(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "exports.cli", "--db", db.url, "verify", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        return run, [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]

    domain = ("ledger.application", "ledger.meeting", "ledger.series", "eventsourcing.application")
    run, imported = verify_imports("--json")
    assert run.returncode == 0 and json.loads(run.stdout)["events"] == 8
    assert not [m for m in imported if m in domain]
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (4,))
    run, imported = verify_imports()
    assert run.returncode == 1 and f"(meeting {SLUG})" in run.stderr, run.stderr


def test_verify_head_refuses_to_vouch_for_a_broken_chain(cli: Cli, seeded: Raw) -> None:
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (4,))
    result = cli("verify", "--head")
    assert result.code == 1
    assert result.out == ""


def test_verify_json_names_the_first_bad_position(cli: Cli, seeded: Raw) -> None:
    seeded.run("UPDATE {t} SET topic = ? WHERE {p} = ?", ("meeting-ledger:Meeting.Withdrew", 6))
    result = cli("verify", "--json")
    assert result.code == 1
    report = result.json()
    assert (report["ok"], report["position"], report["problem"]) == (False, 6, "altered")


def test_expect_reports_extending_rewritten_and_removed_histories(cli: Cli, seeded: Raw, ledger: Ledger) -> None:
    earlier = str(check(ledger).head)
    with acting_for("bob"):
        ledger.sign_up(SLUG, "Brandon Philips")
    assert cli.ok("verify", "--expect", earlier).out.startswith(f"ok: 9 events extend {earlier}, head 9:")
    state = bytes(seeded.row(3)[3]).replace(b"Derek Carr", b"Derek Karr")
    seeded.run("UPDATE {t} SET state = ? WHERE {p} = ?", (state, 3))
    seeded.reseal_from(3)
    result = cli("verify", "--expect", earlier)
    assert result.code == 1 and result.err.count("\n") == 1
    assert "does not extend" in result.err and "rewritten" in result.err
    head = str(check(ledger).head)
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (9,))
    result = cli("verify", "--expect", head)
    assert result.code == 1
    assert "no event at position 9" in result.err


def test_a_malformed_digest_is_bad_input(cli: Cli, seeded: Raw) -> None:
    result = cli("verify", "--expect", "not-a-digest")
    assert result.code == 2
    assert result.err.startswith("Error: 'not-a-digest' is not a ledger digest")


# ----- what the chain finds (in-process) ------------------------------------------------------------


def test_changing_one_byte_of_a_stored_event_is_found(ledger: Ledger, seeded: Raw) -> None:
    state = bytearray(seeded.row(5)[3])
    state[state.index(b"Harry")] = ord("L")  # "Harry Zhang" becomes "Larry Zhang"
    seeded.run("UPDATE {t} SET state = ? WHERE {p} = ?", (bytes(state), 5))
    assert "event at position 5 was altered" in broken(ledger).message


def test_deleting_a_row_is_found_at_the_event_after_it(ledger: Ledger, seeded: Raw) -> None:
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (4,))
    assert "chain breaks at position 5: an event after position 3 was removed" in broken(ledger).message


def test_deleting_the_first_row_is_found(ledger: Ledger, seeded: Raw) -> None:
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (1,))
    assert "chain breaks at position 2: an event at the start was removed" in broken(ledger).message


@pytest.mark.parametrize("with_seals", [False, True], ids=["contents", "contents-and-seals"])
def test_swapping_two_rows_is_found_at_the_first_of_them(ledger: Ledger, seeded: Raw, with_seals: bool) -> None:
    columns = ("topic", "state", "chain") if with_seals else ("topic", "state")
    three, six = seeded.row(3), seeded.row(6)
    index = {"topic": 2, "state": 3, "chain": 4}
    for position, source in ((3, six), (6, three)):
        assignments = ", ".join(f"{c} = ?" for c in columns)
        seeded.run(f"UPDATE {{t}} SET {assignments} WHERE {{p}} = ?", (*(source[index[c]] for c in columns), position))
    assert "event at position 3 was altered or moved" in broken(ledger).message


def test_a_forged_row_without_a_seal_is_found(ledger: Ledger, seeded: Raw) -> None:
    originator_id, _, topic, state, _ = seeded.row(2)
    seeded.insert(9, originator_id, 9, topic, bytes(state).replace(b"Dawn Chen", b"Eve Forger"), None)
    assert "event at position 9 has no chain seal" in broken(ledger).message


def test_a_forged_row_sealed_by_the_published_recipe_is_found(ledger: Ledger, seeded: Raw) -> None:
    # The forger computes a perfect seal for a new first event, but cannot re-link what follows.
    originator_id, _, topic, state, _ = seeded.row(2)
    forged = bytes(state).replace(b"Dawn Chen", b"Eve Forger")
    seeded.insert(0, originator_id, 0, topic, forged, chain.seal(chain.GENESIS, 0, originator_id, 0, topic, forged))
    assert "event at position 0 was inserted" in broken(ledger).message


def test_a_digest_taken_earlier_is_accepted_after_more_events(ledger: Ledger, seeded: Raw) -> None:
    earlier = str(check(ledger).head)
    with acting_for("bob"):
        ledger.sign_up(SLUG, "Brandon Philips")
    with acting_for("carol"):
        ledger.withdraw(SLUG, "Dawn Chen", "travel")
    result = check(ledger, earlier)
    assert (result.intact, result.expected, result.count, result.head.position) == (True, "extends", 10, 10)


def test_the_current_head_and_the_empty_history_are_accepted(ledger: Ledger, seeded: Raw) -> None:
    head = str(check(ledger).head)
    assert check(ledger, head).expected == "extends"
    assert check(ledger, f"0:{'0' * 64}").expected == "extends"


def test_a_digest_from_a_history_later_rewritten_is_refused(ledger: Ledger, seeded: Raw) -> None:
    earlier = str(check(ledger).head)
    with acting_for("bob"):
        ledger.sign_up(SLUG, "Brandon Philips")
    # Rewrite event 3 and recompute every seal after it: the chain is consistent again...
    state = bytes(seeded.row(3)[3]).replace(b"Derek Carr", b"Derek Karr")
    seeded.run("UPDATE {t} SET state = ? WHERE {p} = ?", (state, 3))
    seeded.reseal_from(3)
    assert check(ledger).intact
    # ...but it no longer passes through the digest recorded before the rewrite.
    assert check(ledger, earlier).expected == "differs"


def test_a_digest_whose_event_was_removed_is_refused(ledger: Ledger, seeded: Raw) -> None:
    head = str(check(ledger).head)
    seeded.run("DELETE FROM {t} WHERE {p} = ?", (8,))  # the newest event: the chain alone can't tell
    assert check(ledger).intact
    assert check(ledger, head).expected == "missing"


# ----- the chain survives copying and concurrency ---------------------------------------------------


def test_the_chain_travels_with_a_copied_sqlite_file(sqlite_cli: Cli, tmp_path: Any) -> None:
    import shutil

    sqlite_cli.ok(
        "new", SLUG, "--title", "T", "--start", "2016-11-07T13:00", "--end", "2016-11-07T16:00", "--tz", "UTC"
    )
    sqlite_cli.ok("signup", SLUG, "Dawn Chen")
    head = sqlite_cli.ok("verify", "--head").out.strip()
    copy = tmp_path / "copy.sqlite"
    shutil.copy(sqlite_cli.db.url, copy)
    result = sqlite_cli("verify", "--expect", head, env={"MEETINGS_DB": str(copy)})
    assert result.code == 0, result.err


# Forty (now sixty) concurrent sign-ups all succeed and chain: test_concurrency.py.
