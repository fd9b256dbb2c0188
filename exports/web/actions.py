"""The forms: each posts one verb to `/meetings/SLUG/VERB`, runs it as the signed-in account, and redirects.

POST-redirect-GET: the outcome (what was saved, or the ledger's refusal) is flashed onto the meeting page,
so reloading never sends a form twice. A notes edit that conflicts is answered with the page itself,
showing the conflicting lines, the text saved meanwhile and the visitor's own text, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from exports.web import accounts, context, queries
from exports.web.auth import login_required
from exports.web.verbs import VERBS
from ledger.errors import LedgerError, NotesConflictError
from ledger.vocabulary import sentence

bp = Blueprint("actions", __name__)
# Where on the page each verb's outcome is seen.
ANCHORS = {
    "meeting": "details",
    "attendees": "attendees",
    "agenda": "agenda",
    "notes": "notes",
    "series": "occurrences",
}


@bp.post("/meetings/<slug:slug>/<verb>")
@login_required
def act(slug: str, verb: str) -> Any:
    command = VERBS.get(verb)
    if command is None:
        abort(404)
    ctx = context()
    form = {key: value for key, value in request.form.items() if key != "csrf_token"}
    # An organizer acting for someone else names them; everyone else acts for themself.
    for_person = form.pop("for_person", "") or None
    anchor = ANCHORS[command.state]
    try:
        arguments = command.parse(form, g.viewer.person)
        with accounts.acting(ctx.ledger, g.viewer, for_person):
            saved = command.write(ctx.ledger, slug, arguments)
    except NotesConflictError as conflict:
        from exports.web.pages import page_state

        state = page_state(slug)
        body = render_template(
            "meeting.html",
            **state,
            conflict=conflict,
            conflict_text=arguments["text"],
            conflict_topic=arguments["topic"],
        )
        return body, 409
    except LedgerError as error:
        flash(f"Not saved: {error}.", "error")
        return redirect(url_for("pages.meeting", slug=slug, _anchor=anchor), code=303)
    queries.catch_up(ctx.store)
    flash(sentence(saved.summary), "info")  # a slug or name that starts it keeps its case
    if verb == "new":
        anchor = "details"
    return redirect(url_for("pages.meeting", slug=slug, _anchor=anchor), code=303)
