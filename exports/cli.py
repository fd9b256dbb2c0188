"""`meetings`: the command line over the ledger. Thin: parse, call the application, print.

Heavy modules (eventsourcing, pytz, the read models) are imported inside the commands
that need them so that `meetings --help` and every command start quickly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ledger.application import Ledger, Saved
    from projections.store import ReadStore

MODE_CHOICE = click.Choice(["in-person", "remote", "undecided"])
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
            from ledger import people, storage

            database = storage.resolve(self.db_option)
            people.actor_var.set(people.resolve_actor(self.actor_option))
            app = storage.open_ledger(database, pool_size=self.pool_size)
            people.principal_var.set(principal_of(app, database))
            self._app = app
        return self._app

    def store(self, *, catch_up: bool = True) -> ReadStore:
        if self._store is None:
            from projections.store import ReadStore
            from projections.views import MODELS

            self._store = ReadStore(self.app)
            if catch_up:
                self._store.catch_up(MODELS)
        return self._store


def principal_of(app: Any, database: Any) -> str:
    """Who the storage knows us as: the database session user, else the login name."""
    from ledger import people

    if database.is_postgres:
        with app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT session_user AS who")
            row = cursor.fetchone()
            return str(row["who"])
    return people.login_name()


def session() -> Session:
    found = click.get_current_context().find_object(Session)
    assert found is not None, "commands run inside the main group"
    return found


def fail(message: str, code: int = 1) -> NoReturn:
    raise click.exceptions.Exit(_error(message, code))


def _error(message: str, code: int) -> int:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    return code


def emit(data: Any, text: Callable[[], None]) -> None:
    """Print JSON when asked (globally or on the command), else the human form."""
    if session().as_json or click.get_current_context().params.get("as_json"):
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        text()


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


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    from ledger.timing import parse_moment

    return parse_moment(value, "--as-of")


# ----- the group ---------------------------------------------------------------------------


# Commands that live in their own modules, imported only when used (or listed by --help),
# so that `meetings signup` does not pay for the calendar, page and audit code.
LAZY_COMMANDS: dict[str, tuple[str, ...]] = {
    "export": ("exports.calendar_cli", "exports.page_cli", "exports.export_group:export_group"),
    "import": ("exports.page_cli:import_group",),
    "feed-token": ("exports.calendar_cli:feed_token",),
    "serve": ("exports.calendar_cli:serve_feeds",),
    "audit": ("exports.audit_cli:audit",),
    "verify": ("exports.audit_cli:verify",),
}


class LedgerGroup(click.Group):
    """Turns every refusal into one `Error:` line and the documented exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            import importlib

            command: Any = None
            for target in LAZY_COMMANDS[cmd_name]:
                module_name, _, attribute = target.partition(":")
                module = importlib.import_module(module_name)  # importing attaches sub-commands
                if attribute:
                    command = getattr(module, attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The `meetings` process: run the command, then leave without tearing down.

        Everything the command wrote is committed before it returns; skipping the
        interpreter's teardown (closing pools, checkpointing SQLite's WAL on the last close,
        collecting every module) saves a noticeable share of a short command's time.
        """
        try:
            # Without standalone mode click returns an Exit's code instead of raising it.
            returned = self.main(*args, **kwargs)
            code = returned if isinstance(returned, int) else 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (BrokenPipeError, OSError):  # a reader such as `head` went away: nothing to tell
                pass
        os._exit(code)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.exceptions.Abort:
            sys.exit(_error("aborted", 1))
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            sys.exit(_error(error.format_message() + hint, 2))
        except click.ClickException as error:
            sys.exit(_error(error.format_message(), 2))
        except Exception as error:  # noqa: BLE001 - the edge: no traceback ever reaches a user
            sys.exit(handle_unexpected(error))


def handle_unexpected(error: Exception) -> int:
    from ledger.errors import LedgerError

    if isinstance(error, LedgerError):
        return _error(str(error), error.exit_code)
    if isinstance(error, OSError | UnicodeError):
        return _error(str(error), 1)
    from eventsourcing.persistence import PersistenceError

    if isinstance(error, PersistenceError):
        return _error(f"database error: {error}", 1)
    if os.environ.get("MEETINGS_DEBUG"):
        raise error
    return _error(f"internal error ({type(error).__name__}: {error}); set MEETINGS_DEBUG=1 for details", 1)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (else $MEETINGS_DB, else the user data dir)."
)
@click.option("--as", "actor", metavar="NAME", help="Who is acting (else $MEETINGS_ACTOR, else the login name).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for every command.")
@click.version_option(package_name="meeting-ledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, actor: str | None, as_json: bool) -> None:
    """Run a meeting's sign-up sheet, agenda and notes as an append-only ledger.

    Every change is an event recording who made it and when; attendee lists,
    agendas, notes and calendars are built from those events.
    """
    ctx.obj = Session(db, actor, as_json)


# ----- meetings ----------------------------------------------------------------------------


@main.command("new")
@click.argument("slug")
@click.option("--title", required=True, help="The meeting's title.")
@click.option("--start", required=True, metavar="TIME", help="Local start, e.g. 2016-11-07T13:00.")
@click.option("--end", required=True, metavar="TIME", help="Local end, e.g. 2016-11-07T16:00.")
@click.option(
    "--tz", "zone", required=True, metavar="ZONE", help="IANA zone or alias (America/Los_Angeles, 'Pacific Time')."
)
@click.option("--location", default="", help="Where it happens.")
@click.option("--video-url", default="", help="Video-conference link.")
@click.option("--description", default="", help="Free text.")
@click.option("--capacity", type=int, help="In-person seat limit (default: none).")
@click.option("--fold", type=FOLD_CHOICE, help="For a local time that happens twice: which one.")
def new_meeting(
    slug: str,
    title: str,
    start: str,
    end: str,
    zone: str,
    location: str,
    video_url: str,
    description: str,
    capacity: int | None,
    fold: Any,
) -> None:
    """Create a meeting identified by SLUG."""
    report(
        session().app.create_meeting(slug, title, start, end, zone, location, video_url, description, capacity, fold)
    )


@main.command("edit")
@click.argument("slug")
@click.option("--title")
@click.option("--location")
@click.option("--video-url")
@click.option("--description")
@click.option("--publish-emails/--hide-emails", default=None, help="Whether calendar feeds may show attendees' emails.")
def edit_meeting(
    slug: str,
    title: str | None,
    location: str | None,
    video_url: str | None,
    description: str | None,
    publish_emails: bool | None,
) -> None:
    """Change a meeting's title, location, video link or description."""
    report(
        session().app.edit_meeting(
            slug,
            title=title,
            location=location,
            video_url=video_url,
            description=description,
            publish_emails=publish_emails,
        )
    )


