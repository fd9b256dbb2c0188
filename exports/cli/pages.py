"""`meetings import markdown` and `meetings export markdown`: meeting pages in and out."""

from __future__ import annotations

import sys

import click

from exports.cli.support import as_of_option, fail, parse_as_of, session


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
def import_markdown(
    source: str, slug: str | None, title: str | None, start: str | None, end: str | None, zone: str | None, strict: bool
) -> None:
    """Import the meeting page FILE (- for stdin): details, sign-ups, topics and notes.

    Everything is appended at once, attributed to whoever is acting. Lines the
    importer cannot understand are listed on stderr with their line numbers and left out.
    """
    import json
    from pathlib import Path

    from exports.pages.parser import parse_page
    from exports.pages.plan import ImportOptions, import_page
    from ledger.errors import LedgerError

    if source == "-":
        page_text, source_name = sys.stdin.read(), None
    else:
        try:
            page_text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {source}: {error}", 2)
        source_name = Path(source).name
    page = parse_page(page_text)
    options = ImportOptions(slug=slug, title=title, start=start, end=end, zone=zone, source_name=source_name)
    app = session().app  # sets the acting person before any event is made
    try:
        imported = import_page(app, page, options, strict=strict)
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


@click.command("markdown")
@click.argument("slug")
@as_of_option
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option(
    "--public",
    is_flag=True,
    help="Only what the public may read: the attendee list at the meeting's --attendee-list level, no emails.",
)
def export_markdown(slug: str, as_of: str | None, output: str | None, public: bool) -> None:
    """Render meeting SLUG as a wiki page that `meetings import markdown` reads back.

    Without --public the page is the whole meeting, for whoever reads the whole ledger.
    """
    from exports.pages.render import render_page
    from ledger.application import text
    from projections import queries

    store = session().store()
    moment = parse_as_of(as_of)
    meeting = queries.meeting(store, slug, moment)
    attendees, agenda = queries.attendees(store, slug, moment), queries.agenda(store, slug, moment)
    notes = queries.all_notes(store, slug, moment)
    if public:  # the level chosen now governs any moment shown
        level = queries.meeting(store, slug).attendee_list
        meeting, attendees, agenda = meeting.public(), attendees.public(level), agenda.public()
        notes = {section: text.mask_emails(body) for section, body in notes.items()}
    page = render_page(meeting, attendees, agenda, notes)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(page)
        except OSError as error:
            fail(f"cannot write {output}: {error}", 1)
        click.echo(f"Wrote {slug} to {output}.", err=True)
    else:
        click.echo(page, nl=False)
