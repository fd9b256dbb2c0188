"""Recurring meetings: `meetings series new|show|list|edit|end|cancel|move|change|split` and `meetings next`.

Each occurrence is addressed as SERIES/DATE (`wg/2026-12-08`) by every meeting command.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from exports.cli.support import (
    as_of_option,
    detail_options,
    echo_place,
    emit,
    fold_option,
    json_option,
    listing,
    parse_as_of,
    report,
    session,
)

if TYPE_CHECKING:
    from projections.series_results import SeriesRow

EVERY_CHOICE = click.Choice(["week", "2weeks", "month"])
WEEKDAY_CHOICE = click.Choice(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])


@click.group("series")
def series_group() -> None:
    """Recurring meetings: one rule, occurrences addressed as SERIES/DATE, exceptions per date."""


@series_group.command("new")
@click.argument("slug")
@click.option("--title", required=True, help="The series' title.")
@click.option(
    "--start", required=True, metavar="TIME", help="The first occurrence's local start, e.g. 2026-12-08T10:00."
)
@click.option("--end", required=True, metavar="TIME", help="The first occurrence's local end.")
@click.option("--tz", "zone", required=True, metavar="ZONE", help="IANA zone or alias.")
@click.option("--every", required=True, type=EVERY_CHOICE, help="How often it meets.")
@click.option("--on", type=WEEKDAY_CHOICE, help="Its weekday (must be the start's); monthly: the nth such weekday.")
@click.option(
    "--by-date", is_flag=True, help="Monthly on the start's day of the month (the default for --every month)."
)
@click.option("--until", metavar="DATE", help="The last day an occurrence may fall on.")
@click.option("--count", type=int, help="How many occurrences.")
@detail_options(edit=False)
@click.option("--capacity", type=int, help="In-person seat limit of each occurrence (default: none).")
@fold_option
def new_series(slug: str, **options: Any) -> None:
    """Create a series identified by SLUG; you organize every occurrence."""
    o = options
    report(
        session().app.create_series(
            slug,
            o["title"],
            o["start"],
            o["end"],
            o["zone"],
            o["every"],
            o["on"],
            o["by_date"],
            o["until"],
            o["count"],
            o["location"],
            o["video_url"],
            o["description"],
            o["capacity"],
            o["fold"],
        )
    )


@series_group.command("show")
@click.argument("slug")
@click.option("--limit", type=click.IntRange(min=1), help="At most N occurrences (default: all; 60 without an end).")
@click.option("--from", "after", metavar="DATE", help="Occurrences from this date on.")
@json_option
@as_of_option
def show_series(slug: str, limit: int | None, after: str | None, as_json: bool, as_of: str | None) -> None:
    """Show a series and its occurrences (with --json, each one's UTC start and end)."""
    from ledger.vocabulary import format_when
    from projections import queries

    since = None
    if after is not None:
        try:
            since = datetime.fromisoformat(after.strip())  # a local date of the series' zone
        except ValueError:
            raise click.BadParameter(f"{after!r} is not a date like 2026-12-08", param_hint="--from") from None
    view = queries.series(session().store(), slug, parse_as_of(as_of), queries.Window(since, limit))

    def text() -> None:
        click.echo(view.title)
        end = f"until {view.until}" if view.until else (f"{view.count} times" if view.count else "no end")
        click.echo(f"Every:     {view.every} from {format_when(view.start, view.end, view.timezone)}, {end}")
        echo_place(view.location, view.video_url)
        if view.split_into:
            click.echo(f"Continues: as {view.split_into}")
        for o in view.occurrences:
            note = "  [CANCELLED]" if o.status == "cancelled" else ("  [moved]" if o.moved else "")
            click.echo(f"  {o.slug:<28} {format_when(o.start, o.end, view.timezone):<40} {o.counts.total:>3}{note}")

    emit(view, text)


@listing("list", "series_list", empty="No series yet. Create one with 'meetings series new'.")
def list_series(rows: list[SeriesRow]) -> None:
    """List every series with its next occurrence."""
    for row in rows:
        click.echo(f"{row.slug:<28} every {row.every:<7} next {row.next or '-':<11} {row.title}")


series_group.add_command(list_series)


@series_group.command("edit")
@click.argument("slug")
@click.option("--title", help="The new title (every occurrence not changed on its own).")
@detail_options(edit=True)
@click.option("--capacity", type=int, help="In-person seat limit of each occurrence.")
def edit_series(slug: str, **changes: Any) -> None:
    """Change the title, location, video link, description or capacity of every occurrence."""
    report(session().app.edit_series(slug, **changes))


@series_group.command("end")
@click.argument("slug")
@click.option("--after", "last_day", required=True, metavar="DATE", help="The last day it meets.")
def end_series(slug: str, last_day: str) -> None:
    """End the series: no occurrences after DATE; earlier ones are untouched."""
    report(session().app.end_series(slug, last_day))


@series_group.command("cancel")
@click.argument("slug")
@click.argument("day", metavar="DATE")
@click.option("--reason", default="", help="Why the occurrence is cancelled (shown in the audit and the feed).")
def cancel_occurrence(slug: str, day: str, reason: str) -> None:
    """Cancel the one occurrence on DATE."""
    report(session().app.cancel_occurrence(slug, day, reason))


@series_group.command("move")
@click.argument("slug")
@click.argument("day", metavar="DATE")
@click.option("--start", required=True, metavar="TIME", help="The occurrence's new local start.")
@click.option("--end", required=True, metavar="TIME", help="The occurrence's new local end.")
@click.option("--tz", "zone", metavar="ZONE", help="Zone of the new times (default: the series').")
@fold_option
def move_occurrence(slug: str, day: str, start: str, end: str, zone: str | None, fold: Any) -> None:
    """Move the one occurrence on DATE to another day or time (it keeps its address SLUG/DATE)."""
    report(session().app.move_occurrence(slug, day, start, end, zone, fold))


@series_group.command("change")
@click.argument("slug")
@click.argument("day", metavar="DATE")
@click.option("--location", help="Where this occurrence happens ('' to clear).")
@click.option("--video-url", help="This occurrence's video-conference link ('' to clear).")
def change_occurrence(slug: str, day: str, location: str | None, video_url: str | None) -> None:
    """Change the location or video link of the one occurrence on DATE."""
    report(session().app.change_occurrence(slug, day, location, video_url))


@series_group.command("split")
@click.argument("slug")
@click.argument("day", metavar="DATE")
@click.argument("new_slug", metavar="NEW_SLUG")
@click.option("--start", metavar="TIME", help="New local start of the occurrence on DATE (default: unchanged).")
@click.option("--end", metavar="TIME", help="New local end of it.")
@click.option("--title", help="The new series' title (default: the same).")
@click.option("--location", help="The new series' location (default: the same).")
@click.option("--video-url", help="The new series' video link (default: the same).")
@click.option("--description", help="The new series' description (default: the same).")
@click.option("--capacity", type=int, help="The new series' seat limit (default: the same).")
@fold_option
def split_series(
    slug: str, day: str, new_slug: str, start: str | None, end: str | None, fold: Any, **changes: Any
) -> None:
    """Change the series from the occurrence on DATE on: it continues as NEW_SLUG with the changes;
    earlier occurrences, their sign-ups and notes are untouched."""
    report(session().app.split_series(slug, day, new_slug, start, end, fold, **changes))


@click.command("next")
@click.argument("slug")
@json_option
def next_occurrence(slug: str, as_json: bool) -> None:
    """Show the next occurrence of a series (not cancelled, not over)."""
    from ledger.vocabulary import format_when
    from projections import queries

    found = queries.next_occurrence(session().store(), slug, datetime.now(UTC))
    if found is None:
        from ledger.errors import NotFoundError

        raise NotFoundError(f"series {slug!r} has no occurrence ahead")

    def text() -> None:
        when = format_when(found.start, found.end, "").strip()
        click.echo(f"{found.slug}  {when}  {found.counts.total} signed up")

    emit(found, text)