@main.command("reschedule")
@click.argument("slug")
@click.option("--start", required=True, metavar="TIME")
@click.option("--end", required=True, metavar="TIME")
@click.option("--tz", "zone", metavar="ZONE", help="New zone (default: unchanged).")
@click.option("--fold", type=FOLD_CHOICE)
def reschedule(slug: str, start: str, end: str, zone: str | None, fold: Any) -> None:
    """Move a meeting to a new time."""
    report(session().app.reschedule(slug, start, end, zone, fold))


@main.command("cancel")
@click.argument("slug")
@click.option("--reason", default="")
def cancel(slug: str, reason: str) -> None:
    """Cancel a meeting (subscribers see it cancelled)."""
    report(session().app.cancel(slug, reason))


@main.command("reinstate")
@click.argument("slug")
def reinstate(slug: str) -> None:
    """Undo a cancellation."""
    report(session().app.reinstate(slug))


@main.command("capacity", context_settings={"ignore_unknown_options": True})
@click.argument("slug")
@click.argument("seats", metavar="N")
def capacity(slug: str, seats: str) -> None:
    """Set the in-person limit to N seats ('none' for no limit); raising it promotes."""
    if seats.lower() in ("none", "unlimited"):
        value = None
    else:
        try:
            value = int(seats)
        except ValueError:
            fail(f"capacity must be a whole number or 'none', not {seats!r}", 2)
    report(session().app.change_capacity(slug, value))


def format_when(doc: dict[str, Any]) -> str:
    start = datetime.fromisoformat(doc["start"])
    end = datetime.fromisoformat(doc["end"])
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}-{end_text} {doc['timezone']}"


