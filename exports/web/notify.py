"""The notifier's web side: a meeting's changes as Atom, and the unsubscribe link of every mail.

The unsubscribe link shows a page whose button posts back (with the CSRF token), so a mail
scanner that follows links mutes nobody; only the POST records the mute, as an event.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, make_response, render_template

from exports.notifier import atom
from exports.web import context
from exports.web.pages import base_url
from ledger.errors import LedgerError
from projections import notices, queries

bp = Blueprint("notify", __name__)


@bp.get("/meetings/<slug>/changes.atom")
def changes(slug: str) -> Any:
    ctx = context()
    ctx.refresh()
    try:
        meeting = queries.meeting(ctx.store, slug)
    except LedgerError:
        abort(404)
    mid = queries.meeting_id(slug)
    found = notices.changes(ctx.store.meeting_events(mid))
    body = atom.render(mid, meeting.slug, meeting.title, found, base_url())
    response = make_response(body)
    response.headers["Content-Type"] = atom.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Any:
    found = context().ledger.unsubscriber(token)
    if found is None:
        abort(404)
    muted = context().ledger.is_muted(found[0])
    return render_template("unsubscribe.html", name=found[1], token=token, muted=muted, done=False)


@bp.post("/unsubscribe/<token>")
def unsubscribe_confirmed(token: str) -> Any:
    ledger = context().ledger
    found = ledger.unsubscriber(token)
    if found is None:
        abort(404)
    ledger.mute_by_link(token)
    return render_template("unsubscribe.html", name=found[1], token=token, muted=True, done=True)
