"""The notifier's tables: the outbox of messages it owes, and its settings and link-signing key.

The outbox is filled by the notifier's follower in the same transaction that moves its position
(see projections/notices.py), one row per message, keyed by the message's Message-ID. A row is
pending until the SMTP server accepted it, then sent; a row for someone who gets no mail (no
email, muted) is skipped with its reason, which the audit shows. Rows are derived from the events,
so they never enter the hash chain; the `sent` marks are the one thing here no rebuild restores,
so `meetings copy` carries the table over (it is a side table).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from ledger.storage.adapter import NOTIFY_OUTBOX, NOTIFY_SETTINGS

OUTBOX, SETTINGS = NOTIFY_OUTBOX, NOTIFY_SETTINGS
PENDING, SENT, SKIPPED = "pending", "sent", "skipped"
LEASE = "deliverer"  # the setting that names which notifier delivers, and until when


class OutboxRow(NamedTuple):
    message_id: str
    position: int
    meeting_id: str
    kind: str
    recipient: str
    email: str | None
    status: str
    reason: str
    body: str
    attempts: int
    next_attempt: float
    last_error: str
    created_at: str
    sent_at: str | None


def ensure(storage: Any, cursor: Any) -> None:
    storage.ensure_side_table(cursor, OUTBOX)
    storage.ensure_side_table(cursor, SETTINGS)


def exists(storage: Any, cursor: Any, table: Any = OUTBOX) -> bool:
    """Whether the table is there yet (read-only callers such as the audit must not create tables)."""
    found: bool = storage.table_exists(cursor, table)
    return found


def insert(storage: Any, cursor: Any, rows: Sequence[OutboxRow]) -> None:
    """New messages; one already there (a follower replaying after a copy) keeps its row and status."""
    if not rows:
        return
    marks = ", ".join("?" * len(OUTBOX.columns))
    cursor.executemany(
        storage.sql(
            f"INSERT INTO {{p}}{OUTBOX.name} ({', '.join(OUTBOX.columns)}) VALUES ({marks})"
            " ON CONFLICT (message_id) DO NOTHING"
        ),
        [tuple(r) for r in rows],
    )


def _rows(cursor: Any) -> list[OutboxRow]:
    return [OutboxRow(*(r[c] for c in OUTBOX.columns)) for r in cursor.fetchall()]


def due(storage: Any, now: float, limit: int) -> list[OutboxRow]:
    """Pending messages whose next attempt is due, oldest event first."""
    return _read(storage, " WHERE status = ? AND next_attempt <= ?", (PENDING, now), limit)


def mark_sent(storage: Any, message_id: str, at: str) -> None:
    _attempted(storage, message_id, "status = ?, sent_at = ?, last_error = ''", SENT, at)


def mark_failed(storage: Any, message_id: str, error: str, next_attempt: float) -> None:
    _attempted(storage, message_id, "last_error = ?, next_attempt = ?", error, next_attempt)


def _attempted(storage: Any, message_id: str, assignments: str, *values: Any) -> None:
    """Count one more attempt at a message and set what it changed (`assignments`, with `values`)."""
    with storage.transaction(write=True) as cursor:
        cursor.execute(
            storage.sql(f"UPDATE {{p}}{OUTBOX.name} SET {assignments}, attempts = attempts + 1 WHERE message_id = ?"),
            (*values, message_id),
        )


def select(storage: Any, *, status: str | None = None, meeting_id: str | None = None) -> list[OutboxRow]:
    """Outbox rows (all, or of one status or meeting), in event order."""
    where, params = [], []
    if status is not None:
        where.append("status = ?")
        params.append(status)
    if meeting_id is not None:
        where.append("meeting_id = ?")
        params.append(meeting_id)
    return _read(storage, (" WHERE " + " AND ".join(where)) if where else "", tuple(params))


def _read(storage: Any, where: str, params: tuple[Any, ...], limit: int | None = None) -> list[OutboxRow]:
    """The rows `where` selects (none before the first message made the table), in event order."""
    with storage.transaction(write=False) as cursor:
        if not exists(storage, cursor):
            return []
        order = " ORDER BY position, message_id" + ("" if limit is None else " LIMIT ?")
        cursor.execute(
            storage.sql(f"SELECT {', '.join(OUTBOX.columns)} FROM {{p}}{OUTBOX.name}{where}{order}"),
            params if limit is None else (*params, limit),
        )
        return _rows(cursor)


def counts(storage: Any) -> dict[str, int]:
    with storage.transaction(write=False) as cursor:
        if not exists(storage, cursor):
            return {}
        cursor.execute(storage.sql(f"SELECT status, count(*) AS n FROM {{p}}{OUTBOX.name} GROUP BY status"))
        return {r["status"]: int(r["n"]) for r in cursor.fetchall()}


def setting(storage: Any, name: str) -> str | None:
    with storage.transaction(write=False) as cursor:
        if not exists(storage, cursor, SETTINGS):
            return None
        return _read_setting(storage, cursor, name)


def set_setting(storage: Any, name: str, value: str | None) -> None:
    with storage.transaction(write=True) as cursor:
        ensure(storage, cursor)
        _write_setting(storage, cursor, name, value)


def _read_setting(storage: Any, cursor: Any, name: str) -> str | None:
    cursor.execute(storage.sql(f"SELECT value FROM {{p}}{SETTINGS.name} WHERE name = ?"), (name,))
    row = cursor.fetchone()
    return str(row["value"]) if row else None


def _write_setting(storage: Any, cursor: Any, name: str, value: str | None) -> None:
    if value is None:
        cursor.execute(storage.sql(f"DELETE FROM {{p}}{SETTINGS.name} WHERE name = ?"), (name,))
    else:
        cursor.execute(
            storage.sql(
                f"INSERT INTO {{p}}{SETTINGS.name} (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            (name, value),
        )


def link_key(storage: Any) -> str:
    """The key that signs unsubscribe links, made at random by whichever process asks first."""
    with storage.transaction(write=True) as cursor:
        ensure(storage, cursor)
        cursor.execute(
            storage.sql(f"INSERT INTO {{p}}{SETTINGS.name} (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
            ("link-key", secrets.token_urlsafe(32)),
        )
        return str(_read_setting(storage, cursor, "link-key"))


def take_lease(storage: Any, holder: str, now: float, seconds: float) -> bool:
    """Hold (or renew) the right to deliver until now + seconds, unless another holder's lease runs.

    One notifier delivers at a time, so two of them (`serve --notify` on two servers of one
    ledger) never send the same message at once; a holder that died loses it when it runs out.
    """
    with _lease(storage) as (cursor, current):
        if current is not None and current["holder"] != holder and float(current["until"]) > now:
            return False
        _write_setting(storage, cursor, LEASE, json.dumps({"holder": holder, "until": now + seconds}))
    return True


def release_lease(storage: Any, holder: str) -> None:
    """Give the lease up at the end of a round (a holder that died instead loses it when it runs out)."""
    with _lease(storage) as (cursor, current):
        if current is not None and current["holder"] == holder:
            _write_setting(storage, cursor, LEASE, None)


@contextmanager
def _lease(storage: Any) -> Iterator[tuple[Any, dict[str, Any] | None]]:
    """A write transaction holding the lease's lock, and the lease as stored (None: nobody holds it)."""
    with storage.transaction(write=True) as cursor:
        if storage.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(727003)")
        ensure(storage, cursor)
        stored = _read_setting(storage, cursor, LEASE)
        yield cursor, None if stored is None else json.loads(stored)
