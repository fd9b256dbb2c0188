"""One WSGI app in front of two: feed URLs take the feed server's fast path, every other path goes to the web app.

The feed routes (`/calendar.ics`, `/meetings/SLUG.ics`, `/people/TOKEN.ics`, `/feeds.json`) are recognised by
the same exact match the feed app uses, before any Flask code runs, so their cost and their answers stay what
they were. Paths whose raw form differs from the decoded one, or holding an empty, `.` or `..` segment, are
refused for the web too: no page or API path holds a character that needs escaping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exports.server import logs
from exports.server.app import FeedApp, StartResponse
from exports.server.serve import WSGIApp
from exports.web.cache import PageCache


class Dispatcher:
    """Feeds to `feeds`, the rest to `web`, on the same waitress server and behind the same guards."""

    def __init__(self, feeds: FeedApp, web: WSGIApp, pages: PageCache | None = None) -> None:
        self.feeds = feeds
        self.web = web
        self.pages = pages

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        route = FeedApp.route(path)
        if route is not None and route[0] != "index":
            return self.feeds(environ, start_response)
        segments = path.split("/")[1:]
        odd = path != "/" and any(segment in ("", ".", "..") for segment in segments)
        if odd or path != FeedApp.raw_path(environ, path):
            return FeedApp.plain(start_response, "404 Not Found", "Not found.\n")
        # Links on pages are built from the Host only when the feed app vouches for it: the web app
        # sees that Host (ours, or --base-url's), never one a client made up.
        base = self.feeds.base(environ)
        environ["meetings.base"] = base
        environ["HTTP_HOST"] = base.split("://", 1)[-1].split("/", 1)[0]
        try:
            if self.pages is not None:  # an anonymous meeting page: from its render cache when current
                return self.pages.serve(self.web, environ, start_response, base)
            return self.web(environ, start_response)
        except Exception:  # noqa: BLE001 - the edge: logged with the path redacted, the client gets a 500
            logs.ERRORS.exception("error while serving %s", logs.redact(path))
            return FeedApp.plain(start_response, "500 Internal Server Error", "Internal error.\n")
