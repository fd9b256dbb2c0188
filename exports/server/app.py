"""The calendar feed server's WSGI application: routes, conditional requests and the render cache.

Feeds are rendered once per ledger state and kept in memory. At most every CHECK_INTERVAL the server asks
the database for the ledger's last event position (one indexed query); when another process has written
since, the read models catch up, so a write is visible on the next request without re-rendering a feed on
every request. A render is kept only for the position it was rendered from; a catch-up or a render that
fails (the database locked for longer than its lock timeout) is logged and retried on the next request,
and meanwhile the last good answer is served, or a 503 when there is none.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from exports.calendar import feeds, tokens
from exports.server import logs, pages
from exports.server.cache import Entry, RenderCache, Rendered
from ledger import text
from ledger.errors import LedgerError
from projections.queries import MODELS
from projections.store import ReadStore

CALENDAR_TYPE = "text/calendar; charset=utf-8"
CHECK_INTERVAL = 0.05  # seconds between two looks at the ledger's position
CATCH_UP_WAIT = 0.5  # seconds a request waits for another's catch-up before answering from the last good state
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
NO_STORE = [("Cache-Control", "no-store")]


class Unavailable(Exception):
    """The database cannot be read and there is no earlier answer to give instead."""


class FeedApp:
    """Routes: `/`, `/feeds.json`, `/calendar.ics`, `/meetings/SLUG.ics`, `/people/TOKEN.ics`."""

    def __init__(
        self,
        store: ReadStore,
        base_url: str | None = None,
        past_days: int = feeds.PAST_WINDOW_DAYS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        hosts: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.tokens = tokens.FeedTokens(store)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.past_days = past_days
        self.clock = clock
        self.allow_hosts(hosts or ["127.0.0.1"])
        self._lock = threading.Lock()
        self._position = -1
        self._counter: int | None = None
        self._checked_at = -CHECK_INTERVAL
        self.cache = RenderCache()

    @property
    def position(self) -> int:
        """The ledger position the read models were last caught up to (by `refresh`)."""
        return self._position

    def allow_hosts(self, hosts: Sequence[str]) -> None:
        """The Host values links may be built from (without --base-url); any other gets the first one's."""
        self.hosts = frozenset(host.lower() for host in hosts)
        self.default_base = f"http://{hosts[0]}"

    # ----- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.respond(environ, start_response)
        except Unavailable:
            return self.plain(
                start_response, "503 Service Unavailable", "Try again shortly.\n", [("Retry-After", "1"), *NO_STORE]
            )
        except Exception:  # noqa: BLE001 - the edge: logged with its traceback, the client gets a 500
            # Logged here, not by waitress, so the line carries the path with any token redacted.
            logs.ERRORS.exception("error while serving %s", logs.redact(str(environ.get("PATH_INFO"))))
            return self.plain(start_response, "500 Internal Server Error", "Internal error.\n", NO_STORE)

    def respond(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
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
        since = http_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        if since is None or rendered.last_modified is None:
            return False
        # A date in the future is invalid and ignored, too.
        return since <= self.clock() and rendered.last_modified <= since

    # ----- feeds, cached per ledger state ---------------------------------------------------------

    def rendered(self, route: tuple[str, ...], environ: dict[str, Any]) -> Rendered | None:
        self.refresh()
        position = self._position
        now = self.clock()
        day = feeds.window_start(now, self.past_days).date().isoformat()
        person: feeds.Person | None = None
        if route[0] == "person":
            try:
                person = self.tokens.resolve(route[1])  # every time: a revocation must take effect at once
            except Exception as error:
                # Never an earlier answer here: the token may have been revoked since.
                logs.ERRORS.warning("cannot look up a feed token: %s", error)
                raise Unavailable from error
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
        cached = self.cache.get(key)
        if cached is not None and cached.position == position:
            return cached.rendered
        try:
            result = self.render(key, now, person)
        except LedgerError:
            raise
        except Exception as error:
            if cached is None:
                logs.ERRORS.exception("cannot render %s", logs.redact(str(environ.get("PATH_INFO"))))
                raise Unavailable from error
            logs.ERRORS.warning("cannot render (%s); answering from the last good state", error)
            return cached.rendered
        with self._lock:
            # A render that finished after the ledger moved on is answered once but never kept.
            if position == self._position:
                self.cache.put(key, Entry(position, result))
        return result

    def refresh(self) -> None:
        """Catch up when the ledger has moved since the last look; a failure is retried on the next request.

        The ledger is asked at most every CHECK_INTERVAL seconds: asking on every request
        made the worker threads queue on the database call (and the GIL it releases), which
        cut throughput under concurrent clients to a quarter. A write is therefore served
        to requests that start CHECK_INTERVAL after it, at the latest.
        """
        if time.monotonic() - self._checked_at < CHECK_INTERVAL:
            return
        # While another request catches up, wait a little, then answer from the last good state.
        if not self._lock.acquire(timeout=CATCH_UP_WAIT):
            return
        try:
            started = time.monotonic()
            if started - self._checked_at < CHECK_INTERVAL:
                return  # another request has just looked
            counter = self.store.change_counter()
            if counter is None or counter != self._counter:
                position = self.store.last_position()
                if position != self._position:
                    self.store.catch_up(MODELS)
                    self._position = position
                self._counter = counter
            self._checked_at = started  # only after success: a failed look is retried on the next request
        except Exception as error:  # noqa: BLE001 - whatever stops a catch-up, the last good state is served
            logs.ERRORS.warning("cannot catch up with the ledger (%s); answering from the last good state", error)
        finally:
            self._lock.release()

    def render(self, key: tuple[str, ...], now: datetime, person: feeds.Person | None) -> Rendered:
        kind = key[0]
        if kind == "all":
            feed = feeds.all_meetings_feed(self.store, now, self.past_days)
        elif kind == "meeting":
            feed = feeds.meeting_feed(self.store, key[1])
        elif kind == "person" and person is not None:
            feed = feeds.person_feed(self.store, person, now, self.past_days)
        else:
            listing = pages.listing(self.store, key[1])
            if kind == "json":
                body = json.dumps(listing, indent=2, ensure_ascii=False).encode() + b"\n"
                return Rendered.of(body, "application/json", None)
            return Rendered.of(pages.index_page(listing).encode(), "text/html; charset=utf-8", None)
        return Rendered.of(feed.body, CALENDAR_TYPE, feed.last_modified)

    def base(self, environ: dict[str, Any]) -> str:
        """--base-url, else the request's Host when it is one of ours: never a value a client made up."""
        if self.base_url:
            return self.base_url
        host = str(environ.get("HTTP_HOST", "")).lower()
        return f"http://{host}" if host in self.hosts else self.default_base


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date as an aware datetime, or None for anything malformed (ignored, as RFC 9110 13.1.3 says)."""
    if not value or len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
        return (when if when.tzinfo is not None else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