@main.command("list")
@json_option
def list_meetings(as_json: bool) -> None:
    """List every meeting, soonest first."""

    from projections import views

    rows = views.meeting_list(session().store(), datetime.now(UTC))

    def text() -> None:
        if not rows:
            click.echo("No meetings yet. Create one with 'meetings new'.")
        for row in rows:
            click.echo(f"{row['slug']:<28} {format_when(row):<40} {row['status']:<9} {row['title']}")

    emit(rows, text)


@main.command("show")
@click.argument("slug")
@json_option
@as_of_option
def show(slug: str, as_json: bool, as_of: str | None) -> None:
    """Show a meeting's details and attendance summary."""
    from projections import views

    doc = views.meeting(session().store(), slug, parse_as_of(as_of))

    def text() -> None:
        counts = doc["counts"]
        click.echo(
            doc["title"]
            + (
                "  [CANCELLED" + (f": {doc['cancel_reason']}" if doc["cancel_reason"] else "") + "]"
                if doc["cancelled"]
                else ""
            )
        )
        click.echo(f"When:      {format_when(doc)}")
        if doc["location"]:
            click.echo(f"Location:  {doc['location']}")
        if doc["video_url"]:
            click.echo(f"Video:     {doc['video_url']}")
        limit = "no limit" if doc["capacity"] is None else f"limit {doc['capacity']}"
        click.echo(
            f"Attendees: {counts['seated']} in person ({limit}), {counts['waitlisted']} waitlisted, "
            f"{counts['remote']} remote, {counts['undecided']} undecided"
        )
        if doc["description"]:
            click.echo("")
            click.echo(doc["description"])

    emit(doc, text)


# ----- attendance --------------------------------------------------------------------------


@main.command("signup")
@click.argument("slug")
@click.argument("name")
@click.option("--mode", type=MODE_CHOICE, default="in-person", show_default=True)
@click.option("--email", help="Identifies the person when given; never published unless the organizer allows.")
@click.option("--remark", default="", help='A note on the sign-up, e.g. "2:30pm+".')
def signup(slug: str, name: str, mode: str, email: str | None, remark: str) -> None:
    """Sign NAME up for a meeting (joins the waitlist when the room is full)."""
    report(session().app.sign_up(slug, name, mode, email, remark))


@main.command("withdraw")
@click.argument("slug")
@click.argument("name")
@click.option("--reason", default="", help="Recorded in the audit trail.")
def withdraw(slug: str, name: str, reason: str) -> None:
    """Take NAME off the list; the first waitlisted person gets the seat."""
    report(session().app.withdraw(slug, name, reason))


@main.command("change")
@click.argument("slug")
@click.argument("name")
@click.option("--mode", type=MODE_CHOICE)
@click.option("--remark")
def change(slug: str, name: str, mode: str | None, remark: str | None) -> None:
    """Change how NAME attends, or their remark."""
    report(session().app.change_attendance(slug, name, mode, remark))


@main.command("attendees")
@click.argument("slug")
@json_option
@as_of_option
def attendees(slug: str, as_json: bool, as_of: str | None) -> None:
    """List attendees numbered in sign-up order, as on the meeting page."""
    from ledger.attendance import MODE_LABELS
    from projections import views

    doc = views.attendees(session().store(), slug, parse_as_of(as_of))

    def text() -> None:
        counts = doc["counts"]
        limit = f"[Limit: {doc['capacity']}]" if doc["capacity"] is not None else "[No limit]"
        summary = f"{counts['seated']} seated"
        if counts["waitlisted"]:
            summary += f", {counts['waitlisted']} waitlisted"
        if counts["over_capacity"]:
            summary += ", over capacity"
        click.echo(f"Attendees: {limit} {summary}")
        for entry in doc["attendees"]:
            label = MODE_LABELS[entry["mode"]]
            if "waitlist_position" in entry:
                label += f", waitlist {entry['waitlist_position']}"
            remark = f" {entry['remark']}" if entry["remark"] else ""
            click.echo(f"{entry['position']}. {entry['name']} ({label}){remark}")

    emit(doc, text)


# ----- agenda ------------------------------------------------------------------------------


@main.group("topic")
def topic() -> None:
    """Propose, retitle, move and withdraw discussion topics."""


