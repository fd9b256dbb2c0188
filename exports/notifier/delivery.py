"""Delivering the outbox over SMTP: each message sent, then marked sent; a failure retried with backoff.

A message is marked sent only after the server accepted it (the SMTP transaction ended with
250), in its own short transaction. A notifier killed between the two sends that message again
when it restarts, with the same Message-ID, which a server that honours Message-IDs drops; a
message is never marked sent before it was, so none is skipped.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from exports.notifier import mail
from exports.notifier.config import MailConfig
from projections.notices import Outbox, OutboxRow

TIMEOUT = 30  # seconds for one SMTP connection or command
BACKOFF_MAX = 3600.0


def backoff(attempts: int, base: float) -> float:
    """Seconds before the next try after `attempts` failures: base, 2 base, 4 base ... at most an hour."""
    return float(min(base * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


class Connection:
    """One SMTP session, opened on the first message and kept for the rest of a round."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        url = self.config.smtp
        client: smtplib.SMTP
        if url.scheme == "smtps":
            client = smtplib.SMTP_SSL(url.host, url.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(url.host, url.port, timeout=TIMEOUT)
            if url.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
        if url.user:
            client.login(url.user, url.password)
        self.client = client
        return client

    def send(self, message: Any) -> None:
        self.open().send_message(message)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
            self.client = None

    def drop(self) -> None:
        """Forget a session a failure left in an unknown state."""
        if self.client is not None:
            try:
                self.client.close()
            except OSError:
                pass
            self.client = None


def describe_error(error: BaseException) -> str:
    """One line for status and logs (smtplib's errors carry the server's answer, never the password)."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {' '.join(str(text).split())}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in error.recipients.values())
    return f"{type(error).__name__}: {error}"


@dataclass
class Round:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: bool = False  # another notifier holds the lease


def deliver(
    outbox: Outbox,
    config: MailConfig,
    unsubscribe: Callable[[OutboxRow], str | None],
    *,
    retry_base: float = 30.0,
    limit: int = 100,
    lease: tuple[str, float] | None = None,
) -> Round:
    """Send every due message once (oldest event first); a failed one waits its backoff.

    With `lease` (holder, seconds), each message is sent only while this notifier holds the lease,
    which it gives up at the end of the round: one notifier delivers at a time.
    """
    done = Round()
    connection = Connection(config)
    held = False
    try:
        for row in outbox.due(limit):
            if lease is not None:
                held = outbox.take_lease(*lease)  # renewed before each message
                if not held:
                    done.waiting = True
                    break
            try:
                connection.send(mail.build(row, config, unsubscribe(row)))
            except (smtplib.SMTPException, OSError) as error:
                connection.drop()
                reason = describe_error(error)
                outbox.mark_failed(row.message_id, reason, time.time() + backoff(row.attempts + 1, retry_base))
                done.failed += 1
                done.errors.append(f"{row.message_id} to {row.recipient}: {reason}")
                print(f"notify: not sent {row.message_id} to {row.recipient}: {reason}", file=sys.stderr, flush=True)
                continue
            outbox.mark_sent(row.message_id)
            done.sent += 1
    finally:
        connection.close()
        if held and lease is not None:
            outbox.release_lease(lease[0])
    return done
