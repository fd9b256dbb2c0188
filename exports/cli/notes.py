"""The `notes` group: show, edit, history, diff and restore a notes section."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from exports.cli.support import as_of_option, emit, fail, json_option, note_emails, parse_as_of, report, session

if TYPE_CHECKING:
    from projections.results import NotesSection


@click.group("notes")
def notes() -> None:
    """Show and edit the meeting notes (one general section, one per topic)."""


topic_option = click.option(
    "--topic", "topic_id", type=int, metavar="ID", help="The topic's section (default: general)."
)


@notes.command("show")
@click.argument("slug")
@topic_option
@json_option
@as_of_option
def notes_show(slug: str, topic_id: int | None, as_json: bool, as_of: str | None) -> None:
    """Print the current text of a notes section."""
    from projections import queries

    doc = queries.notes(session().store(), slug, topic_id, parse_as_of(as_of))
    emit(doc, lambda: click.echo(doc.text, nl=not doc.text.endswith("\n")))


@notes.command("edit")
@click.argument("slug")
@topic_option
@click.option("--file", "source", metavar="FILE|-", help="Read the new text from FILE or - for stdin (else $EDITOR).")
@click.option(
    "--base",
    "base_revision",
    type=int,
    metavar="REV",
    help="The revision the text was written from (default: the latest); older bases are merged.",
)
def notes_edit(slug: str, topic_id: int | None, source: str | None, base_revision: int | None) -> None:
    """Replace a notes section's text; edits from an older revision merge when they don't overlap."""
    from ledger.errors import NotesConflictError

    app = session().app
    if source == "-":
        new_text = sys.stdin.read()
    elif source:
        try:
            with open(source, encoding="utf-8") as handle:
                new_text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {source}: {error}", 2)
    else:
        from projections import queries

        current = queries.notes(session().store(), slug, topic_id)
        base_revision = current.revision if base_revision is None else base_revision
        edited = click.edit(current.text, extension=".md", require_save=True)
        if edited is None:
            fail("notes not saved in the editor; nothing changed", 1)
        new_text = edited
    try:
        report(app.edit_notes(slug, topic_id, new_text, base_revision))
        note_emails("notes text", new_text)
    except NotesConflictError as conflict:
        for line in conflict.conflicting_lines:
            click.echo(line, err=True)
        raise


@notes.command("history")
@click.argument("slug")
@topic_option
@json_option
def notes_history(slug: str, topic_id: int | None, as_json: bool) -> None:
    """List every revision of a notes section: who saved it and when."""
    from projections import queries

    doc = queries.notes(session().store(), slug, topic_id)

    def text() -> None:
        if not doc.revisions:
            click.echo(f"No notes yet in {doc.section}.")
        for rev in doc.revisions:
            merged = f" (merged from revision {rev.base_revision})" if rev.merged else ""
            click.echo(f"revision {rev.revision}  {rev.at[:19]}Z  {rev.by}{merged}")

    emit(doc.revisions, text)


def _revision_text(doc: NotesSection, revision: int) -> str:
    from ledger.errors import NotFoundError

    if revision == 0:
        return ""
    if not 1 <= revision <= len(doc.revisions):
        raise NotFoundError(f"{doc.slug} {doc.section} notes have no revision {revision}")
    return doc.revisions[revision - 1].text


@notes.command("diff")
@click.argument("slug")
@click.argument("old", type=int)
@click.argument("new", type=int, required=False)
@topic_option
def notes_diff(slug: str, old: int, new: int | None, topic_id: int | None) -> None:
    """Show a unified diff between revision OLD and NEW (default: the latest)."""
    import difflib

    from projections import queries

    doc = queries.notes(session().store(), slug, topic_id)
    new = doc.revision if new is None else new
    before, after = _revision_text(doc, old), _revision_text(doc, new)
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"revision {old}",
        tofile=f"revision {new}",
    )
    for line in diff:
        click.echo(line, nl=not line.endswith("\n"))


@notes.command("restore")
@click.argument("slug")
@click.argument("revision", type=int)
@topic_option
def notes_restore(slug: str, revision: int, topic_id: int | None) -> None:
    """Make an old revision current again (as a new edit)."""
    report(session().app.restore_notes(slug, topic_id, revision))
