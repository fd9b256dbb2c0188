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


def _atom(body: bytes) -> Any:
    response = make_response(body)
    response.headers["Content-Type"] = atom.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-cache"
    return response


def _changes(slug: str, page: str) -> list[dict[str, Any]]:
    mid = queries.meeting_id(slug)
    return [{**c, "meeting_id": mid, "page": page} for c in notices.changes(context().store.meeting_events(mid))]


@bp.get("/meetings/<path:slug>/changes.atom")
def changes(slug: str) -> Any:
    """One meeting's (or one occurrence's, `SERIES/DATE`) changes."""
    ctx = context()
    ctx.refresh()
    try:
        meeting = queries.meeting(ctx.store, slug)
    except LedgerError:
        abort(404)
    page = f"{base_url()}/meetings/{meeting.slug}"
    found = _changes(meeting.slug, page)
    feed_id = atom.meeting_feed_id(queries.meeting_id(meeting.slug))
    return _atom(atom.render(feed_id, f"Changes to {meeting.title}", page, found))


@bp.get("/series/<slug>/changes.atom")
def series_changes(slug: str) -> Any:
    """Every occurrence's changes: the meetings whose slug is SLUG/DATE."""
    ctx = context()
    ctx.refresh()
    occurrences = [doc for _, doc in ctx.store.all("meetings") if str(doc["slug"]).startswith(f"{slug}/")]
    if not occurrences:
        abort(404)
    found = []
    for doc in occurrences:
        found += _changes(doc["slug"], f"{base_url()}/meetings/{doc['slug']}")
    title = f"Changes to {occurrences[-1]['title']} (every occurrence)"
    return _atom(atom.render(atom.series_feed_id(slug), title, f"{base_url()}/series/{slug}", found))


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
