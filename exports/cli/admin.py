"""Looking after the ledger itself: `rebuild` the read models and `copy` the events elsewhere."""

from __future__ import annotations

import sys

import click

from exports.cli.support import fail, session


@click.command("rebuild")
@click.argument("names", nargs=-1, metavar="[MODEL...]")
def rebuild(names: tuple[str, ...]) -> None:
    """Rebuild read models from the events (all of them, or the ones named)."""
    from projections.queries import MODELS, MODELS_BY_NAME

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


@click.command("copy")
@click.option("--to", "destination", required=True, metavar="PATH|URL", help="The empty ledger to copy into.")
def copy_ledger(destination: str) -> None:
    """Copy the whole ledger, event for event, into another database (SQLite or PostgreSQL)."""
    from ledger import storage
    from ledger.transfer import copy_events
    from projections.queries import MODELS
    from projections.store import ReadStore

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
