"""The JSON API: the CLI's `--json` read answers and one POST per write command, for scripts with a token.

`Authorization: Bearer TOKEN` names the account (a personal API token); without it, reads are public and
a browser's session may write only with its CSRF token. Answers carry exactly the bytes the CLI prints
for an organizer; anyone else gets the same shapes without email addresses, with the attendee list at the
level the organizer published (and an `attendee_list` key saying which; PRODUCT.md section 10).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, g, request

from exports.web import accounts, context, csrf, queries, times
from exports.web.verbs import VERBS
from ledger.errors import BadInputError

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # checked below, for session-authenticated requests only: a bearer token is not ambient


def cli_json(data: Any, status: int = 200) -> Response:
    """The bytes `meetings --json ...` prints for the same data."""
    body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return Response(body, status, content_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"})


def error_body(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="meetings"'} if status == 401 else {}
    response = cli_json({"error": " ".join(message.split())}, status)
    response.headers.update(headers)
    return response


@bp.before_request
def authenticate() -> Response | None:
    """A bearer token replaces the session; a bad one is a 401 even for a public read."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        viewer = accounts.by_api_token(context().ledger, token.strip()) if scheme.lower() == "bearer" else None
        if viewer is None:
            return error_body(401, "no valid API token (Authorization: Bearer TOKEN)")
        g.viewer = viewer
        return None
    if request.method == "POST":
        if g.viewer is None:
            return error_body(401, "sign in or send an API token (Authorization: Bearer TOKEN)")
        csrf.protect()  # a browser session: the request must carry the page's CSRF token
    return None


def reader(slug: str) -> queries.Audience:
    """How much of the meeting this request may read (PRODUCT.md section 10)."""
    return queries.audience(context().ledger, slug, g.get("viewer"))


def may_see_emails(slug: str | None) -> bool:
    viewer = g.get("viewer")
    if viewer is None:
        return False
    if viewer.admin:
        return True
    return slug is not None and bool(accounts.roles(context().ledger, slug, viewer) & {"organizer", "admin"})


def without_emails(data: Any) -> Any:
    """The same shape with every email hidden."""
    if isinstance(data, dict):
        return {k: (None if k == "email" else without_emails(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [without_emails(v) for v in data]
    return data


def answer(slug: str | None, data: Any, status: int = 200) -> Response:
    return cli_json(data if may_see_emails(slug) else without_emails(data), status)


def as_of(slug: str) -> Any:
    value = request.args.get("as-of")
    return times.as_of(value, queries.meeting(context().store, slug)["timezone"]) if value else None


@bp.get("/meetings")
def meetings() -> Response:
    ctx = context()
    ctx.refresh()
    return answer(None, queries.meeting_list(ctx.store))


@bp.get("/meetings/<slug:slug>")
def meeting(slug: str) -> Response:
    context().refresh()
    if queries.is_series(context().store, slug):
        return answer(slug, queries.series(context().store, slug))
    return answer(slug, queries.meeting(context().store, slug, as_of(slug), reader(slug)))


@bp.get("/meetings/<slug:slug>/<part>")
def part(slug: str, part: str) -> Response:
    ctx = context()
    ctx.refresh()
    if part == "attendees":
        return answer(slug, queries.attendees(ctx.store, slug, as_of(slug), reader(slug)))
    if part == "agenda":
        return answer(slug, queries.agenda(ctx.store, slug, as_of(slug), reader(slug)))
    if part == "notes":
        topic = request.args.get("topic")
        if topic is not None and not topic.isdigit():
            raise BadInputError(f"topic must be a topic id, not {topic!r}")
        topic_id = int(topic) if topic else None
        return answer(slug, queries.notes(ctx.store, slug, topic_id, as_of(slug), reader(slug)))
    if part == "audit":
        # Emails for admins only; anyone but an organizer reads attendance at the published level.
        body = queries.audit_json(ctx.ledger, ctx.store, slug, reader(slug))
        return Response(body, content_type="application/json; charset=utf-8", headers={"Cache-Control": "no-store"})
    abort(404)


STATES: dict[str, Callable[..., Any]] = {
    "meeting": queries.meeting,
    "attendees": queries.attendees,
    "agenda": queries.agenda,
}


@bp.post("/meetings/<slug:slug>/<verb>")
def write(slug: str, verb: str) -> Response:
    command = VERBS.get(verb)
    if command is None:
        abort(404)
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise BadInputError("the body must be a JSON object of the command's fields")
    ctx = context()
    for_person = body.pop("for_person", None)
    arguments = command.parse(body, g.viewer.person)
    with accounts.acting(ctx.ledger, g.viewer, for_person):
        saved = command.write(ctx.ledger, slug, arguments)
    queries.catch_up(ctx.store)
    if command.state == "notes":
        state = queries.notes(ctx.store, slug, arguments["topic"], audience=reader(slug))
    elif command.state == "series":  # a series' details are public at every level
        state = queries.series(ctx.store, slug)
    else:
        state = STATES[command.state](ctx.store, slug, audience=reader(slug))
    data = {"position": saved.position, "summary": saved.summary, "state": state}
    return answer(slug, data, 201 if command.creates else 200)
