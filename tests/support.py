"""In-process helpers for the fast test layer: meetings built by the Ledger's own commands, read back through the views.

The rules are tested here without starting a process; `tests/conftest.py`'s `ledger` fixture gives a
Ledger on each backend, `open_ledger` one on any file or URL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from ledger import people, storage
from ledger.application import Ledger, Saved
from projections import queries
from projections.store import ReadStore
from tests.conftest import SEED_ATTENDEES, SEED_TOPICS, Cli, Database, Result

SEED_SLUG = "sig-node-f2f-2016"


def open_ledger(url: str, actor: str = "alice") -> Ledger:
    """A Ledger on a SQLite file or PostgreSQL URL, acting as `actor` (the caller closes it)."""
    app = storage.open_ledger(storage.resolve(url))
    app.authenticate(for_person=actor)
    return app


@contextlib.contextmanager
def acting_as(app: Ledger, account: str) -> Iterator[None]:
    """Commands inside the block are made by the account `account`, acting as its own person.

    The account is made an admin first (by whoever is acting now), so that a story about what
    people did is not refused by the roles; tests of the roles themselves use `app.acting`.
    """
    known = app.account(account)
    if known is None or not known.admin:
        app.grant_admin(account)
    principal, actor = people.principal_var.set(account), people.actor_var.set("")
    try:
        yield
    finally:
        people.principal_var.reset(principal)
        people.actor_var.reset(actor)


@contextlib.contextmanager
def acting_for(name: str) -> Iterator[None]:
    """Commands inside the block are made for the person `name` by the current account (`--as`)."""
    token = people.actor_var.set(name)
    try:
        yield
    finally:
        people.actor_var.reset(token)


def new_meeting(
    app: Ledger,
    slug: str = "m",
    *,
    title: str | None = None,
    start: str = "2030-01-01T10:00",
    end: str = "2030-01-01T11:00",
    zone: str = "UTC",
    capacity: int | None = None,
    **details: Any,
) -> str:
    """Create a meeting with defaults for everything a test does not care about; returns its slug."""
    app.create_meeting(slug, title or slug.upper(), start, end, zone, capacity=capacity, **details)
    return slug


def sign_up_many(app: Ledger, slug: str, names: Iterable[str], mode: str = "in-person") -> list[Saved]:
    return [app.sign_up(slug, name, mode) for name in names]


def seed_meeting(app: Ledger) -> str:
    """The sig-node meeting as tests/fixtures/sig-node-f2f-2016.sh builds it, without a process per command."""
    app.create_meeting(
        SEED_SLUG,
        "Sig-node Face to Face meeting before KubeCon",
        "2016-11-07T13:00",
        "2016-11-07T16:00",
        "Pacific Time",
        location="Menzies Suite at the Grand Hyatt Seattle",
        video_url="https://zoom.us/j/6229641857",
        description="Sig-node is planning on having a Face to Face meeting in Seattle right before KubeCon.",
        capacity=25,
    )
    for name, mode, remark in SEED_ATTENDEES:
        app.sign_up(SEED_SLUG, name, mode, remark=remark)
    for title, proposer, parent in SEED_TOPICS:
        app.propose_topic(SEED_SLUG, title, proposer, parent)
    return SEED_SLUG


def store(app: Ledger) -> ReadStore:
    """A read store caught up with everything appended so far (as each CLI read command does)."""
    read = ReadStore(app)
    read.catch_up(queries.MODELS)
    return read


def attendees(app: Ledger, slug: str) -> dict[str, Any]:
    """What `meetings attendees SLUG --json` prints."""
    return queries.attendees(store(app), slug).to_json()


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in entries]


def stored_kinds(db: Database) -> list[str]:
    """The class names of the stored events, in order."""
    if db.backend == "sqlite":
        import sqlite3

        with sqlite3.connect(db.url) as conn:
            rows = conn.execute("SELECT topic FROM stored_events ORDER BY rowid").fetchall()
    else:
        import psycopg

        with psycopg.connect(db.url) as conn:
            rows = conn.execute("SELECT topic FROM ledger_events ORDER BY notification_id").fetchall()
    return [r[0].rsplit(".", 1)[1] for r in rows]


class InProcess(Cli):
    """The real `meetings` command run in this process (click's CliRunner): what `Cli` does, without a process.

    The same arguments, `db` and `env` as `Cli`, so a test module of rules runs either way; the
    `in_process` marker makes the `cli` fixture one of these.
    """

    def __call__(
        self, *args: str, input: str | None = None, actor: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        from click.testing import CliRunner

        from exports.cli import main

        extra = ["--as", actor] if actor else []
        # Named as the installed command is (a process takes its name from argv[0]): the usage lines and
        # the shell-completion variable (_MEETINGS_COMPLETE) are the ones a user sees. The group closes
        # the run's ledger as it returns, so hundreds of runs on PostgreSQL hold no connections.
        outcome = CliRunner().invoke(
            main, [*extra, *args], input=input, env={**self.env, **(env or {})}, prog_name="meetings"
        )
        assert isinstance(outcome.exception, SystemExit | None), repr(outcome.exception)
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)
