"""The pages: the index of meetings, a meeting as the wiki page showed it, and its history; `?as-of=` on each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, g, make_response, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exports.calendar import feeds, tokens
from exports.server.cache import Rendered
from exports.server.pages import listing, subscribe_links
from exports.web import accounts, context, queries, times
from exports.web.auth import login_required
from exports.web.markdown import render as markdown
from ledger.application import name_key
from ledger.errors import BadInputError, LedgerError, NotFoundError, PermissionDeniedError, StorageError

bp = Blueprint("pages", __name__)
RECENT_DAYS = 60


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Any:
    return markdown(text)


@bp.app_context_processor
def shared() -> dict[str, Any]:
    return {"viewer": g.get("viewer"), "mode_labels": queries.MODE_LABELS, "moment": times.moment}


def base_url() -> str:
    """Where links point: --base-url, else the Host the feed server vouched for (never one a client made up)."""
    ctx = context()
    return ctx.base_url or str(request.environ.get("meetings.base") or request.host_url.rstrip("/"))


@bp.get("/")
@bp.get("/index.html")
def index() -> Any:
    ctx = context()
    ctx.refresh()
    now = datetime.now(UTC)
    rows = queries.meeting_list(ctx.store, now)
    upcoming = [r for r in rows if datetime.fromisoformat(r["end"]) >= now]
    since = now - timedelta(days=RECENT_DAYS)
    recent = [r for r in rows if since <= datetime.fromisoformat(r["end"]) < now][::-1]
    older = [r for r in rows if datetime.fromisoformat(r["end"]) < since][::-1]
    return render_template(
        "index.html",
        upcoming=upcoming,
        recent=recent + older,
        series=queries.series_list(ctx.store, now),
        when=lambda r: times.when(r["start"], r["end"], r["timezone"]),
        feeds=listing(ctx.store, base_url()),
    )


@dataclass(frozen=True)
class Section:
    """A notes section on the page: its topic (None for the general one), heading, text and revision."""

    topic_id: int | None
    heading: str
    text: str
    revision: int


def topics_in_order(agenda: list[Any]) -> list[Any]:
    return [topic for item in agenda for topic in (item, *item["subtopics"])]


def page_state(slug: str) -> dict[str, Any]:
    """Everything the meeting page shows, at `?as-of=` when given."""
    ctx = context()
    ctx.refresh()
    viewer = g.viewer
    reader = queries.audience(ctx.ledger, slug, viewer)
    current = queries.meeting(ctx.store, slug, audience=reader)
    as_of = times.as_of(request.args.get("as-of"), current["timezone"])
    meeting = queries.meeting(ctx.store, slug, as_of, reader) if as_of else current
    people = queries.attendees(ctx.store, slug, as_of, reader)
    agenda = queries.agenda(ctx.store, slug, as_of, reader)
    topics = topics_in_order(agenda)
    sections = []
    for topic_id, heading in [(None, "General"), *((t["id"], f"{t['number']}. {t['title']}") for t in topics)]:
        notes = queries.notes(ctx.store, slug, topic_id, as_of, reader)
        sections.append(Section(topic_id, heading, notes["text"], notes["revision"]))
    mine = None
    if viewer is not None:  # the viewer's own entry, whatever the list shows of others
        everyone = queries.attendees(ctx.store, slug, as_of)["attendees"]
        mine = next((e for e in everyone if name_key(e["name"]) == name_key(viewer.person)), None)
    roles = accounts.roles(ctx.ledger, slug, viewer) if as_of is None else frozenset()
    series_slug, _, day = slug.rpartition("/")
    ics = f"{base_url()}/meetings/{series_slug or slug}.ics"  # an occurrence is subscribed with its series
    return {
        "meeting": meeting,
        "people": people,
        "agenda": agenda,
        "topics": topics,
        "sections": sections,
        "as_of": as_of,
        "as_of_text": request.args.get("as-of", ""),
        "when": times.when(meeting["start"], meeting["end"], meeting["timezone"]),
        "links": subscribe_links(meeting["title"], ics),
        "mine": mine,
        "roles": roles,
        "organizer": bool(roles & {"organizer", "admin"}),
        "participant": bool(roles),
        "series_slug": series_slug,
        "day": day if series_slug else "",
    }


@bp.get("/meetings/<slug:slug>")
def meeting(slug: str) -> Any:
    """The page; an anonymous view is the same for everyone, so it gets a strong ETag and is kept per position."""
    ctx = context()
    ctx.refresh()
    if queries.is_series(ctx.store, slug):
        return series_page(slug)
    if g.viewer is not None or session or not ctx.pages.anonymous(request.environ):
        return render_template("meeting.html", **page_state(slug))
    position = ctx.position()  # before reading: a page is never kept for a position it may not show
    response = make_response(render_template("meeting.html", **page_state(slug)))
    response.set_etag(Rendered.of(response.get_data(), "", None).etag.strip('"'))
    request.environ["meetings.page_position"] = position  # the page cache keeps it (exports/web/cache.py)
    return response.make_conditional(request)


UPCOMING = 12  # occurrences on a series' page


def series_page(slug: str) -> Any:
    """A series: its rule, subscribe links, and its next occurrences with their counts; organizers get the
    exception controls (cancel, move, change one date)."""
    ctx = context()
    shown = queries.series(ctx.store, slug, upcoming=UPCOMING)
    viewer = g.viewer
    roles = accounts.series_roles(ctx.ledger, slug, viewer)
    ics = f"{base_url()}/meetings/{slug}.ics"
    return render_template(
        "series.html",
        series=shown,
        when=lambda o: times.when(o["start"], o["end"], shown["timezone"]),
        links=subscribe_links(shown["title"], ics),
        organizer=bool(roles & {"organizer", "admin"}),
    )


@bp.get("/meetings/<slug:slug>/history")
def history(slug: str) -> Any:
    ctx = context()
    ctx.refresh()
    reader = queries.audience(ctx.ledger, slug, g.viewer)
    current = queries.meeting(ctx.store, slug, audience=reader)
    as_of = times.as_of(request.args.get("as-of"), current["timezone"])
    entries = queries.history(ctx.ledger, ctx.store, slug, as_of, reader)
    return render_template("history.html", meeting=current, entries=entries, as_of=as_of)


@bp.post("/me/calendar-link")
@login_required
def calendar_link() -> Any:
    """A new personal "meetings I attend" feed URL, shown once (the earlier one stops working)."""
    ctx = context()
    person = feeds.find_person(ctx.store, g.viewer.person)
    token = tokens.FeedTokens(ctx.store).issue(person)
    url = f"{base_url()}/people/{token}.ics"
    body = render_template("calendar_link.html", links=subscribe_links("Meetings I attend", url))
    return body, 200, {"Cache-Control": "no-store"}


def register_errors(app: Flask) -> None:
    """Refusals as pages (or JSON under /api/) with the ledger's own message."""

    @app.errorhandler(LedgerError)
    def ledger_error(error: LedgerError) -> Any:
        return error_page(status_of(error), str(error))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return error_page(403, f"the form is out of date or was not sent from this site ({error.description})")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return error_page(error.code or 500, error.description or error.name)


def status_of(error: LedgerError) -> int:
    if isinstance(error, BadInputError):
        return 400
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, PermissionDeniedError):
        return 403
    if isinstance(error, StorageError):
        return 503
    return 409


def error_page(status: int, message: str) -> Any:
    if request.path.startswith("/api/"):
        from exports.web.api import error_body

        return error_body(status, message)
    return render_template("error.html", status=status, message=message), status
