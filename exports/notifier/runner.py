"""Running the notifier: follow the log into the outbox, then deliver what is due; again and again."""

from __future__ import annotations

import os
import secrets
import socket
import sys
import threading
from typing import Any

import orjson

from exports.notifier import config as settings
from exports.notifier.delivery import Round, deliver
from ledger.errors import BadInputError
from projections import notices
from projections.notices import Outbox, OutboxRow

POLL = 1.0  # seconds between two rounds
STORED = ("smtp-url", "mail-from", "base-url")


def seconds_setting(name: str, default: str) -> float:
    value = os.environ.get(name, default)
    try:
        seconds = float(value)
    except ValueError:
        raise BadInputError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= 3600:
        raise BadInputError(f"{name} must be more than 0 and at most 3600")
    return seconds


def retry_base() -> float:
    """Seconds before the first retry of a failed send (MEETINGS_NOTIFY_RETRY_SECONDS, default 30)."""
    return seconds_setting("MEETINGS_NOTIFY_RETRY_SECONDS", "30")


class Runner:
    def __init__(self, app: Any, store: Any, *, from_start: bool = False) -> None:
        self.app = app
        self.store = store
        self.outbox = Outbox(store)
        self.from_start = from_start
        self.retry_base = retry_base()
        # Seconds another notifier waits before taking over from one that stopped renewing.
        self.lease_seconds = seconds_setting("MEETINGS_NOTIFY_LEASE_SECONDS", "60")
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"  # this runner

    def config(self) -> settings.MailConfig | None:
        return settings.load({name: self.outbox.setting(name) for name in STORED})

    def unsubscribe(self, base_url: str | None, row: OutboxRow) -> str | None:
        if not base_url:
            return None
        person = orjson.loads(row.body)["recipient"]
        return f"{base_url}/unsubscribe/{self.app.unsubscribe_token(person['key'], person['name'])}"

    def once(self) -> Round:
        """One round: new events into the outbox, then every due message sent."""
        notices.follow(self.store, from_start=self.from_start)
        found = self.config()
        if found is None:
            raise BadInputError("no SMTP server: set MEETINGS_SMTP_URL or run 'meetings notify configure'")
        mail_config = found
        return deliver(
            self.outbox,
            mail_config,
            lambda row: self.unsubscribe(mail_config.base_url, row),
            retry_base=self.retry_base,
            lease=(self.holder, self.lease_seconds),
        )

    def run(self, stop: threading.Event, poll: float = POLL) -> None:
        """Rounds until `stop` is set; an error of one round is reported and the next round tries again."""
        while not stop.is_set():
            try:
                self.once()
            except BadInputError:
                raise
            except Exception as error:  # noqa: BLE001 - a round that failed (database down) is retried
                print(f"notify: round failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            stop.wait(poll)


def status(store: Any) -> dict[str, Any]:
    """Where the notifier stands: its position and the log's, its queue, and the last errors."""
    outbox = Outbox(store)
    counts = outbox.counts()
    pending = outbox.rows(status=notices.PENDING)
    failing = [r for r in pending if r.last_error]
    found: settings.MailConfig | None
    try:
        found = settings.load({name: outbox.setting(name) for name in STORED})
        problem = ""
    except BadInputError as error:
        found, problem = None, str(error)
    return {
        "position": outbox.position(),
        "last_position": store.last_position(),
        "started_at": int(outbox.setting(notices.START) or 0),
        "smtp": found.smtp.shown if found else None,
        "mail_from": found.sender if found else None,
        "config_error": problem,
        "queue": {
            "pending": counts.get(notices.PENDING, 0),
            "sent": counts.get(notices.SENT, 0),
            "skipped": counts.get(notices.SKIPPED, 0),
        },
        "errors": [
            {
                "message_id": r.message_id,
                "recipient": r.recipient,
                "kind": r.kind,
                "attempts": r.attempts,
                "error": r.last_error,
                "next_attempt": r.next_attempt,
            }
            for r in failing[-20:]
        ],
    }
