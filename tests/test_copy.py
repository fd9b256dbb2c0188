"""Moving a ledger between SQLite and PostgreSQL keeps every event and every read model."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli, Database


def test_copy_to_another_backend_gives_the_same_lists(cli: Cli, tmp_path: Path) -> None:
    cli.ok(
        "new",
        "c",
        "--title",
        "C",
        "--start",
        "2030-01-01T10:00",
        "--end",
        "2030-01-01T11:00",
        "--tz",
        "UTC",
        "--capacity",
        "1",
    )
    for name in ("Ann", "Ben", "Cid"):
        cli.ok("signup", "c", name, actor=name.lower())
    cli.ok("withdraw", "c", "Ann", "--reason", "needs the room", actor="bob")
    cli.ok("topic", "propose", "c", "Topic", "--by", "Dawn")
    cli.ok("notes", "edit", "c", "--file", "-", input="hello\n")
    # SQLite copies into a second SQLite file; PostgreSQL copies back out to SQLite.
    target = Database("sqlite", str(tmp_path / "copy.sqlite"))
    out = cli.ok("copy", "--to", target.url).out
    assert "Copied 8 events" in out
    copy = Cli(target, tmp_path)
    for command in ("attendees", "agenda", "show"):
        assert copy.ok(command, "c", "--json").out == cli.ok(command, "c", "--json").out
    assert copy.ok("notes", "history", "c", "--json").out == cli.ok("notes", "history", "c", "--json").out
    again = cli("copy", "--to", target.url)
    assert again.code == 1 and "already holds events" in again.err
    assert target.event_count() == 8
