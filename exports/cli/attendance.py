"""Who comes and how: `signup`, `withdraw`, `change` and `attendees`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from exports.cli.support import MODE_CHOICE, meeting_view, note_emails, paint, report, session

if TYPE_CHECKING:
    from projections.results import AttendeeList


@click.command("signup")
@click.argument("slug")
@click.argument("name")
@click.option("--mode", type=MODE_CHOICE, default="in-person", show_default=True, help="Only in-person takes a seat.")
@click.option("--email", help="Identifies the person when given; never published unless the organizer allows.")
@click.option("--remark", default="", help='A note on the sign-up, e.g. "2:30pm+".')
def signup(slug: str, name: str, mode: str, email: str | None, remark: str) -> None:
    """Sign NAME up for a meeting (joins the waitlist when the room is full)."""
    from ledger import quick_write

    current = session()
    # The light sign-up, else (nothing written) the full path: the same output either way.
    saved = None
    if not current.opened:
        saved = quick_write.sign_up(current.db_option, current.actor_option, slug, name, mode, email, remark)
    report(saved if saved is not None else current.app.sign_up(slug, name, mode, email, remark))
    note_emails("remark", remark)


@click.command("withdraw")
@click.argument("slug")
@click.argument("name")
@click.option("--reason", default="", help="Recorded in the audit trail.")
def withdraw(slug: str, name: str, reason: str) -> None:
    """Take NAME off the list; the first waitlisted person gets the seat."""
    from ledger import quick_write

    current = session()
    # The light withdrawal, else (nothing written) the full path: the same output either way.
    saved = (
        None if current.opened else quick_write.withdraw(current.db_option, current.actor_option, slug, name, reason)
    )
    report(saved if saved is not None else current.app.withdraw(slug, name, reason))


@click.command("change")
@click.argument("slug")
@click.argument("name")
@click.option("--mode", type=MODE_CHOICE, help="How NAME attends now (in-person joins the waitlist if full).")
@click.option("--remark", help="A new remark ('' to clear).")
@click.option(
    "--email",
    help="Give NAME's sign-up an email, or a new one: it identifies them from now on (e.g. for `feed-token issue`).",
)
def change(slug: str, name: str, mode: str | None, remark: str | None, email: str | None) -> None:
    """Change how NAME attends, their remark, or their email."""
    report(session().app.change_attendance(slug, name, mode, remark, email))
    note_emails("remark", remark)


@meeting_view("attendees")
def attendees(doc: AttendeeList) -> None:
    """List attendees numbered in sign-up order, as on the meeting page."""
    from ledger.vocabulary import MODE_LABELS

    counts = doc.counts
    limit = f"[Limit: {doc.capacity}]" if doc.capacity is not None else "[No limit]"
    summary = f"{counts.seated} seated"
    if counts.waitlisted:
        summary += f", {counts.waitlisted} waitlisted"
    if counts.over_capacity:
        summary += ", over capacity"
    click.echo(f"Attendees: {limit} {summary}")
    for entry in doc.attendees:
        label = MODE_LABELS[entry.mode]
        if entry.waitlist_position is not None:
            label += paint(f", waitlist {entry.waitlist_position}", fg="yellow")
        remark = f" {entry.remark}" if entry.remark else ""
        click.echo(f"{entry.position}. {entry.name} ({label}){remark}")
