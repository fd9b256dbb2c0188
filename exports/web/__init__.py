"""The meeting on the web: pages, sign-in, forms and a JSON API, as a Flask app served beside the feeds.

`create_app` is the application factory (as in Flask's tutorial): one blueprint per area (`pages`, `auth`,
`actions`, `api`), templates and a small stylesheet beside them, and the security headers every answer gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import BaseConverter

from exports.web.cache import PageCache

MAX_FORM_BYTES = 2 * 1024 * 1024  # a notes section of 200,000 characters, percent-encoded
# No inline script or style anywhere: the one script and the stylesheet are files of ours.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The origin only on our own links: enough for Flask-WTF's referrer check over HTTPS, nothing for others.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
csrf = CSRFProtect()


@dataclass(frozen=True)
class Context:
    """What the routes need: the Ledger for commands, its read store for queries, and the server's options."""

    ledger: Any
    store: Any
    base_url: str | None
    proxy_user_header: str | None  # the WSGI environ key of a trusted proxy's user header, when enabled
    refresh: Callable[[], None]
    position: Callable[[], int]  # the ledger position the read models were last brought to
    pages: PageCache


def context() -> Context:
    found: Context = current_app.extensions["meetings"]
    return found


class Sessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, marked Secure whenever the page was served over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def create_app(
    ledger: Any,
    store: Any,
    *,
    base_url: str | None = None,
    proxy_user_header: str | None = None,
    refresh: Callable[[], None] | None = None,
    position: Callable[[], int] | None = None,
    secret_key: str | None = None,
) -> Flask:
    """The web app on one ledger; `refresh` brings the read models up to date before a page is read, and
    `position` tells which ledger position that was (the feed server's, when served beside it)."""
    from exports.web import actions, api, auth, notify, pages, queries
    from exports.web.secret import session_key

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or session_key(store),
        SESSION_COOKIE_NAME="meetings_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(base_url and base_url.lower().startswith("https://")),
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        WTF_CSRF_TIME_LIMIT=None,  # a form's token lives as long as the session it belongs to
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.session_interface = Sessions()
    header = None
    if proxy_user_header:
        header = "HTTP_" + proxy_user_header.upper().replace("-", "_")
    base = base_url.rstrip("/") if base_url else None
    refresh = refresh or (lambda: queries.catch_up(store))
    position = position or store.last_position
    cache = PageCache(refresh, position, app.config["SESSION_COOKIE_NAME"], header, base)
    app.extensions["meetings"] = Context(ledger, store, base, header, refresh, position, cache)
    csrf.init_app(app)
    app.url_map.converters["slug"] = SlugConverter
    for blueprint in (auth.bp, pages.bp, notify.bp, actions.bp, api.bp):
        app.register_blueprint(blueprint)
    app.after_request(secure_headers)
    pages.register_errors(app)
    return app


class SlugConverter(BaseConverter):
    """A meeting's or series' slug, or an occurrence's `SERIES/2026-12-08`: `/meetings/wg/2026-12-08` is the
    occurrence's page and `/meetings/wg/2026-12-08/signup` its form, like any meeting's."""

    regex = r"[^/]+(?:/[0-9]{4}-[0-9]{2}-[0-9]{2})?"
    weight = 150  # after a literal part such as /history or /series

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe="/")


def secure_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Cache-Control" not in response.headers:
        # Pages carry a signed-in account's forms and tokens: never kept by a shared cache.
        response.headers["Cache-Control"] = "private, no-cache"
    return response
