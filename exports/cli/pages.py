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
def import_markdown(
    source: str,
    slug: str | None,
    title: str | None,
    start: str | None,
    end: str | None,
    zone: str | None,
    strict: bool,
    skip_existing: bool,
) -> None:
    """Import the meeting page FILE (- for stdin): details, sign-ups, topics and notes.

    Everything is appended at once, attributed to whoever is acting. Lines the
    importer cannot understand are listed on stderr with their line numbers and left out.
    """
    import json

    from exports.pages.parser import parse_page
    from exports.pages.plan import ImportOptions, import_page
    from ledger.errors import LedgerError

    page_text, source_name = read_page(source)
    page = parse_page(page_text)
    options = ImportOptions(slug=slug, title=title, start=start, end=end, zone=zone, source_name=source_name)
    app = session().app  # sets the acting person before any event is made
    if skip_existing and _already_there(page, options):
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
