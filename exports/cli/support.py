"""What every command module shares: the invocation's Session, the common options and the output helpers.

Command modules import this module and never each other. Heavy modules (eventsourcing, the read
models) are imported inside the functions that need them so that every command starts quickly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ledger.application import Ledger, Saved
    from projections.results import Shaped
    from projections.store import ReadStore

from ledger.vocabulary import MODES

MODE_CHOICE = click.Choice(MODES)
FOLD_CHOICE = click.Choice(["first", "second"])


class Session:
    """Per-invocation state: which database, who is acting, and the opened ledger."""

    def __init__(self, db: str | None, actor: str | None, as_json: bool) -> None:
        self.db_option = db
        self.actor_option = actor
        self.as_json = as_json
        self.pool_size = 1  # a CLI process holds one connection; the feed server raises this
        self._app: Ledger | None = None
        self._store: ReadStore | None = None

    @property
    def app(self) -> Ledger:
        if self._app is None:
            from ledger.application import open_ledger, resolve_person

            app = open_ledger(self.db_option, pool_size=self.pool_size)
            app.authenticate(for_person=resolve_person(self.actor_option))
            self._app = app
        return self._app

    def store(self, *, catch_up: bool = True) -> ReadStore:
        if self._store is None:
            from projections.queries import MODELS
            from projections.store import ReadStore

            self._store = ReadStore(self.app)
            if catch_up:
                self._store.catch_up(MODELS)
        return self._store


def session() -> Session:
    found = click.get_current_context().find_object(Session)
    assert found is not None, "commands run inside the main group"
    return found


def fail(message: str, code: int = 1) -> NoReturn:
    raise click.exceptions.Exit(echo_error(message, code))


def echo_error(message: str, code: int) -> int:
    """Print the one `Error:` line a refusal gets and return its exit code."""
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    return code


@dataclass(frozen=True)
class Plain:
    """A command's own small JSON answer (a token, a list of names) given the results' shape."""

    data: Any

    def to_json(self) -> Any:
        return self.data


def emit(result: Shaped | Sequence[Shaped], text: Callable[[], None]) -> None:
    """Print the result's JSON shape when asked (globally or on the command), else the human form."""
    if session().as_json or click.get_current_context().params.get("as_json"):
        from projections.results import to_json

        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        text()


def note_emails(what: str, value: str | None) -> None:
    """Say on stderr that free text holds an email address, which public output masks (PRODUCT.md 10)."""
    if value and "@" in value:
        from ledger.application import text

        if text.find_emails(value):
            click.echo(
                f"Note: the {what} holds an email address; public feeds and pages show it as {text.EMAIL_MASK}.",
                err=True,
            )


def report(saved: Saved) -> None:
    if session().as_json:
        click.echo(json.dumps({"position": saved.position, "summary": saved.summary}))
    else:
        click.echo(saved.summary[:1].upper() + saved.summary[1:] + ".")


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(f)


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--as-of",
        "as_of",
        metavar="TIME",
        help="Show the state at a past moment (ISO 8601; without an offset, local time).",
    )(f)


def meeting_view_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """SLUG, `--json` and `--as-of`: what every command showing one meeting's state takes."""
    return click.argument("slug")(json_option(as_of_option(f)))


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    from ledger.timing import parse_moment

    return parse_moment(value, "--as-of")
