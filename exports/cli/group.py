"""The `meetings` group: a lazily loading click group that names each command's module and imports only
the one being run (or, for `--help`, the ones being listed), and turns every refusal into one `Error:` line.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from exports.cli.globals import adopt
from exports.cli.support import CREATED, Session, echo_error, os_error_text, say_created


class LazyGroup(click.Group):
    """A group whose sub-commands are named as "module.path:attribute" and imported when first asked for.

    This is the lazily loading group of click's documentation: `meetings signup` imports the attendance
    commands only, not the calendar, page or audit code.
    """

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return adopt(self._lazy_load(cmd_name))
        found = super().get_command(ctx, cmd_name)
        return adopt(found) if found is not None else None

    def _lazy_load(self, cmd_name: str) -> click.Command:
        module_name, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
        return command


class LedgerGroup(LazyGroup):
    """Turns every refusal into one `Error:` line and the documented exit code."""

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
        if code == 0:
            say_created()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (BrokenPipeError, OSError):  # a reader such as `head` went away: nothing to tell
                pass
        os._exit(code)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        CREATED.clear()  # a run in the same interpreter (a test) says only the files it made itself
        try:
            returned = super().main(*args, **kwargs)
            if isinstance(returned, int) and returned:  # click returns a `fail`'s Exit code here: exit with it
                sys.exit(returned)
            return returned
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.exceptions.Abort:
            sys.exit(echo_error("aborted", 1))
        except click.exceptions.NoArgsIsHelpError as bare:
            # A bare group (`meetings`, `meetings topic`) is asking what it can do: its help, as --help gives it.
            click.echo(bare.ctx.get_help())
            sys.exit(0)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            sys.exit(echo_error(error.format_message() + hint, 2))
        except click.ClickException as error:
            sys.exit(echo_error(error.format_message(), 2))
        except Exception as error:  # noqa: BLE001 - the edge: no traceback ever reaches a user
            sys.exit(handle_unexpected(error))
        finally:
            # Close the session's ledger: its last connection closes, and SQLite checkpoints its WAL.
            if Session.current is not None:
                Session.current.close()
            Session.current = None


def handle_unexpected(error: Exception) -> int:
    from ledger.errors import LedgerError

    if isinstance(error, LedgerError):
        from exports.cli.suggest import did_you_mean

        return echo_error(str(error) + did_you_mean(str(error), Session.current), error.exit_code)
    if isinstance(error, OSError):  # what could not be used, and why, in words (no "[Errno 2]")
        where = f" {error.filename}" if error.filename else ""
        return echo_error(f"cannot use{where}: {os_error_text(error)}", 1)
    if isinstance(error, UnicodeError):
        return echo_error(str(error), 1)
    from ledger.application import is_storage_error

    if is_storage_error(error):
        if "readonly" in str(error):  # e.g. read models to bring up to date on read-only media
            return echo_error(f"the ledger is read-only here and its read models need updating ({error})", 1)
        return echo_error(f"database error: {error}", 1)
    if os.environ.get("MEETINGS_DEBUG"):
        raise error
    return echo_error(f"internal error ({type(error).__name__}: {error}); set MEETINGS_DEBUG=1 for details", 1)


# Every command by the module of its noun; a module is imported only when one of its commands is run or listed.
COMMANDS: dict[str, str] = {
    "new": "exports.cli.meetings:new_meeting",
    "edit": "exports.cli.meetings:edit_meeting",
    "reschedule": "exports.cli.meetings:reschedule",
    "cancel": "exports.cli.meetings:cancel",
    "reinstate": "exports.cli.meetings:reinstate",
    "capacity": "exports.cli.meetings:capacity",
    "list": "exports.cli.meetings:list_meetings",
    "show": "exports.cli.meetings:show",
    "signup": "exports.cli.attendance:signup",
    "withdraw": "exports.cli.attendance:withdraw",
    "change": "exports.cli.attendance:change",
    "attendees": "exports.cli.attendance:attendees",
    "topic": "exports.cli.agenda:topic",
    "agenda": "exports.cli.agenda:agenda",
    "notes": "exports.cli.notes:notes",
    "import": "exports.cli.pages:import_group",
    "export": "exports.cli.group:export_group",
    "feed-token": "exports.cli.calendar:feed_token",
    "serve": "exports.cli.calendar:serve_feeds",
    "audit": "exports.cli.audit:audit",
    "verify": "exports.cli.audit:verify",
    "rebuild": "exports.cli.admin:rebuild",
    "copy": "exports.cli.admin:copy_ledger",
    "erase": "exports.cli.privacy:erase",
    "migrate": "exports.cli.privacy:migrate",
    "account": "exports.cli.accounts:account",
    "admin": "exports.cli.accounts:admin",
    "organizers": "exports.cli.accounts:organizers",
    "notify": "exports.cli.notify:notify",
    "series": "exports.cli.series:series_group",
    "next": "exports.cli.series:next_occurrence",
}

# `export` spans calendars and pages: `export ics` does not import the page code, nor the other way round.
EXPORT_COMMANDS: dict[str, str] = {
    "ics": "exports.cli.calendar:export_ics",
    "feed": "exports.cli.calendar:export_feed",
    "markdown": "exports.cli.pages:export_markdown",
}


@click.group("export", cls=LazyGroup, lazy_subcommands=EXPORT_COMMANDS)
def export_group() -> None:
    """Write meetings out as calendars or pages."""


@click.group(cls=LedgerGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (else $MEETINGS_DB, else the user data dir)."
)
@click.option(
    "--as",
    "actor",
    metavar="NAME",
    help="The person acted for (else $MEETINGS_ACTOR, else your account's own); for others, organizers only.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for every command.")
@click.version_option(package_name="meeting-ledger")
@click.pass_context
def main(ctx: click.Context, db: str | None, actor: str | None, as_json: bool) -> None:
    """Run a meeting's sign-up sheet, agenda and notes as an append-only ledger.

    Every change is an event recording who made it and when; attendee lists,
    agendas, notes and calendars are built from those events.
    """
    ctx.obj = Session(db, actor, as_json)
