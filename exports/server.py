"""The calendar feed server: a WSGI application served by waitress (`meetings serve`).

Feeds are rendered once per ledger state and kept in memory. Each request asks the database for the
ledger's last event position (one indexed query); when another process has written since, the read models
catch up and the cache starts afresh, so a write is visible on the next request without re-rendering a
feed on every request.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from exports import calendar, feeds
from ledger import text
from ledger.errors import LedgerError
from projections.queries import MODELS
from projections.store import ReadStore

CALENDAR_TYPE = "text/calendar; charset=utf-8"
MAX_CACHED = 2_000  # feeds kept per ledger state: bounds memory however many people have tokens
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Rendered:
    """A response body with the validators that go with it."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None

    @classmethod
    def of(cls, body: bytes, content_type: str, last_modified: datetime | None) -> Rendered:
        # Strong ETag: the same bytes always give the same tag, any change gives a new one.
        return cls(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', last_modified)


class FeedApp:
    """Routes: `/`, `/feeds.json`, `/calendar.ics`, `/meetings/SLUG.ics`, `/people/TOKEN.ics`."""

    def __init__(
        self,
        store: ReadStore,
        base_url: str | None = None,
        past_days: int = calendar.PAST_WINDOW_DAYS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.tokens = feeds.FeedTokens(store)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.past_days = past_days
        self.clock = clock
        self._lock = threading.Lock()
        self._position = -1
        self._counter: int | None = None
        self._checked_at = -CHECK_INTERVAL
        self._cache: dict[tuple[str, ...], Rendered] = {}

    # ----- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            route = self.route(path) if path == self.raw_path(environ, path) else None
            if route is None:
                return self.plain(start_response, "404 Not Found", "No such feed.\n")
            if method not in ("GET", "HEAD"):
                return self.plain(
                    start_response, "405 Method Not Allowed", "Only GET and HEAD.\n", [("Allow", "GET, HEAD")]
                )
            rendered = self.rendered(route, environ)
        except LedgerError:  # an unknown slug, a meeting that is gone
            rendered = None
        if rendered is None:
            return self.plain(start_response, "404 Not Found", "No such feed.\n")
        headers = [("ETag", rendered.etag), ("Cache-Control", "no-cache")]
        if rendered.last_modified is not None:
            headers.append(("Last-Modified", format_datetime(rendered.last_modified, usegmt=True)))
        if self.not_modified(environ, rendered):
            start_response("304 Not Modified", headers)
            return []
        headers += [("Content-Type", rendered.content_type), ("Content-Length", str(len(rendered.body)))]
        start_response("200 OK", headers)
        return [] if method == "HEAD" else [rendered.body]

    @staticmethod
    def plain(
        start_response: StartResponse, status: str, body: str, extra: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        data = body.encode()
        start_response(
            status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data))), *(extra or [])]
        )
        return [data]

    @staticmethod
    def raw_path(environ: dict[str, Any], decoded: str) -> str:
        """The path as the client sent it. Feed URLs hold only unreserved characters, so a request
        whose raw path differs from the decoded one (percent-escapes, `//` that waitress folds away)
        is not one of ours and gets a 404, whatever it would decode to."""
        raw = environ.get("REQUEST_URI")
        if raw is None:  # another WSGI server: trust its PATH_INFO
            return decoded
        raw = raw.split("#", 1)[0].split("?", 1)[0]
        if "://" in raw.split("/", 1)[0] + "/" and not raw.startswith("/"):  # absolute-form: http://host/path
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        return str(raw)

    @staticmethod
    def route(path: str) -> tuple[str, ...] | None:
        if path in ("/", "/index.html"):
            return ("index",)
        if path == "/feeds.json":
            return ("json",)
        if path == "/calendar.ics":
            return ("all",)
        for prefix, kind in (("/meetings/", "meeting"), ("/people/", "person")):
            if path.startswith(prefix) and path.endswith(".ics"):
                name = path[len(prefix) : -len(".ics")]
                if name and "/" not in name:
                    return (kind, name)
        return None

    def not_modified(self, environ: dict[str, Any], rendered: Rendered) -> bool:
        """RFC 9110 13.1: If-None-Match decides when present; else a valid If-Modified-Since."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            tags = [tag.strip() for tag in if_none_match.split(",")]
            return any(tag == "*" or tag.removeprefix("W/") == rendered.etag for tag in tags)
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if not since or rendered.last_modified is None:
            return False
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False  # a malformed date is ignored (RFC 9110 13.1.3)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        # A date in the future is invalid and ignored, too.
        return when <= self.clock() and rendered.last_modified <= when

    # ----- feeds, cached per ledger state ---------------------------------------------------------

    def rendered(self, route: tuple[str, ...], environ: dict[str, Any]) -> Rendered | None:
        self.refresh()
        now = self.clock()
        day = calendar.window_start(now, self.past_days).date().isoformat()
        person: feeds.Person | None = None
        if route[0] == "person":
            person = self.tokens.resolve(route[1])  # every time: a revocation must take effect at once
            if person is None:
                return None
            key: tuple[str, ...] = ("person", person.key, day)
        elif route[0] == "meeting":
            try:
                key = ("meeting", text.slug(route[1]))
            except LedgerError:
                return None
        elif route[0] in ("index", "json"):
            key = (route[0], self.base(environ))
        else:
            key = ("all", day)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self.render(key, now, person)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key] = result
        return result

    def refresh(self) -> None:
        """Catch up and drop cached feeds when the ledger has moved since they were rendered.

        The ledger is asked at most every CHECK_INTERVAL seconds: asking on every request
        made the worker threads queue on the database call (and the GIL it releases), which
        cut throughput under concurrent clients to a quarter. A write is therefore served
        to requests that start CHECK_INTERVAL after it, at the latest.
        """
        now = time.monotonic()
        if now - self._checked_at < CHECK_INTERVAL:
            return
        self._checked_at = now
        counter = self.store.change_counter()
        if counter is not None and counter == self._counter:
            return  # no commit anywhere since the last check
        position = self.store.last_position()
        self._counter = counter
        if position == self._position:
            return
        with self._lock:
            if position != self._position:
                self.store.catch_up(MODELS)
                self._cache.clear()
                self._position = position

    def render(self, key: tuple[str, ...], now: datetime, person: feeds.Person | None) -> Rendered:
        kind = key[0]
        if kind == "all":
            feed = feeds.all_meetings_feed(self.store, now, self.past_days)
        elif kind == "meeting":
            feed = feeds.meeting_feed(self.store, key[1])
        elif kind == "person" and person is not None:
            feed = feeds.person_feed(self.store, person, now, self.past_days)
        else:
            listing = self.listing(key[1])
            if kind == "json":
                body = json.dumps(listing, indent=2, ensure_ascii=False).encode() + b"\n"
                return Rendered.of(body, "application/json", None)
            return Rendered.of(index_page(listing).encode(), "text/html; charset=utf-8", None)
        return Rendered.of(feed.body, CALENDAR_TYPE, feed.last_modified)

    def base(self, environ: dict[str, Any]) -> str:
        if self.base_url:
            return self.base_url
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    def listing(self, base: str) -> list[dict[str, str]]:
        """The public feeds (personal ones are secret and never listed), with subscribe links."""
        docs = sorted((doc for _, doc in self.store.all("meetings")), key=lambda d: (d["start"], d["slug"]))
        entries = [("All meetings", "/calendar.ics")]
        entries += [(doc["title"], f"/meetings/{doc['slug']}.ics") for doc in docs]
        return [subscribe_links(title, base + path) for title, path in entries]


def subscribe_links(title: str, url: str) -> dict[str, str]:
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "title": title,
        "url": url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
    }


def index_page(listing: list[dict[str, str]]) -> str:
    rows = "\n".join(
        f'<li>{html.escape(item["title"])}: <a href="{html.escape(item["url"])}">.ics</a>'
        f' · <a href="{html.escape(item["webcal"])}">subscribe (Apple, Outlook, Thunderbird)</a>'
        f' · <a href="{html.escape(item["google"])}">add to Google Calendar</a></li>'
        for item in listing
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Meeting calendars</title></head>\n'
        f"<body><h1>Meeting calendars</h1>\n<ul>\n{rows}\n</ul>\n"
        "<p>Personal feeds: <code>meetings feed-token issue NAME</code>.</p></body></html>\n"
    )


# A feed request is a GET with a short path and a few headers; anything bigger is refused (431/413)
# before it reaches the application, so a hostile client cannot make the server buffer megabytes.
MAX_REQUEST_HEADER_SIZE = 16 * 1024  # request line plus headers
MAX_REQUEST_BODY_SIZE = 1024
CHANNEL_TIMEOUT = 60  # seconds a connection may sit idle (or trickle bytes) before it is closed


SERVER_THREADS = 8
CHECK_INTERVAL = 0.05  # seconds between two looks at the ledger's position


def serve(app: FeedApp, host: str, port: int, threads: int = SERVER_THREADS) -> None:
    """Serve with waitress: asynchronous I/O buffers slow clients, so they never hold a worker thread."""
    import waitress

    waitress.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=10,
        max_request_header_size=MAX_REQUEST_HEADER_SIZE,
        max_request_body_size=MAX_REQUEST_BODY_SIZE,
        # Not asyncore_use_poll: measured here, it cut throughput under 4+ concurrent
        # keep-alive clients to a third. select() and waitress's connection_limit (100)
        # bound open connections instead.
        ident="meetings",
        clear_untrusted_proxy_headers=True,
        _quiet=True,
    )
