"""Personal feed tokens behind /people/TOKEN.ics.

A token is shown once, when issued; only its SHA-256 is stored, in a small table beside the ledger. Lookup
is by that hash, so a guess costs a full preimage search and the comparison never leaks how much matched.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from exports.calendar.feeds import Person
from ledger.application import FEED_TOKENS
from projections.store import ReadStore

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG: not guessable, not enumerable


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class FeedTokens:
    """Issue, revoke and resolve personal feed tokens (one live token per person)."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.sql = store.storage.sql
        self._ensured = False

    def _ensure_table(self) -> None:
        if self._ensured:
            return
        with self.store.transaction(write=True) as cursor:
            self.store.storage.ensure_side_table(cursor, FEED_TOKENS)
        self._ensured = True

    def issue(self, person: Person) -> str:
        """A new token for the person; any earlier one stops working."""
        self._ensure_table()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self.store.transaction(write=True) as cursor:
            cursor.execute(
                self.sql(
                    "INSERT INTO {p}feed_tokens (person_key, name, token_hash, issued_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (person_key) DO UPDATE SET name = excluded.name,"
                    " token_hash = excluded.token_hash, issued_at = excluded.issued_at"
                ),
                (person.key, person.name, token_hash(token), datetime.now(UTC).isoformat()),
            )
        return token

    def revoke(self, person: Person) -> bool:
        self._ensure_table()
        with self.store.transaction(write=True) as cursor:
            cursor.execute(self.sql("SELECT count(*) AS n FROM {p}feed_tokens WHERE person_key = ?"), (person.key,))
            row = cursor.fetchone()
            cursor.execute(self.sql("DELETE FROM {p}feed_tokens WHERE person_key = ?"), (person.key,))
        return bool(row and row["n"])

    def resolve(self, token: str) -> Person | None:
        """The person a token belongs to, or None for an unknown or revoked token."""
        if not token or len(token) > 128:
            return None
        self._ensure_table()
        with self.store.transaction(write=False) as cursor:
            cursor.execute(
                self.sql("SELECT person_key, name FROM {p}feed_tokens WHERE token_hash = ?"), (token_hash(token),)
            )
            row = cursor.fetchone()
        return Person(row["person_key"], row["name"]) if row else None
