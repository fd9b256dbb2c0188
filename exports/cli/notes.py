"""The `notes` group: show, edit, history, diff and restore a notes section."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from exports.cli.support import (
    as_of_option,
    emit,
    fail,
    json_option,
    note_emails,
    os_error_text,
    parse_as_of,
    report,
    session,
)

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
    """Print a notes section; without --topic, the general notes and then each topic's under its heading.

    With --json and no --topic, the general section alone (as before).
    """
    from projections import queries

    store, moment = session().store(), parse_as_of(as_of, slug)
    doc = queries.notes(store, slug, topic_id, moment)
    if topic_id is not None:
        check_topic(slug, topic_id, moment)

    def text() -> None:
        if topic_id is None:
            click.echo(every_section(slug, moment), nl=False)
        else:
            click.echo(doc.text, nl=not doc.text.endswith("\n"))

    emit(doc, text)


def check_topic(slug: str, topic_id: int, moment: datetime | None = None) -> None:
    """An unknown topic is an error, not an empty section (a withdrawn topic's notes stay readable)."""
    from ledger.errors import NotFoundError
    from projections import queries

    store = session().store()
    known = {topic.id for topic in queries.agenda(store, slug, moment).topics()}
    if topic_id not in known and f"topic-{topic_id}" not in queries.all_notes(store, slug, moment):
        raise NotFoundError(f"{slug} has no topic with id {topic_id} (see 'meetings agenda {slug}')")


def every_section(slug: str, moment: datetime | None) -> str:
    """The general notes, then each topic's that has some under "## 4a. Title (topic 7)", as the page orders them."""
    from projections import queries

    store = session().store()
    texts = queries.all_notes(store, slug, moment)
    out = [texts["general"].rstrip("\n") + "\n"] if texts.get("general", "").strip() else []
    for topic in queries.agenda(store, slug, moment).topics():
        body = texts.get(f"topic-{topic.id}", "")
        if body.strip():
            out.append(f"## {topic.number}. {topic.title} (topic {topic.id})\n\n{body.rstrip(chr(10))}\n")
    if len(out) == 1 and not any(k != "general" for k in texts):
        return texts["general"] if texts["general"].endswith("\n") else texts["general"] + "\n"
    return "\n".join(out)


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
@click.option("--allow-empty", is_flag=True, help="Save an empty text (blank the section) rather than refuse it.")
def notes_edit(
    slug: str, topic_id: int | None, source: str | None, base_revision: int | None, allow_empty: bool
) -> None:
    """Replace a notes section's text; edits from an older revision merge when they don't overlap."""
    from ledger.errors import NotesConflictError

    app = session().app
    if source == "-":
        new_text = sys.stdin.read()
    elif source:
        try:
            with open(source, encoding="utf-8") as handle:
                new_text = handle.read()
        except UnicodeDecodeError:
            fail(f"cannot read {source}: it is not UTF-8 text", 2)
        except OSError as error:
            fail(f"cannot read {source}: {os_error_text(error)}", 2)
    elif not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("no terminal to open an editor in; give --file FILE, or --file - to read the text from stdin", 2)
    else:
        from projections import queries

        current = queries.notes(session().store(), slug, topic_id)
        base_revision = current.revision if base_revision is None else base_revision
        edited = click.edit(current.text, extension=".md", require_save=True)
        if edited is None:
            fail("notes not saved in the editor; nothing changed", 1)
        new_text = edited
    if not new_text.strip("\ufeff").strip() and not allow_empty:
        fail("the new text is empty; nothing changed (give --allow-empty to blank the notes)", 2)
    try:
        saved = app.edit_notes(slug, topic_id, new_text, base_revision)
        note_emails("notes text", new_text)
    except NotesConflictError as conflict:
        for line in conflict.conflicting_lines:
            click.echo(line, err=True)
        raise
    if session().as_json:
        report(saved)
    else:
        where = "the general notes" if topic_id is None else f"the notes of topic {topic_id}"
        revision = saved.summary.partition("revision ")[2].split(" ", 1)[0]  # "saved notes revision 2 of m"
        click.echo(f"Saved {where} of {slug}, revision {revision}.")


@notes.command("history")
@click.argument("slug")
@topic_option
@json_option
def notes_history(slug: str, topic_id: int | None, as_json: bool) -> None:
    """List every revision of a notes section: who saved it and when."""
    from projections import queries

    doc = queries.notes(session().store(), slug, topic_id)
    if topic_id is not None:
        check_topic(slug, topic_id)

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
    if topic_id is not None:
        check_topic(slug, topic_id)
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
