"""The server's logs: an access log in Common Log Format, and error logs, with every feed token redacted.

A personal feed URL is a bearer secret, so no log line may hold one: the path part after /people/ and
any token-shaped run of characters are replaced in the formatted text, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from typing import Any

ACCESS = logging.getLogger("meetings.access")
ERRORS = logging.getLogger("meetings.server")
REDACTED = "[redacted]"
# /people/ANYTHING up to a delimiter; then any run of 32+ URL-safe base64 characters (a token is 43).
_PERSONAL_PATH = re.compile(r"(/people/)[^\s/?#\"']*?(\.ics)?(?=[\s/?#\"']|$)")
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{32,}")


def redact(text: str) -> str:
    """The text with personal feed paths and anything shaped like a token replaced."""
    if "/people/" in text:
        text = _PERSONAL_PATH.sub(lambda m: m.group(1) + REDACTED + (m.group(2) or ""), text)
    return _TOKEN_LIKE.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole record: message, arguments and traceback alike."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _Installed(logging.StreamHandler):
    """Marks the handlers `configure` adds, so a second call replaces rather than doubles them."""


def configure(access_log: bool) -> None:
    """Errors and warnings (waitress's too) to stderr, the access log to stdout unless turned off."""
    errors = _Installed(sys.stderr)
    errors.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    access = _Installed(sys.stdout)
    access.setFormatter(RedactingFormatter("%(message)s"))
    root = logging.getLogger()
    for logger, handler in ((root, errors), (ACCESS, access)):
        for old in [h for h in logger.handlers if isinstance(h, _Installed)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
    root.setLevel(logging.INFO)
    ACCESS.propagate = False
    ACCESS.setLevel(logging.INFO)
    ACCESS.disabled = not access_log

    def log_uncaught(args: threading.ExceptHookArgs) -> None:
        # A thread's uncaught exception would otherwise go to stderr unredacted.
        exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
        ERRORS.error("uncaught exception in %s", args.thread.name if args.thread else "a thread", exc_info=exc_info)  # type: ignore[arg-type]

    threading.excepthook = log_uncaught


def access_line(peer: str, request_line: str, status: str, size: int, when: float | None = None) -> str:
    """One Common Log Format line: host ident authuser [date] "request" status bytes."""
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(time.time() if when is None else when))
    # Escaped so that control characters or quotes a client sent cannot forge a line or a field.
    request = request_line.encode("unicode_escape").decode("ascii").replace('"', '\\"') or "-"
    return f'{peer} - - [{stamp}] "{redact(request)}" {status.split(" ", 1)[0]} {size or "-"}'


def log_access(task: Any) -> None:
    """The access log line of a finished waitress task (a response sent, error responses included)."""
    if ACCESS.disabled:
        return
    first_line = getattr(task.request, "first_line", b"") or b""
    peer = task.channel.addr[0] if task.channel.addr else "-"
    line = first_line.decode("latin-1", "replace") if isinstance(first_line, bytes) else str(first_line)
    ACCESS.info(access_line(str(peer), line, task.status, task.content_bytes_written))
