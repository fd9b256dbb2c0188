"""`meetings import markdown` and `meetings export markdown`: meeting pages in and out."""

from __future__ import annotations

import sys
from typing import Any

import click

from exports.cli.output import output_options, write_output
from exports.cli.support import Progress, as_of_option, fail, os_error_text, parse_as_of, session


@click.group("import")
def import_group() -> None:
    """Read meetings in from pages written elsewhere."""


@import_group.command("markdown")
@click.argument("source", metavar="FILE")
@click.option("--slug", help="The new meeting's slug (default: from the file name, else the title).")
@click.option("--title", help="The title, when the page has none or should not decide it.")
@click.option("--start", metavar="TIME", help="Local start, e.g. 2016-11-07T13:00 (with --end).")
@click.option("--end", metavar="TIME", help="Local end, e.g. 2016-11-07T16:00 (with --start).")
@click.option("--tz", "zone", metavar="ZONE", help="IANA zone or alias, when the page gives none.")
@click.option("--strict", is_flag=True, help="Refuse the page (exit 1, nothing written) if any line is not understood.")
@click.option(
    "--skip-existing",
    is_flag=True,
    help="If the ledger has the meeting already, leave it as it is and succeed (a quick start that runs twice).",
)
@click.option(
    "--update",
    "update_slug",
    metavar="SLUG",
    help="Apply the edited page to the existing meeting SLUG: append only the events that take it there.",
)
@click.option("--dry-run", is_flag=True, help="Show the events the import would append, and append nothing.")
def import_markdown(
    source: str,
    slug: str | None,
    title: str | None,
    start: str | None,
    end: str | None,
    zone: str | None,
    strict: bool,
    skip_existing: bool,
    update_slug: str | None,
    dry_run: bool,
) -> None:
    """Import the meeting page FILE (- for stdin): details, sign-ups, topics and notes.

    Everything is appended at once, attributed to whoever is acting. Lines the
    importer cannot understand are listed on stderr with their line numbers and left out.
    With --update SLUG, the page is applied to that meeting as the sign-ups, withdrawals,
    changes, topics and notes edits that take it there (running it twice appends nothing).
    """
    import json

    from exports.pages.parser import parse_page
    from exports.pages.plan import ImportOptions, import_page
    from ledger.errors import LedgerError

    if update_slug is not None and skip_existing:
        fail("--update and --skip-existing cannot be used together", 2)
    page_text, source_name = read_page(source)
    page = parse_page(page_text)
    options = ImportOptions(slug=slug, title=title, start=start, end=end, zone=zone, source_name=source_name)
    app = session().app  # sets the acting person before any event is made
    if update_slug is not None:
        _update(app, page, options, update_slug, dry_run=dry_run, strict=strict)
        return
    if skip_existing and _already_there(page, options):
        return
    if dry_run:
        _dry_run_import(app, page, options, strict=strict)
        return
    try:
        with Progress("Importing") as progress:
            imported = import_page(app, page, options, strict=strict, progress=progress.reach)
    except LedgerError:
        if strict:
            from exports.pages.plan import page_problems

            for problem in page_problems(app, page, options):
                click.echo(f"line {problem.line}: {problem.reason}: {problem.text}", err=True)
        raise
    for problem in imported.problems:
        click.echo(f"line {problem.line}: {problem.reason}: {problem.text}", err=True)
    if session().as_json:
        click.echo(
            json.dumps(
                {
                    "slug": imported.slug,
                    "events": imported.events,
                    "position": imported.position,
                    "problems": [{"line": p.line, "text": p.text, "reason": p.reason} for p in imported.problems],
                }
            )
        )
    else:
        left_out = f"; {len(imported.problems)} part(s) left out (see above)" if imported.problems else ""
        click.echo(f"Imported {imported.slug} ({imported.events} events){left_out}.")


def _echo_problems(problems: Any) -> None:
    for problem in problems:
        click.echo(f"line {problem.line}: {problem.reason}: {problem.text}", err=True)


def _update(app: Any, page: Any, options: Any, slug: str, *, dry_run: bool, strict: bool) -> None:
    """`--update SLUG`: the events that take the meeting to the page, listed (and, without --dry-run, appended)."""
    import json

    from exports.pages.update import PageRefused, update_page
    from projections import queries

    meeting = queries.meeting(session().store(), slug)  # an unknown slug: one line, exit 1
    try:
        updated = update_page(app, page, options, meeting, dry_run=dry_run, strict=strict)
    except PageRefused as refused:
        _echo_problems(refused.problems)
        raise
    _echo_problems(updated.problems)
    if session().as_json:
        shape = {
            "slug": updated.slug,
            "events": len(updated.entries),
            "position": updated.position,
            "dry_run": dry_run,
            "changes": [
                {"action": e.action, "person": e.person, "details": e.details, "sentence": e.sentence}
                for e in updated.entries
            ],
            "problems": [{"line": p.line, "text": p.text, "reason": p.reason} for p in updated.problems],
        }
        click.echo(json.dumps(shape, ensure_ascii=False))
        return
    from ledger.vocabulary import sentence

    count = len(updated.entries)
    events = f"{count} event{'s' if count != 1 else ''}"
    left_out = f"; {len(updated.problems)} part(s) left out (see above)" if updated.problems else ""
    if not updated.entries:
        click.echo(f"{updated.slug} already matches the page; nothing to append{left_out}.")
    elif dry_run:
        click.echo(f"Would append {events} to {updated.slug} (--dry-run: nothing written){left_out}:")
        for entry in updated.entries:
            click.echo(f"  {entry.sentence}")
    else:
        for summary in updated.summaries:
            click.echo(sentence(summary))
        click.echo(f"Updated {updated.slug} ({events}){left_out}.")


