"""`--db`, `--as` and `--json` after the command too: `meetings signup SLUG NAME --json` as `meetings --json signup`.

Each command the group loads gets the global options it lacks (a command's own `--json` stays its own and
means the same). Given after the command, an option sets the invocation's Session before the command runs;
the ledger is opened only inside the command, so `--db` and `--as` apply however late they come.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from exports.cli.support import Session

ADOPTED = "_meetings_global_options"


def _setter(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        found = ctx.find_object(Session)
        if found is not None and value not in (None, False):
            setattr(found, attribute, value)

    return callback


# Each global option: its declarations, the Session attribute it sets, and how it reads in --help.
_GLOBALS: tuple[tuple[list[str], str, dict[str, Any]], ...] = (
    (
        ["--db"],
        "db_option",
        {"metavar": "PATH|URL", "help": "The ledger: SQLite file or postgresql:// URL (as before the command)."},
    ),
    (
        ["--as", "acting_for"],
        "actor_option",
        {"metavar": "NAME", "help": "The person acted for (as before the command)."},
    ),
    (["--json", "global_json"], "as_json", {"is_flag": True, "help": "Print machine-readable JSON."}),
)


def _options() -> list[click.Option]:
    return [
        click.Option(declarations, expose_value=False, callback=_setter(attribute), **shown)
        for declarations, attribute, shown in _GLOBALS
    ]


def adopt(command: click.Command) -> click.Command:
    """Give `command` (every command of a group, and those a lazy group loads later) the global options."""
    if getattr(command, ADOPTED, False):
        return command
    setattr(command, ADOPTED, True)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt(sub)
        return command
    for param in command.params:
        if isinstance(param, click.Argument) and param.name == "slug":
            param._custom_shell_complete = complete_slug  # click's own hook, set after the fact
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    command.params.extend(option for option in _options() if option.opts[0] not in taken)
    return command


def complete_slug(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of SLUG: the ledger's meeting slugs (none when there is no ledger: it is never made)."""
    from datetime import UTC, datetime

    from projections import queries

    root = ctx.find_root()
    db = ctx.params.get("db") or root.params.get("db")
    try:
        reader = Session(db, None, False)
        slugs = [row.slug for row in queries.meeting_list(reader.store(), datetime.now(UTC))]
    except Exception:  # noqa: BLE001 - completion must never print an error into the user's prompt
        return []
    return [slug for slug in slugs if slug.startswith(incomplete)]
