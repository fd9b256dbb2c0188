"""Looking after the ledger itself: `rebuild` the read models and `copy` the events elsewhere."""

from __future__ import annotations

import click

from exports.cli.support import Progress, fail, session


@click.command("rebuild")
@click.argument("names", nargs=-1, metavar="[MODEL...]")
def rebuild(names: tuple[str, ...]) -> None:
    """Rebuild read models from the events (all of them, or the ones named)."""
    from projections.queries import MODELS, MODELS_BY_NAME

    unknown = [n for n in names if n not in MODELS_BY_NAME]
    if unknown:
        fail(f"unknown read model {unknown[0]!r}; choose from {', '.join(MODELS_BY_NAME)}", 2)
    chosen = [MODELS_BY_NAME[n] for n in names] if names else list(MODELS)
    # Rebuilding writes (the read models), so like any write it may start the ledger: the README's
    # PostgreSQL set-up has the database owner create every table this way before granting a role.
    session().app  # noqa: B018 (opens, or starts, the ledger before the store reads it)
    store = session().store(catch_up=False)
    total = store.last_position()
    store.reset(chosen)
    with Progress("Rebuilding", total) as progress:
        seen = store.catch_up(chosen, progress=progress.advance)
    click.echo(f"Rebuilt {', '.join(m.name for m in chosen)} from {seen} events.")


@click.command("copy")
@click.option("--to", "destination", required=True, metavar="PATH|URL", help="The empty ledger to copy into.")
@click.option("--force", is_flag=True, help="Copy even a ledger that fails `meetings verify`, damage and all.")
def copy_ledger(destination: str, force: bool) -> None:
    """Copy the whole ledger, event for event, into another database (SQLite or PostgreSQL).

    Positions and seals are kept, so the copy has the same head digest; feed tokens come too.
    A ledger that fails `meetings verify` is refused unless --force.
    """
    from ledger.application import copy_events, open_database, resolve_database, verify_ledger
    from projections.queries import MODELS
    from projections.store import ReadStore

    source = session().reader
    target_db = resolve_database(destination)
    source_db = resolve_database(session().db_option)
    if target_db.location == source_db.location:
        fail("the destination is the ledger itself", 2)
    checked = verify_ledger(source.recorder)
    if checked.broken is not None:
        if not force:
            fail(
                f"the ledger fails verify ({checked.broken.message}); nothing was copied"
                " (--force copies it as stored, damage and all)",
                1,
            )
        click.echo(
            f"Warning: copying a ledger that fails verify, as stored: {checked.broken.message};"
            " the copy fails verify the same way.",
            err=True,
        )
    target = open_database(target_db)
    total = source.recorder.max_notification_id() or 0
    with Progress("Copying", total) as progress:
        copied = copy_events(source, target, progress=progress.advance)
    ReadStore(target).catch_up(MODELS)
    click.echo(f"Copied {copied} events to {target_db.location}.")
    if checked.broken is None:
        proof = verify_ledger(target.recorder, checked.head)
        if proof.broken is not None or proof.expected != "extends":
            fail(f"the copy does not verify as the ledger did: {proof.broken.message if proof.broken else ''}", 1)
        click.echo(f"Verified: the copy extends {checked.head} (meetings verify --expect {checked.head}).")