@topic.command("propose")
@click.argument("slug")
@click.argument("title")
@click.option("--by", "proposer", metavar="NAME", help="Who proposes it (default: whoever is acting).")
@click.option("--under", "parent", type=int, metavar="TOPIC_ID", help="Make it a sub-topic of this topic.")
def topic_propose(slug: str, title: str, proposer: str | None, parent: int | None) -> None:
    """Add TITLE to the agenda."""
    from ledger import people

    app = session().app
    report(app.propose_topic(slug, title, proposer or people.actor_var.get(), parent))


@topic.command("retitle")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.argument("title")
def topic_retitle(slug: str, topic_id: int, title: str) -> None:
    """Give topic TOPIC_ID a new title."""
    report(session().app.retitle_topic(slug, topic_id, title))


@topic.command("move")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.argument("position", type=int)
def topic_move(slug: str, topic_id: int, position: int) -> None:
    """Move topic TOPIC_ID to POSITION (1-based) among its siblings."""
    report(session().app.move_topic(slug, topic_id, position))


@topic.command("withdraw")
@click.argument("slug")
@click.argument("topic_id", type=int)
@click.option("--reason", default="")
def topic_withdraw(slug: str, topic_id: int, reason: str) -> None:
    """Withdraw topic TOPIC_ID (and its sub-topics)."""
    report(session().app.withdraw_topic(slug, topic_id, reason))


@main.command("agenda")
@click.argument("slug")
@json_option
@as_of_option
def agenda(slug: str, as_json: bool, as_of: str | None) -> None:
    """Show the agenda numbered as on the page (4, 4a...)."""
    from projections import views

    items = views.agenda(session().store(), slug, parse_as_of(as_of))

    def text() -> None:
        if not items:
            click.echo("No topics proposed yet.")
        for item in items:
            click.echo(f"{item['number']}. {item['title']} ({item['proposer']})  [id {item['id']}]")
            for sub in item["subtopics"]:
                letter = sub["number"][len(item["number"]) :]
                click.echo(f"  - {letter}. {sub['title']} ({sub['proposer']})  [id {sub['id']}]")

    emit(items, text)


# ----- notes -------------------------------------------------------------------------------


@main.group("notes")
def notes() -> None:
    """Show and edit the meeting notes (one general section, one per topic)."""


topic_option = click.option(
    "--topic", "topic_id", type=int, metavar="ID", help="The topic's section (default: general)."
)


@notes.command("show")
@click.argument("slug")
@topic_option
@json_option
@as_of_option
def notes_show(slug: str, topic_id: int | None, as_json: bool, as_of: str | None) -> None:
    """Print the current text of a notes section."""
    from projections import views

    doc = views.notes(session().store(), slug, topic_id, parse_as_of(as_of))
    emit(doc, lambda: click.echo(doc["text"], nl=not doc["text"].endswith("\n")))


@notes.command("edit")
@click.argument("slug")
@topic_option
@click.option("--file", "source", metavar="FILE|-", help="Read the new text from FILE or - for stdin (else $EDITOR).")
@click.option(
    "--base",
    "base_revision",
    type=int,
    metavar="REV",
    help="The revision the text was written from (default: the latest); older bases are merged.",
)
def notes_edit(slug: str, topic_id: int | None, source: str | None, base_revision: int | None) -> None:
    """Replace a notes section's text; edits from an older revision merge when they don't overlap."""
    from ledger.errors import NotesConflictError

    app = session().app
    if source == "-":
        new_text = sys.stdin.read()
    elif source:
        try:
            with open(source, encoding="utf-8") as handle:
                new_text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {source}: {error}", 2)
    else:
        from projections import views

        current = views.notes(session().store(), slug, topic_id)
        base_revision = current["revision"] if base_revision is None else base_revision
        edited = click.edit(current["text"], extension=".md", require_save=True)
        if edited is None:
            fail("notes not saved in the editor; nothing changed", 1)
        new_text = edited
    try:
        report(app.edit_notes(slug, topic_id, new_text, base_revision))
    except NotesConflictError as conflict:
        for line in conflict.conflicting_lines:
            click.echo(line, err=True)
        raise


