"""What every command module shares: the invocation's Session, the common options and the output helpers.

Command modules import this module and never each other. Heavy modules (eventsourcing, the read
models) are imported inside the functions that need them so that every command starts quickly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ledger.application import Ledger, Saved
    from projections.results import Shaped
    from projections.store import ReadStore

from ledger.vocabulary import MODES

MODE_CHOICE = click.Choice(MODES)
CREATED: list[str] = []  # the ledger files this process made: said once the command has succeeded
FOLD_CHOICE = click.Choice(["first", "second"])


class Session:
    """Per-invocation state: which database, who is acting, and the opened ledger."""

    current: Session | None = None  # this process's, for the error handler's hints

    def __init__(self, db: str | None, actor: str | None, as_json: bool) -> None:
        Session.current = self
        self.db_option = db
        self.actor_option = actor
        self.as_json = as_json
        self.pool_size = 1  # a CLI process holds one connection; the feed server raises this
        self._app: Ledger | None = None
        self._store: ReadStore | None = None
        self._recorder: Any = None  # the event rows opened alone (`recorder`), closed with the session
        self.reading = False  # a read command: a missing ledger is an error, never a new file
        self.created: str | None = None  # the ledger file this command made, to be said

    @property
    def app(self) -> Ledger:
        """The ledger, for a command that writes (a missing SQLite file is made, and said so)."""
        if self._app is None:
            from ledger.application import open_ledger, resolve_person

            app = open_ledger(self.db_option, pool_size=self.pool_size, create=not self.reading)
            app.authenticate(for_person=resolve_person(self.actor_option))
            self._app = app
            self.created = getattr(app, "created_file", None)
            if self.created:
                CREATED.append(self.created)
        return self._app

    @property
    def opened(self) -> bool:
        return self._app is not None

    def close(self) -> None:
        """Close the ledger: SQLite's last connection then checkpoints its WAL into the main file, so
        that a file copied (or backed up) after the command holds every event, -wal or not."""
        app, self._app, self._store = self._app, None, None
        recorder, self._recorder = self._recorder, None
        # What was written is committed already: a close that fails loses nothing.
        if app is not None:
            with contextlib.suppress(Exception):
                app.close()
        if recorder is not None:
            with contextlib.suppress(Exception):
                recorder.datastore.close()

    @property
    def reader(self) -> Ledger:
        """The ledger, for a command that only reads: one that does not exist is refused, not made."""
        if self._app is None:
            self.reading = True
        return self.app

    def recorder(self) -> Any:
        """The stored event rows alone, for a command that reads nothing else (`verify`): on SQLite
        the application and its domain classes are not even imported (most of such a command's
        start-up); the ledger's own recorder once it is open, and on PostgreSQL."""
        if self._app is None:
            from ledger.verifying import open_recorder, resolve

            self.reading = True
            if self._recorder is None:
                self._recorder = open_recorder(resolve(self.db_option))
            if self._recorder is not None:
                return self._recorder
        return self.reader.recorder

    def store(self, *, catch_up: bool = True) -> ReadStore:
        """The read models, caught up; a command that reads first never makes a ledger."""
        if self._store is None:
            from projections.queries import MODELS
            from projections.store import ReadStore

            self._store = ReadStore(self.reader)
            if catch_up:
                self._store.catch_up(MODELS)
        return self._store


def session() -> Session:
    found = click.get_current_context().find_object(Session)
    assert found is not None, "commands run inside the main group"
    return found