def _dry_run_import(app: Any, page: Any, options: Any, *, strict: bool) -> None:
    """`--dry-run` without `--update`: what a first import would append, and nothing appended."""
    import json

    from exports.pages.plan import page_plan, problems_of
    from ledger.errors import NotFoundError, RuleError
    from projections import queries

    planned = page_plan(page, options)
    trial = app.import_meeting(planned.plan, dry_run=True)
    try:
        queries.meeting(session().store(), trial.slug)
    except NotFoundError:
        pass
    else:
        raise RuleError(f"a meeting {trial.slug!r} already exists (--update {trial.slug} applies a page to it)")
    problems = problems_of(page, planned, trial.refusals)
    _echo_problems(problems)
    if strict and problems:
        raise RuleError(f"{len(problems)} part(s) of the page could not be read; nothing would be imported")
    if session().as_json:
        shape = {
            "slug": trial.slug,
            "events": trial.events,
            "position": None,
            "dry_run": True,
            "problems": [{"line": p.line, "text": p.text, "reason": p.reason} for p in problems],
        }
        click.echo(json.dumps(shape, ensure_ascii=False))
    else:
        left_out = f"; {len(problems)} part(s) left out (see above)" if problems else ""
        click.echo(f"Would import {trial.slug} ({trial.events} events; --dry-run: nothing written){left_out}.")


def _already_there(page: Any, options: Any) -> bool:
    """`--skip-existing`: say that the page's meeting is in the ledger already, and leave it so."""
    import json

    from exports.pages.plan import choose_slug
    from ledger.errors import NotFoundError
    from projections import queries

    slug = choose_slug(page, options)
    if slug is None:  # the import names the missing slug with the other missing fields
        return False
    try:
        queries.meeting(session().store(), slug)
    except NotFoundError:
        return False
    if session().as_json:
        click.echo(json.dumps({"slug": slug, "events": 0, "position": None, "problems": [], "skipped": True}))
    else:
        click.echo(f"{slug} is in the ledger already; nothing imported (--skip-existing).")
    return True


def read_page(source: str) -> tuple[str, str | None]:
    """The page's text and file name; a page over the size limit is refused before it is read whole."""
    from pathlib import Path

    from exports.pages.lines import PAGE_MAX_BYTES, check_page_size
    from ledger.errors import BadInputError

    try:
        if source == "-":
            data, name = sys.stdin.buffer.read(PAGE_MAX_BYTES + 1), None
        else:
            path = Path(source)
            with path.open("rb") as handle:
                data = handle.read(PAGE_MAX_BYTES + 1)
            name = path.name
        check_page_size(len(data))
        text = data.decode("utf-8")
    except BadInputError as error:
        fail(str(error), 2)
    except UnicodeDecodeError:
        fail(f"cannot read {source}: it is not UTF-8 text", 2)
    except OSError as error:
        fail(f"cannot read {source}: {os_error_text(error)}", 2)
    # Read as a text file is: universal newlines.
    return text.replace("\r\n", "\n").replace("\r", "\n"), name


@click.command("markdown")
@click.argument("slug")
@as_of_option
@output_options
@click.option(
    "--public",
    is_flag=True,
    help="Only what the public may read: the attendee list at the meeting's --attendee-list level, no emails.",
)
def export_markdown(slug: str, as_of: str | None, output: str | None, force: bool, public: bool) -> None:
    """Render meeting SLUG as a wiki page that `meetings import markdown` reads back.

    Without --public the page is the whole meeting, for whoever reads the whole ledger.
    """
    from exports.pages.render import render_page
    from ledger import text
    from projections import queries

    store = session().store()
    moment = parse_as_of(as_of, slug)
    meeting = queries.meeting(store, slug, moment)
    attendees, agenda = queries.attendees(store, slug, moment), queries.agenda(store, slug, moment)
    notes = queries.all_notes(store, slug, moment)
    if public:  # the level chosen now governs any moment shown
        level = queries.meeting(store, slug).attendee_list
        meeting, attendees, agenda = meeting.public(), attendees.public(level), agenda.public()
        notes = {section: text.mask_emails(body) for section, body in notes.items()}
    page = render_page(meeting, attendees, agenda, notes)
    if output and output != "-":
        write_output(page.encode("utf-8"), output, force)
        click.echo(f"Wrote {slug} to {output}.", err=True)
    else:
        click.echo(page, nl=False)
