"""Crypto-shredding at the command line: `erase` a person, `migrate` a ledger to encrypted personal data."""

from __future__ import annotations

import click

from exports.cli.support import Progress, session


@click.command("erase")
@click.argument("person")
@click.option("--reason", required=True, help="Why (kept in the audit for good: do not name the person).")
def erase(person: str, reason: str) -> None:
    """Erase PERSON (a name or an email): destroy their keys, so every output shows "[erased]".

    Admins only. The erasure is recorded (who, when, why; never whose data or the data itself).
    """
    from ledger.application import people
    from projections.queries import MODELS, linked_identities, names_shown_for

    app = session().app
    store = session().store()
    wanted = people.typed_person_key(person)
    # The identities an email change linked to the person's (their sign-ups before and after it).
    linked = linked_identities(store, wanted)
    also = linked | names_shown_for(store, wanted, linked)
    done = app.erase(person, reason, sorted(also), rebuild=lambda held: store.rewrite(MODELS, held))
    count = len(done.meetings)
    click.echo(f"Erased: {done.summary}; rebuilt the documents of {count} meeting{'s' if count != 1 else ''}.")


@click.command("migrate")
@click.option("--encrypt-personal-data", "encrypt", is_flag=True, required=True, help="The one migration there is.")
@click.option("--to", "destination", required=True, metavar="PATH|URL", help="The new, empty ledger to write.")
def migrate(encrypt: bool, destination: str) -> None:
    """Write a new ledger holding this one's events with personal data encrypted (the old one is kept).

    The new ledger's first event records this ledger's head digest: `meetings --db NEW verify
    --expect OLD_DIGEST` passes on it. Admins only.
    """
    from ledger.application import open_ledger
    from projections.queries import MODELS
    from projections.store import ReadStore

    if not encrypt:
        raise click.UsageError("say which migration: --encrypt-personal-data")
    source = session().app
    source.check_may_migrate()
    target = open_ledger(destination)
    if str(getattr(target.storage, "sqlite_path", "")) and target.storage.sqlite_path == source.storage.sqlite_path:
        raise click.UsageError("the destination is the ledger itself")
    target.authenticate()  # the new ledger's own account (its OS login, or its session user): its first admin
    with Progress("Migrating", source.storage.last_position()) as progress:
        checked = source.migrate_to(target, progress.advance)
    ReadStore(target).catch_up(MODELS)
    click.echo(f"Migrated {checked.count} events to {destination}; the old ledger is kept as it was.")
    click.echo(
        f"Its head was {checked.head}: 'meetings --db {destination} verify --expect {checked.head}' ties the two."
    )