@notes.command("history")
@click.argument("slug")
@topic_option
@json_option
def notes_history(slug: str, topic_id: int | None, as_json: bool) -> None:
    """List every revision of a notes section: who saved it and when."""
    from projections import views

    doc = views.notes(session().store(), slug, topic_id)

    def text() -> None:
        if not doc["revisions"]:
            click.echo(f"No notes yet in {doc['section']}.")
        for rev in doc["revisions"]:
            merged = f" (merged from revision {rev['base_revision']})" if rev["merged"] else ""
            click.echo(f"revision {rev['revision']}  {rev['at'][:19]}Z  {rev['by']}{merged}")

    emit(doc["revisions"], text)


def _revision_text(slug: str, topic_id: int | None, revision: int) -> str:
    from ledger.errors import NotFoundError
    from projections.views import MODELS_BY_NAME, meeting_id

    store = session().store()
    doc = store.get(MODELS_BY_NAME["notes"].name, meeting_id(slug))
    if doc is None:
        raise NotFoundError(f"no meeting {slug!r}")
    from ledger.notes import section_name

    revisions = doc["sections"].get(section_name(topic_id), [])
    if revision == 0:
        return ""
    if not 1 <= revision <= len(revisions):
        raise NotFoundError(f"{slug} {section_name(topic_id)} notes have no revision {revision}")
    return str(revisions[revision - 1]["text"])


@notes.command("diff")
@click.argument("slug")
@click.argument("old", type=int)
@click.argument("new", type=int, required=False)
@topic_option
def notes_diff(slug: str, old: int, new: int | None, topic_id: int | None) -> None:
    """Show a unified diff between revision OLD and NEW (default: the latest)."""
    import difflib

    from projections import views

    latest = views.notes(session().store(), slug, topic_id)["revision"]
    new = latest if new is None else new
    before, after = _revision_text(slug, topic_id, old), _revision_text(slug, topic_id, new)
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"revision {old}",
        tofile=f"revision {new}",
    )
    for line in diff:
        click.echo(line, nl=not line.endswith("\n"))


@notes.command("restore")
@click.argument("slug")
@click.argument("revision", type=int)
@topic_option
def notes_restore(slug: str, revision: int, topic_id: int | None) -> None:
    """Make an old revision current again (as a new edit)."""
    report(session().app.restore_notes(slug, topic_id, revision))


# ----- read models -------------------------------------------------------------------------


@main.command("rebuild")
@click.argument("names", nargs=-1, metavar="[MODEL...]")
def rebuild(names: tuple[str, ...]) -> None:
    """Rebuild read models from the events (all of them, or the ones named)."""
    from projections.views import MODELS, MODELS_BY_NAME

    unknown = [n for n in names if n not in MODELS_BY_NAME]
    if unknown:
        fail(f"unknown read model {unknown[0]!r}; choose from {', '.join(MODELS_BY_NAME)}", 2)
    chosen = [MODELS_BY_NAME[n] for n in names] if names else list(MODELS)
    store = session().store(catch_up=False)
    total = store.last_position()
    store.reset(chosen)
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Rebuilding", file=sys.stderr) as bar:
            seen = store.catch_up(chosen, progress=bar.update)
    else:
        seen = store.catch_up(chosen)
    click.echo(f"Rebuilt {', '.join(m.name for m in chosen)} from {seen} events.")


@main.command("copy")
@click.option("--to", "destination", required=True, metavar="PATH|URL", help="The empty ledger to copy into.")
def copy_ledger(destination: str) -> None:
    """Copy the whole ledger, event for event, into another database (SQLite or PostgreSQL)."""
    from ledger import storage
    from ledger.transfer import copy_events
    from projections.store import ReadStore
    from projections.views import MODELS

    source = session().app
    target_db = storage.resolve(destination)
    source_db = storage.resolve(session().db_option)
    if target_db.location == source_db.location:
        fail("the destination is the ledger itself", 2)
    target = storage.open_ledger(target_db)
    total = source.recorder.max_notification_id() or 0
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="Copying", file=sys.stderr) as bar:
            copied = copy_events(source, target, progress=bar.update)
    else:
        copied = copy_events(source, target)
    ReadStore(target).catch_up(MODELS)
    click.echo(f"Copied {copied} events to {target_db.location}.")


if __name__ == "__main__":
    # `python -m exports.cli`: run the module the lazily loaded sub-commands import, not this
    # __main__ copy of it, so that they find the same Session class.
    from exports import cli as installed

    installed.main()