def say_created() -> None:
    """A write that started a new ledger file says where (on stderr: stdout stays the command's own)."""
    for path in CREATED:
        click.echo(f"Started a new ledger at {path} (no ledger was there).", err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    raise click.exceptions.Exit(echo_error(message, code))


def os_error_text(error: OSError) -> str:
    """What the OS said, in words ("No such file or directory"), without Python's "[Errno 2]" and repr."""
    return error.strerror or str(error) or type(error).__name__


def echo_error(message: str, code: int) -> int:
    """Print the one `Error:` line a refusal gets and return its exit code ("Error:" in red on a terminal)."""
    click.echo(f"{paint('Error:', fg='red', bold=True, err=True)} {' '.join(message.split())}", err=True)
    return code


class Progress:
    """A progress bar on stderr while a long command works, drawn only when stderr is a terminal:
    piped or redirected, the command stays quiet (PRODUCT.md section 3).

    Work that knows its size tells it up front (`Progress("Copying", total)`) and then `advance`s;
    work that learns it on the way calls `reach(done, total)`, and the bar appears then.
    """

    def __init__(self, label: str, total: int | None = None) -> None:
        import sys

        self.label = label
        self.shown = 0
        self.bar: Any = None
        self.on_terminal = sys.stderr.isatty()
        if total is not None:
            self._start(total)

    def _start(self, total: int) -> None:
        import sys

        if self.on_terminal and self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    @property
    def advance(self) -> Callable[[int], None] | None:
        """`update(steps)` for work that reports its steps, or None when nothing is drawn."""
        return self._advance if self.bar is not None else None

    def _advance(self, steps: int) -> None:
        self.shown += steps
        self.bar.update(steps)

    @property
    def reach(self) -> Callable[[int, int], None] | None:
        """`reach(done, total)` for work that reports where it stands, or None when nothing is drawn."""
        return self._reach if self.on_terminal else None

    def _reach(self, done: int, total: int) -> None:
        self._start(total)
        self._advance(done - self.shown)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def paint(text: str, *, err: bool = False, **style: Any) -> str:
    """`text` in colour when it goes to a terminal and NO_COLOR (no-color.org) is unset; else as is."""
    import os
    import sys

    stream = sys.stderr if err else sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or not stream.isatty():
        return text
    return click.style(text, **style)


class Plain:
    """A command's own small JSON answer (a token, a list of names) given the results' shape.

    A plain class: a named tuple would be read as a sequence of results, and a dataclass costs start-up time.
    """

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def to_json(self) -> Any:
        return self.data


def emit(result: Shaped | Sequence[Shaped], text: Callable[[], None]) -> None:
    """Print the result's JSON shape when asked (globally or on the command), else the human form."""
    if session().as_json or click.get_current_context().params.get("as_json"):
        import json

        from projections.results import to_json

        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        text()


def note_emails(what: str, value: str | None) -> None:
    """Say on stderr that free text holds an email address, which public output masks (PRODUCT.md 10)."""
    if value and "@" in value:
        from ledger import text

        if text.find_emails(value):
            click.echo(
                f"Note: the {what} holds an email address; public feeds and pages show it as {text.EMAIL_MASK}.",
                err=True,
            )


def report(saved: Saved) -> None:
    if session().as_json:
        import json

        click.echo(json.dumps({"position": saved.position, "summary": saved.summary}))
    else:
        from ledger.vocabulary import sentence

        click.echo(sentence(saved.summary))


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(f)


def fold_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--fold`: which of the two moments a local time names in the hour the clocks go back."""
    return click.option("--fold", type=FOLD_CHOICE, help="For a local time that happens twice: which one.")(f)


# The details every meeting and series has besides its title and time, and what each is.
_DETAILS = (
    ("--location", "Where it happens"),
    ("--video-url", "Video-conference link"),
    ("--description", "Free text"),
)


def detail_options(*, edit: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--location`, `--video-url` and `--description`, as a new meeting or series takes them (empty unless
    given) or as an edit does (unchanged unless given, '' to clear)."""
    extra: dict[str, Any] = {} if edit else {"default": ""}
    clear = " ('' to clear)" if edit else ""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        for name, what in reversed(_DETAILS):  # the last applied is the first listed in --help
            f = click.option(name, help=f"{what}{clear}.", **extra)(f)
        return f

    return apply


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--as-of",
        "as_of",
        metavar="TIME",
        help="Show the state as the ledger had recorded it at that moment, not the meeting's own time"
        " (ISO 8601; without an offset, in the meeting's time zone).",
    )(f)


def meeting_view_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """SLUG, `--json` and `--as-of`: what every command showing one meeting's state takes."""
    return click.argument("slug")(json_option(as_of_option(f)))


def meeting_view(name: str, query: str | None = None) -> Callable[[Callable[[Any], None]], click.Command]:
    """The command NAME showing one meeting's state: it takes SLUG, `--json` and `--as-of`, asks the read
    models' `query` (the command's name unless said), and prints the answer as JSON or through the decorated
    function, whose docstring is the command's help."""

    def command(text: Callable[[Any], None]) -> click.Command:
        def run(slug: str, as_json: bool, as_of: str | None) -> None:
            from projections import queries

            answer = getattr(queries, query or name)(session().store(), slug, parse_as_of(as_of, slug))
            emit(answer, lambda: text(answer))

        run.__doc__ = text.__doc__
        return click.command(name)(meeting_view_options(run))

    return command


def listing(name: str, query: str, empty: str) -> Callable[[Callable[[Any], None]], click.Command]:
    """The command NAME listing every row the read models' `query` finds as of now, with `--json`: the
    decorated function prints the rows (its docstring is the help), and `empty` says how to make the first."""

    def command(text: Callable[[Any], None]) -> click.Command:
        def run(as_json: bool) -> None:
            from projections import queries

            rows = getattr(queries, query)(session().store(), datetime.now(UTC))
            emit(rows, lambda: text(rows) if rows else click.echo(empty))

        run.__doc__ = text.__doc__
        return click.command(name)(json_option(run))

    return command


def echo_place(location: str, video_url: str) -> None:
    """Where a meeting or a series happens, a line each for the room and the video link it has."""
    if location:
        click.echo(f"Location:  {location}")
    if video_url:
        click.echo(f"Video:     {video_url}")


def parse_as_of(value: str | None, slug: str | None = None) -> datetime | None:
    """`--as-of`: a time without an offset is read in the meeting's zone when the command is about one."""
    if value is None:
        return None
    from ledger.timing import parse_moment

    try:
        local = datetime.fromisoformat(value.strip()).tzinfo is None
    except ValueError:
        local = False  # parse_moment says what is wrong with it
    zone = None
    if slug is not None and local:
        from projections import queries

        zone = queries.meeting(session().store(), slug).timezone
    return parse_moment(value, "--as-of", zone)
