"""`meetings account`, `meetings admin` and `meetings organizers`: who may act, and in which role."""

from __future__ import annotations

import os

import click

from exports.cli.support import Plain, emit, report, session

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


@click.group("account")
def account() -> None:
    """Accounts: who can sign in to the web page or use the API, and which person each one is."""


@account.command("add")
@click.argument("name")
@click.option("--email", help="The account's email (identifies its person's sign-ups).")
@click.option("--person", metavar="DISPLAY NAME", help='The person it signs up as (default: NAME), e.g. "Dawn Chen".')
def account_add(name: str, email: str | None, person: str | None) -> None:
    """Add the account NAME (admins only)."""
    report(session().app.add_account(name, email, person))


@account.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def account_list(as_json: bool) -> None:
    """List the accounts: name, person, email, admin or revoked."""
    accounts = session().reader.accounts()
    rows = [
        {"name": a.name, "person": a.person, "email": a.email, "admin": a.admin, "revoked": a.revoked} for a in accounts
    ]

    def text() -> None:
        click.echo(f"{'ACCOUNT':<24} {'PERSON':<28} {'EMAIL':<32} ROLE")
        for row in rows:
            role = "revoked" if row["revoked"] else "admin" if row["admin"] else ""
            click.echo(f"{row['name']:<24} {row['person']:<28} {row['email'] or '':<32} {role}".rstrip())

    emit(Plain(rows), text)


@account.command("revoke")
@click.argument("name")
def account_revoke(name: str) -> None:
    """Revoke the account NAME: it can no longer act, and its tokens and sign-in links stop working."""
    report(session().app.revoke_account(name))


@account.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke the account's token instead of issuing one.")
def account_token(name: str, revoke: bool) -> None:
    """Print a new personal API token for NAME, once (it replaces the earlier one; only its hash is kept)."""
    app = session().app
    if revoke:
        revoked = app.revoke_api_token(name)
        click.echo(f"Revoked the API token of {name}." if revoked else f"{name} had no API token.")
        return
    token = app.issue_api_token(name)
    if session().as_json:
        emit(Plain({"account": name, "token": token}), lambda: None)
    else:
        click.echo(token)
        click.echo("Shown once: keep it secret. Use it as 'Authorization: Bearer TOKEN'.", err=True)


@account.command("link")
@click.argument("name")
@click.option(
    "--base-url",
    metavar="URL",
    default=lambda: os.environ.get("MEETINGS_BASE_URL", DEFAULT_BASE_URL),
    help=f"Where `meetings serve` is reachable (else $MEETINGS_BASE_URL, else {DEFAULT_BASE_URL}).",
)
def account_link(name: str, base_url: str) -> None:
    """Print a one-time sign-in link for NAME (valid 15 minutes, once; admins, or NAME itself)."""
    token = session().app.issue_sign_in_token(name)
    url = f"{base_url.rstrip('/')}/sign-in/{token}"
    if session().as_json:
        emit(Plain({"account": name, "url": url}), lambda: None)
    else:
        click.echo(url)


@click.group("admin")
def admin() -> None:
    """Ledger admins: they may do anything, including erase people (PRODUCT.md section 9)."""


@admin.command("grant")
@click.argument("account_name", metavar="ACCOUNT")
def admin_grant(account_name: str) -> None:
    """Make ACCOUNT an admin of the ledger (admins only)."""
    report(session().app.grant_admin(account_name))


@admin.command("revoke")
@click.argument("account_name", metavar="ACCOUNT")
def admin_revoke(account_name: str) -> None:
    """Take the admin role from ACCOUNT (the ledger keeps at least one admin)."""
    report(session().app.revoke_admin(account_name))


@click.group("organizers")
def organizers() -> None:
    """A meeting's organizers: the accounts that may change it, its room and its entries."""


@organizers.command("add")
@click.argument("slug")
@click.argument("account_name", metavar="ACCOUNT")
def organizers_add(slug: str, account_name: str) -> None:
    """Make ACCOUNT an organizer of SLUG (organizers and admins only)."""
    report(session().app.add_organizer(slug, account_name))


@organizers.command("remove")
@click.argument("slug")
@click.argument("account_name", metavar="ACCOUNT")
def organizers_remove(slug: str, account_name: str) -> None:
    """Take ACCOUNT off the organizers of SLUG (a meeting keeps at least one)."""
    report(session().app.remove_organizer(slug, account_name))


@organizers.command("list")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def organizers_list(slug: str, as_json: bool) -> None:
    """List the organizers of SLUG."""
    names = session().reader.meeting_organizers(slug)
    emit(Plain({"slug": slug, "organizers": names}), lambda: click.echo("\n".join(names)))
