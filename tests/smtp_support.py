"""A real SMTP server on loopback (aiosmtpd) that honours Message-IDs, as the notifier's tests need.

It keeps every message it accepted once per Message-ID (a second copy is counted and dropped), can
refuse everything for a while (451), and can call a hook on each arrival (to SIGKILL the notifier
between the server's acceptance and the notifier's recording of it).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """The server's handler: what arrived, by Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: dict[str, EmailMessage] = {}
        self.received: Counter[str] = Counter()  # every copy that arrived, duplicates too
        self.refusing = False
        self.refused = 0
        self.on_message: Callable[[str], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mid = str(message["Message-ID"])
        with self.lock:
            self.received[mid] += 1
            self.messages.setdefault(mid, message)
        if self.on_message is not None:
            self.on_message(mid)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages.values() if address in str(m["To"])]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Authenticator:
    """Accepts one login and password (AUTH PLAIN or LOGIN), as a submission server does."""

    def __init__(self, login: str, password: str) -> None:
        self.login, self.password = login.encode(), password.encode()
        self.tried: list[bytes] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.tried.append(auth_data.login)
        ok = auth_data.login == self.login and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535 itself


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[tuple[Mailbox, str]]:
    """The running server and its smtp:// URL; with `login`, AUTH is required (over plain TCP on loopback)."""
    box = Mailbox()
    port = free_port()
    extra: dict[str, Any] = {}
    if login is not None:
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
        extra = {"authenticator": Authenticator(*login), "auth_required": True, "auth_require_tls": False}
    controller = Controller(box, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def calendar_part(message: EmailMessage) -> tuple[str, bytes] | None:
    """The iTIP part's method and bytes, or None."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return str(part.get_param("method")), payload
    return None


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())
