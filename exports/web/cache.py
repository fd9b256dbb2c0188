"""The public meeting page rendered once per ledger change, with a strong ETag, answered before any Flask code runs.

Only an anonymous view is kept (no cookie, no token, no query): it is the same bytes for everyone until the
ledger moves. The Flask view renders it and stores the answer with the ledger position it was rendered from;
`answer` then serves it, or a 304, straight from WSGI, as the feed server serves its feeds. A signed-in
viewer's page carries their forms and is rendered every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from exports.server.cache import Entry, RenderCache, Rendered

StartResponse = Callable[..., Any]
PREFIX = "/meetings/"
# Headers of Flask's answer not kept with it: they are made from the body, or belong to one answer only.
OWN_HEADERS = frozenset({"content-length", "etag", "set-cookie", "date", "server"})


@dataclass(eq=False)
class PageCache:
    """Rendered anonymous pages by (slug, base URL), each valid for the ledger position it was rendered at."""

    refresh: Callable[[], None]  # brings the read models up to the ledger
    position: Callable[[], int]  # the ledger's position now
    cookie: str  # the session cookie's name: a request that carries one is not anonymous
    proxy_header: str | None
    base_url: str | None
    _cache: RenderCache = field(default_factory=RenderCache, init=False)
    _headers: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict, init=False)  # per page

    def anonymous(self, environ: dict[str, Any]) -> bool:
        """Whether the request is one every anonymous visitor makes alike: no session, token, proxy user or query."""
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return False
        if environ.get("HTTP_AUTHORIZATION") or (self.proxy_header and environ.get(self.proxy_header)):
            return False
        return f"{self.cookie}=" not in environ.get("HTTP_COOKIE", "")

    @staticmethod
    def slug(path: str) -> str | None:
        name = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        return name if name and "/" not in name and "." not in name else None

    def get(self, slug: str, base: str, position: int) -> Rendered | None:
        entry = self._cache.get((slug, base))
        return entry.rendered if entry is not None and entry.position == position else None

    def put(self, slug: str, base: str, position: int, body: bytes, headers: Iterable[tuple[str, str]]) -> Rendered:
        """Keep Flask's answer for the position it was rendered at; returns it with its ETag."""
        kept = [(k, v) for k, v in headers if k.lower() not in OWN_HEADERS]
        content_type = next((v for k, v in kept if k.lower() == "content-type"), "text/html; charset=utf-8")
        rendered = Rendered.of(body, content_type, None)
        # A render that finished after the ledger moved on is answered once but never kept.
        if self.position() == position:
            self._headers[(slug, base)] = kept
            self._cache.put((slug, base), Entry(position, rendered))
        return rendered

    def serve(self, web: Any, environ: dict[str, Any], start_response: StartResponse, base: str) -> Iterable[bytes]:
        """An anonymous page from the cache when it is current, else from `web`, keeping what it renders."""
        slug = self.slug(environ.get("PATH_INFO") or "")
        if slug is None or not self.anonymous(environ):
            return web(environ, start_response)
        base = self.base_url or base
        self.refresh()
        found = self.answer(environ, start_response, slug, base)
        if found is not None:
            return found
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append((status, headers))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = web(environ, capture)
        position = environ.get("meetings.page_position")
        fresh = seen and seen[-1][0].startswith("200 ")
        if position is None or not fresh or any(name.lower() == "set-cookie" for name, _ in seen[-1][1]):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        self.put(slug, base, position, data, seen[-1][1])
        return [data]

    def answer(
        self, environ: dict[str, Any], start_response: StartResponse, slug: str, base: str
    ) -> Iterable[bytes] | None:
        """The cached page (or 304) at the current position, else None."""
        rendered = self.get(slug, base, self.position())
        headers = self._headers.get((slug, base))
        if rendered is None or headers is None:
            return None
        if not_modified(environ.get("HTTP_IF_NONE_MATCH"), rendered.etag):
            kept = [(k, v) for k, v in headers if k.lower() != "content-type"]
            start_response("304 Not Modified", [("ETag", rendered.etag), *kept])
            return []
        start_response("200 OK", [("ETag", rendered.etag), *headers, ("Content-Length", str(len(rendered.body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [rendered.body]


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: a weak comparison of If-None-Match against the page's tag."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)
