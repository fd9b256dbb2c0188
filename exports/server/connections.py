"""Connection guards hooked into waitress: a deadline for each request head, a cap per client, strict framing.

waitress resets its channel timeout on every byte, so a client trickling one header line a minute held a
connection slot for ever, and 100 of them locked everyone out. Here each request must arrive whole within
HEAD_DEADLINE of its first byte (the first request: of the connection being accepted), however slowly
the bytes come; one address may hold at most PER_CLIENT connections; and a request that gives both
Content-Length and Transfer-Encoding is refused and its connection closed (RFC 9112 6.3), the framing
ambiguity request smuggling lives on. Each answer, error answers included, gets an access-log line.
"""

from __future__ import annotations

import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import RequestEntityTooLarge

from exports.server import logs

HEAD_DEADLINE = 10.0  # seconds from a request's first byte to its last (head plus the tiny body we allow)
PER_CLIENT = 32  # open connections one address may hold; calendar clients use one or two
# A reverse proxy on the same machine speaks for many clients from one of these: it must do the capping.
UNCAPPED = frozenset({"127.0.0.1", "::1"})
TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 10\r\nContent-Length: 40\r\n\r\nToo many connections from your address.\n"
)


SMALL_BODY = 1024  # what any request but a web form's POST may carry


class StrictParser(HTTPRequestParser):
    """waitress's parser, refusing a request that carries both Content-Length and Transfer-Encoding,
    and any body over SMALL_BODY except a POST's (a notes edit; waitress's own limit caps those)."""

    body_limit: int | None = None

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        names = {line.split(b":", 1)[0].strip(b" \t").lower() for line in header_plus.split(b"\r\n")[1:]}
        if b"content-length" in names and b"transfer-encoding" in names:
            # A 400 from waitress's error task, which always closes the connection.
            raise ParsingError("Content-Length together with Transfer-Encoding")
        self.body_limit = None if self.command == "POST" else SMALL_BODY

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        limit = self.body_limit
        if (
            limit is not None
            and getattr(self, "error", None) is None
            and max(self.content_length, self.body_bytes_received) > limit
        ):
            self.error = RequestEntityTooLarge(f"exceeds max_body of {limit}")
            self.completed = True
        return consumed


class LoggedTask(WSGITask):
    def finish(self) -> None:
        super().finish()
        logs.log_access(self)


class LoggedErrorTask(ErrorTask):
    def finish(self) -> None:
        super().finish()
        logs.log_access(self)


class GuardedChannel(HTTPChannel):
    """A waitress channel that knows when its pending request head is due."""

    task_class = LoggedTask
    error_task_class = LoggedErrorTask
    parser_class = StrictParser

    def __init__(self, server: GuardedServer, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
        self.peer = str(addr[0]) if isinstance(addr, tuple) and addr else "-"
        self.counted = False
        # None while no request is under way; the first one is due from the moment of connecting.
        self.head_due: float | None = time.time() + HEAD_DEADLINE
        super().__init__(server, sock, addr, adj, map)
        if server.clients.get(self.peer, 0) > PER_CLIENT and self.peer not in UNCAPPED:
            self.refuse()

    def refuse(self) -> None:
        """Answer 503 at once and close: the client already holds its share of connections."""
        with self.outbuf_lock:
            self.outbufs[-1].append(TOO_MANY)
            self.current_outbuf_count += len(TOO_MANY)
            self.total_outbufs_len += len(TOO_MANY)
        self.close_when_flushed = True
        self.head_due = None

    def add_channel(self, map: Any = None) -> None:
        super().add_channel(map)
        clients = self.server.clients
        clients[self.peer] = clients.get(self.peer, 0) + 1
        self.counted = True

    def del_channel(self, map: Any = None) -> None:
        if self.counted:
            self.counted = False
            clients = self.server.clients
            clients[self.peer] -= 1
            if not clients[self.peer]:
                del clients[self.peer]
        super().del_channel(map)

    def received(self, data: bytes) -> bool:
        pending = self.request
        result = bool(super().received(data))
        if self.request is None:
            self.head_due = None  # nothing half-received: waiting for the next request is channel_timeout's
        elif self.request is not pending and (pending is not None or self.head_due is None):
            self.head_due = time.time() + HEAD_DEADLINE  # a new request began in this chunk
        return result


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server with per-client counts and the head deadline checked at each clean-up."""

    channel_class = GuardedChannel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.clients: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            due = getattr(channel, "head_due", None)
            if due is not None and due < now and not channel.requests:
                channel.will_close = True  # closed by the main loop on its next turn
