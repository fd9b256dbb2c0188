"""Feeds: which meetings each calendar URL shows, and the personal feed tokens behind /people/TOKEN.ics.

A token is shown once, when issued; only its SHA-256 is stored, in a small table beside the ledger. Lookup
is by that hash, so a guess costs a full preimage search and the comparison never leaks how much matched.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from exports import calendar
from ledger import people
from ledger.errors import BadInputError, NotFoundError
from ledger.storage.adapter import FEED_TOKENS
from projections.store import ReadStore
from projections.views import everyone, person_meetings

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG: not guessable, not enumerable


@dataclass(frozen=True)
class Person:
    """Whose meetings a personal feed shows."""

    key: str
    name: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class FeedTokens:
    """Issue, revoke and resolve personal feed tokens (one live token per person)."""

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.sql = store.dialect.sql
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


def find_person(store: ReadStore, name: str) -> Person:
    """A person who has signed up, by email or by name (ignoring case and extra spaces)."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise BadInputError("give a person's name or email")
    if "@" in cleaned:
        key = people.person_key(cleaned, cleaned)
        entries = person_meetings(store, key)
        if not entries:
            raise NotFoundError(f"no one with email {cleaned!r} has signed up for a meeting")
        return Person(key, str(entries[-1]["name"]))
    wanted = people.name_key(cleaned)
    named = {entry["person_key"]: entry for entry in everyone(store) if people.name_key(entry["name"]) == wanted}
    matches = list(named.items())
    if not matches:
        raise NotFoundError(f"no one called {cleaned!r} has signed up for a meeting")
    if len(matches) > 1:
        raise BadInputError(f"several people are called {cleaned!r}; give the email instead")
    key, doc = matches[0]
    return Person(key, str(doc["name"]))


# ----- which meetings each feed shows --------------------------------------------------------


def all_meetings_feed(store: ReadStore, now: datetime, past_days: int = calendar.PAST_WINDOW_DAYS) -> calendar.Feed:
    """Upcoming meetings plus those that ended within the past window."""
    entries = calendar.load_all(store)
    kept, last_modified = calendar.select_recent(entries, now, past_days)
    return calendar.Feed(calendar.render(kept, "Meetings", "Every meeting in the ledger"), last_modified)


def meeting_feed(store: ReadStore, slug: str) -> calendar.Feed:
    return calendar.render_meeting(calendar.load_entry(store, slug))


def person_feed(
    store: ReadStore, person: Person, now: datetime, past_days: int = calendar.PAST_WINDOW_DAYS
) -> calendar.Feed:
    """The meetings the person is signed up for (in any mode), upcoming plus the recent past."""
    mine = {doc["meeting_id"] for doc in person_meetings(store, person.key)}
    entries = calendar.load_all(store)
    kept, last_modified = calendar.select_recent([e for e in entries if e.meeting_id in mine], now, past_days)
    # A withdrawal removes a meeting: every meeting's updated_at counts towards Last-Modified.
    last_modified = max([last_modified, *(e.updated_at for e in entries)])
    return calendar.Feed(calendar.render(kept, f"Meetings of {person.name}"), last_modified)
