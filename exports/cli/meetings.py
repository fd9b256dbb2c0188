"""Meetings themselves: `new`, `edit`, `reschedule`, `cancel`, `reinstate`, `capacity`, `list` and `show`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from exports.cli.support import (
    FOLD_CHOICE,
    emit,
    fail,
    json_option,
    meeting_view_options,
    parse_as_of,
    report,
    session,
)
from ledger.vocabulary import ATTENDEE_LISTS, DEFAULT_ATTENDEE_LIST


@click.command("new")
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


@click.command("edit")
@click.argument("slug")
@click.option("--title")
@click.option("--location")
@click.option("--video-url")
@click.option("--description")
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
@click.option("--start", required=True, metavar="TIME")
@click.option("--end", required=True, metavar="TIME")
@click.option("--tz", "zone", metavar="ZONE", help="New zone (default: unchanged).")
@click.option("--fold", type=FOLD_CHOICE)
def reschedule(slug: str, start: str, end: str, zone: str | None, fold: Any) -> None:
    """Move a meeting to a new time."""
    report(session().app.reschedule(slug, start, end, zone, fold))


@click.command("cancel")
@click.argument("slug")
@click.option("--reason", default="")
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


@click.command("list")
@json_option
def list_meetings(as_json: bool) -> None:
    """List every meeting, soonest first."""

    from ledger.vocabulary import format_when
    from projections import queries

    rows = queries.meeting_list(session().store(), datetime.now(UTC))

    def text() -> None:
        if not rows:
            click.echo("No meetings yet. Create one with 'meetings new'.")
        for row in rows:
            when = format_when(row.start, row.end, row.timezone)
            click.echo(f"{row.slug:<28} {when:<40} {row.status:<9} {row.title}")

    emit(rows, text)


@click.command("show")
@meeting_view_options
def show(slug: str, as_json: bool, as_of: str | None) -> None:
    """Show a meeting's details and attendance summary."""
    from ledger.vocabulary import format_when
    from projections import queries

    doc = queries.meeting(session().store(), slug, parse_as_of(as_of))

    def text() -> None:
        counts = doc.counts
        reason = f": {doc.cancel_reason}" if doc.cancel_reason else ""
        click.echo(doc.title + (f"  [CANCELLED{reason}]" if doc.cancelled else ""))
        click.echo(f"When:      {format_when(doc.start, doc.end, doc.timezone)}")
        if doc.location:
            click.echo(f"Location:  {doc.location}")
        if doc.video_url:
            click.echo(f"Video:     {doc.video_url}")
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

    emit(doc, text)
