"""Moving a ledger between SQLite and PostgreSQL keeps every event, the chain and every read model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application import Ledger
from tests.conftest import POSTGRES_URL, Cli, Database, _postgres_database
from tests.support import acting_as, new_meeting, open_ledger


@pytest.fixture
def other_backend(db: Database, tmp_path: Path) -> Iterator[Database]:
    """A new, empty ledger on the other backend: SQLite copies to PostgreSQL and back."""
    if db.backend == "postgres":
        yield Database("sqlite", str(tmp_path / "copy.sqlite"))
        return
    if not POSTGRES_URL:
        pytest.skip("MEETINGS_TEST_POSTGRES is not set (.ci/run starts a server and sets it)")
    for url in _postgres_database():
        yield Database("postgres", url)


def test_a_copied_ledger_verifies_and_reads_the_same(
    cli: Cli, ledger: Ledger, other_backend: Database, tmp_path: Path
) -> None:
    new_meeting(ledger, "c", capacity=1)
    for name in ("Ann", "Ben", "Cid"):
        with acting_as(ledger, name.lower()):
            ledger.sign_up("c", name)
    with acting_as(ledger, "bob"):
        ledger.withdraw("c", "Ann", "needs the room")
    ledger.propose_topic("c", "Topic", "Dawn")
    ledger.edit_notes("c", None, "hello\n")
    head = cli.ok("verify", "--head").out.strip()

    out = cli.ok("copy", "--to", other_backend.url).out
    assert "Copied 8 events" in out
    copy = Cli(other_backend, tmp_path)
    assert copy.ok("verify").code == 0
    assert copy.ok("verify", "--head").out.strip() == head, "the chain travels with the events"
    copy.ok("verify", "--expect", head)
    for command in ("attendees", "agenda", "show"):
        assert copy.ok(command, "c", "--json").out == cli.ok(command, "c", "--json").out
    assert copy.ok("audit", "--format", "json").out == cli.ok("audit", "--format", "json").out
    assert copy.ok("notes", "history", "c", "--json").out == cli.ok("notes", "history", "c", "--json").out

    again = cli("copy", "--to", other_backend.url)
    assert again.code == 1 and "already holds events" in again.err
    assert other_backend.event_count() == 8
    # The copy is a working ledger of its own.
    copy.ok("signup", "c", "Dee")
    assert [e["name"] for e in copy.ok("attendees", "c", "--json").json()["waitlist"]] == ["Cid", "Dee"]


def test_copy_refuses_the_ledger_itself(sqlite_cli: Cli, sqlite_db: Database) -> None:
    app = open_ledger(sqlite_db.url)
    new_meeting(app, "c")
    app.close()
    result = sqlite_cli("copy", "--to", sqlite_cli.db.url)
    assert result.code == 2 and "itself" in result.err
