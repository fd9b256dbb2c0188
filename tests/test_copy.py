"""Moving a ledger between SQLite and PostgreSQL keeps every event, the chain and every read model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.people import login_name
from tests.conftest import POSTGRES_URL, Cli, Database, _postgres_database
from tests.support import acting_for, new_meeting, open_ledger


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
        with acting_for(name.lower()):
            ledger.sign_up("c", name)
    with acting_for("bob"):
        ledger.withdraw("c", "Ann", "needs the room")
    ledger.propose_topic("c", "Topic", "Dawn")
    ledger.edit_notes("c", None, "hello\n")
    # Who administers the copy is decided before copying: the account the destination authenticates
    # (its database user, or the OS login) is made an admin here, as the README says.
    ledger.grant_admin("postgres" if other_backend.backend == "postgres" else login_name())
    head = cli.ok("verify", "--head").out.strip()

    out = cli.ok("copy", "--to", other_backend.url).out
    assert "Copied 10 events" in out
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
    assert other_backend.event_count() == 10
    # The copy is a working ledger of its own.
    copy.ok("signup", "c", "Dee")
    assert [e["name"] for e in copy.ok("attendees", "c", "--json").json()["waitlist"]] == ["Cid", "Dee"]


def test_copy_refuses_the_ledger_itself(sqlite_cli: Cli, sqlite_db: Database) -> None:
    app = open_ledger(sqlite_db.url)
    new_meeting(app, "c")
    app.close()
    result = sqlite_cli("copy", "--to", sqlite_cli.db.url)
    assert result.code == 2 and "itself" in result.err


def _token_rows(db: Database) -> list[tuple[str, ...]]:
    from tests.test_verify import Raw

    feed = Raw(db).run("SELECT person_key, name, token_hash, issued_at FROM feed_tokens")
    api = Raw(db).run("SELECT token_hash, account, kind, issued_at FROM account_credentials")
    return sorted(tuple(r) for r in [*feed, *api])


def test_a_copy_there_and_back_keeps_the_head_digest_and_the_tokens(
    cli: Cli, other_backend: Database, tmp_path: Path
) -> None:
    cli.ok("new", "c", "--title", "C", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    for name in ("Ann", "Ben", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo"):
        cli.ok("signup", "c", name)
    cli.ok("feed-token", "issue", "Ann")
    cli.ok("account", "add", "dawn", "--person", "Dawn Chen")
    cli.ok("account", "token", "dawn")
    head = cli.ok("verify", "--head").out.strip()
    out = cli.ok("copy", "--to", other_backend.url).out
    assert f"Verified: the copy extends {head}" in out
    there = Cli(other_backend, tmp_path)
    assert there.ok("verify", "--expect", head).out.startswith(f"ok: 13 events extend {head}")
    assert there.ok("account", "list", "--json").json() == cli.ok("account", "list", "--json").json()
    there.ok("verify", "--deep")
    back_db = (
        Database("sqlite", str(tmp_path / "back.sqlite")) if cli.db.backend == "sqlite" else None
    )  # PostgreSQL to SQLite and back needs a second server database: the SQLite run covers the round trip
    if back_db is not None:
        there.ok("copy", "--to", back_db.url)
        back = Cli(back_db, tmp_path)
        assert back.ok("verify", "--head").out.strip() == head
        back.ok("verify", "--deep")
        assert _token_rows(back_db) == _token_rows(cli.db)
    assert _token_rows(other_backend) == _token_rows(cli.db)


def test_a_tampered_ledger_is_not_copied_unless_forced(cli: Cli, other_backend: Database) -> None:
    from tests.test_verify import Raw

    cli.env["MEETINGS_PLAINTEXT_EVENTS"] = "1"  # the forgery edits a known name in the stored bytes
    cli.ok("new", "c", "--title", "C", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
    cli.ok("signup", "c", "Ann")
    raw = Raw(cli.db)
    state = bytes(raw.row(2)[3]).replace(b"Ann", b"Eve")
    raw.run("UPDATE {t} SET state = ? WHERE {p} = ?", (state, 2))
    refused = cli("copy", "--to", other_backend.url)
    assert refused.code == 1 and "fails verify" in refused.err and "nothing was copied" in refused.err
    assert other_backend.event_count() == 0
    forced = cli("copy", "--to", other_backend.url, "--force")
    assert forced.code == 0 and "copying a ledger that fails verify" in forced.err
    assert "event at position 2 was altered" in forced.err
    assert other_backend.event_count() == 2
