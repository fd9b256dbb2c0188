"""Running a WSGI app under waitress with limits that keep hostile clients from exhausting the server."""

from __future__ import annotations

import resource
import socket
from collections.abc import Callable, Iterable
from typing import Any

from exports.server import logs
from exports.server.connections import GuardedServer

# A feed request is a GET with a short path and a few headers; anything bigger is refused (431/413)
# before it reaches the application, so a hostile client cannot make the server buffer megabytes.
# Only a web form's POST may carry more (a notes section); other bodies stop at connections.SMALL_BODY.
MAX_REQUEST_HEADER_SIZE = 16 * 1024  # request line plus headers
MAX_REQUEST_BODY_SIZE = 2 * 1024 * 1024 + 64 * 1024
CHANNEL_TIMEOUT = 60  # seconds a keep-alive connection may wait between requests before it is closed
# waitress's main loop uses select(), which cannot watch descriptors numbered 1024 or more: the limit
# leaves room below that for the database connections, the log and the listening socket.
CONNECTION_LIMIT = 900
SERVER_THREADS = 8

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def raise_open_files_limit(wanted: int) -> None:
    """Lift the soft limit on open files to what the connection limit needs, where the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def create(app: WSGIApp, host: str, port: int, threads: int = SERVER_THREADS) -> GuardedServer:
    """A bound and listening server: asynchronous I/O buffers slow clients, so they never hold a worker thread."""
    raise_open_files_limit(CONNECTION_LIMIT + 124)
    return GuardedServer(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=CHANNEL_TIMEOUT,
        # Each clean-up also closes connections whose request head is overdue: once a second.
        cleanup_interval=1,
        connection_limit=CONNECTION_LIMIT,
        max_request_header_size=MAX_REQUEST_HEADER_SIZE,
        max_request_body_size=MAX_REQUEST_BODY_SIZE,
        # Not asyncore_use_poll: measured here, it cut throughput under 4+ concurrent
        # keep-alive clients to a third. select() and CONNECTION_LIMIT bound open connections instead.
        ident="meetings",
        clear_untrusted_proxy_headers=True,
    )


def serve(
    app: WSGIApp,
    host: str,
    port: int,
    threads: int = SERVER_THREADS,
    *,
    access_log: bool = True,
    on_listening: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until interrupted; `on_listening(host, port)` runs once the port is open (the real port for 0)."""
    logs.configure(access_log)
    server = create(app, host, port, threads)
    bound_host, bound_port = server.effective_host, int(server.effective_port)
    if on_listening is not None:
        on_listening(str(bound_host), bound_port)
    server.run()


def own_hosts(host: str, port: int) -> list[str]:
    """The Host values that name this server, its canonical one first: links are built only from these."""
    wildcard = host in ("", "0.0.0.0", "::")  # noqa: S104 - recognising a wildcard, not binding one
    names = [socket.getfqdn(), socket.gethostname()] if wildcard else [host]
    if wildcard or host in ("127.0.0.1", "::1", "localhost"):
        names += ["127.0.0.1", "localhost", "::1"]
    found: list[str] = []
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        for value in (f"{shown}:{port}", *([shown] if port == 80 else [])):
            if value.lower() not in found:
                found.append(value.lower())
    return found
