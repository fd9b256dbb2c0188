"""Meetings themselves: `new`, `edit`, `reschedule`, `cancel`, `reinstate`, `capacity`, `list` and `show`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from exports.cli.support import (
    detail_options,
    echo_place,
    fail,
    fold_option,
    listing,
    meeting_view,
    paint,
    report,
    session,
)
from ledger.vocabulary import ATTENDEE_LISTS, DEFAULT_ATTENDEE_LIST

if TYPE_CHECKING:
    from projections.results import MeetingRow, MeetingView


@click.command("new")
@click.argument("slug")
@click.option("--title", required=True, help="The meeting's title.")
@click.option("--start", required=True, metavar="TIME", help="Local start, e.g. 2016-11-07T13:00.")
@click.option("--end", required=True, metavar="TIME", help="Local end, e.g. 2016-11-07T16:00.")
@click.option(
    "--tz", "zone", required=True, metavar="ZONE", help="IANA zone or alias (America/Los_Angeles, 'Pacific Time')."
)
@detail_options(edit=False)
@click.option("--capacity", type=int, help="In-person seat limit (default: none).")
@fold_option
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


@click.command("edit")
@click.argument("slug")
@click.option("--title", help="The new title.")
@detail_options(edit=True)
@click.option(
    "--publish-emails/--hide-emails",
    default=None,
    help="Recorded for older scripts: public feeds and pages never show emails, whatever it says.",
)
@click.option(
    "--attendee-list",
    type=click.Choice(ATTENDEE_LISTS),
    help="What public feeds, pages and `export markdown --public` show of who comes: full (names, modes,"
    " remarks), names (names and modes, the default), counts (only how many) or hidden (nothing).",
)
def edit_meeting(
    slug: str,
    title: str | None,
    location: str | None,
    video_url: str | None,
    description: str | None,
    publish_emails: bool | None,
    attendee_list: str | None,
) -> None:
    """Change a meeting's title, location, video link, description or public attendee list (organizers)."""
    report(
        session().app.edit_meeting(
            slug,
            title=title,
            location=location,
            video_url=video_url,
            description=description,
            publish_emails=publish_emails,
            attendee_list=attendee_list,
        )
    )


@click.command("reschedule")
@click.argument("slug")
@click.option("--start", required=True, metavar="TIME", help="New local start, e.g. 2016-11-08T13:00.")
@click.option("--end", required=True, metavar="TIME", help="New local end, e.g. 2016-11-08T16:00.")
@click.option("--tz", "zone", metavar="ZONE", help="New zone (default: unchanged).")
@fold_option
def reschedule(slug: str, start: str, end: str, zone: str | None, fold: Any) -> None:
    """Move a meeting to a new time."""
    report(session().app.reschedule(slug, start, end, zone, fold))


@click.command("cancel")
@click.argument("slug")
@click.option("--reason", default="", help="Why; shown to subscribers and in the audit trail.")
def cancel(slug: str, reason: str) -> None:
    """Cancel a meeting (subscribers see it cancelled)."""
    report(session().app.cancel(slug, reason))


@click.command("reinstate")
@click.argument("slug")
def reinstate(slug: str) -> None:
    """Undo a cancellation."""
    report(session().app.reinstate(slug))


@click.command("capacity", context_settings={"ignore_unknown_options": True})
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


@listing("list", "meeting_list", empty="No meetings yet. Create one with 'meetings new'.")
def list_meetings(rows: list[MeetingRow]) -> None:
    """List every meeting, soonest first."""

    from ledger.vocabulary import format_when

    table = [("SLUG", "WHEN", "STATUS", "TITLE")]
    table += [(row.slug, format_when(row.start, row.end, row.timezone), row.status, row.title) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    for number, (slug, when, status, title) in enumerate(table):
        cells = [slug.ljust(widths[0]), when.ljust(widths[1]), status.ljust(widths[2])]
        if number == 0:
            cells = [paint(cell, bold=True) for cell in cells]
        elif status == "cancelled":
            cells[2] = paint(cells[2], fg="red")
        click.echo("  ".join([*cells, paint(title, bold=True) if number == 0 else title]))


@meeting_view("show", query="meeting")
def show(doc: MeetingView) -> None:
    """Show a meeting's details and attendance summary."""
    from ledger.vocabulary import format_when

    counts = doc.counts
    reason = f": {doc.cancel_reason}" if doc.cancel_reason else ""
    click.echo(doc.title + (paint(f"  [CANCELLED{reason}]", fg="red") if doc.cancelled else ""))
    click.echo(f"When:      {format_when(doc.start, doc.end, doc.timezone)}")
    echo_place(doc.location, doc.video_url)
    limit = "no limit" if doc.capacity is None else f"limit {doc.capacity}"
    click.echo(
        f"Attendees: {counts.seated} in person ({limit}), {counts.waitlisted} waitlisted, "
        f"{counts.remote} remote, {counts.undecided} undecided"
    )
    if doc.attendee_list != DEFAULT_ATTENDEE_LIST:
        click.echo(f"Public:    attendee list {doc.attendee_list}")
    if doc.description:
        click.echo("")
        click.echo(doc.description)
