"""Secrets that prove an account: personal API tokens and one-time sign-in links.

A secret is shown once, when issued; only its SHA-256 is stored, in a side table beside the
events (secrets must be revocable, so they cannot live in the append-only chain). Lookup is by
that hash, so a stolen copy of the table signs nobody in, and the comparison leaks nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.storage.adapter import ACCOUNT_CREDENTIALS

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
API_TOKEN, SIGN_IN = "api", "sign-in"
SIGN_IN_LIFETIME = timedelta(minutes=15)
TABLE = ACCOUNT_CREDENTIALS.name


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Credentials:
    """Issue, revoke and check the secrets of accounts, in the ledger's own database."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.sql = storage.sql
        self._ensured = False

    def _ensure_table(self) -> None:
        if self._ensured:
            return
        with self.storage.transaction(write=True) as cursor:
            self.storage.ensure_side_table(cursor, ACCOUNT_CREDENTIALS)
        self._ensured = True

    def issue(self, account: str, kind: str, lifetime: timedelta | None = None) -> str:
        """A new secret for the account. A new API token replaces the account's earlier one."""
        self._ensure_table()
        secret = secrets.token_urlsafe(TOKEN_BYTES)
        now = datetime.now(UTC)
        expires = (now + lifetime).isoformat() if lifetime is not None else None
        with self.storage.transaction(write=True) as cursor:
            if kind == API_TOKEN:
                cursor.execute(self.sql("DELETE FROM {p}" + TABLE + " WHERE account = ? AND kind = ?"), (account, kind))
            cursor.execute(
                self.sql(
                    "INSERT INTO {p}" + TABLE + " (token_hash, account, kind, issued_at, expires_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                ),
                (digest(secret), account, kind, now.isoformat(), expires),
            )
        return secret

    def revoke(self, account: str, kind: str) -> int:
        """Forget the account's secrets of this kind; how many there were."""
        self._ensure_table()
        with self.storage.transaction(write=True) as cursor:
            where = " WHERE account = ? AND kind = ?"
            cursor.execute(self.sql("SELECT count(*) AS n FROM {p}" + TABLE + where), (account, kind))
            row = cursor.fetchone()
            cursor.execute(self.sql("DELETE FROM {p}" + TABLE + where), (account, kind))
        return int(row["n"]) if row else 0

    def account_for(self, secret: str, kind: str) -> str | None:
        """The account an API token belongs to, or None."""
        if not secret or len(secret) > 128:
            return None
        self._ensure_table()
        with self.storage.transaction(write=False) as cursor:
            cursor.execute(
                self.sql("SELECT account FROM {p}" + TABLE + " WHERE token_hash = ? AND kind = ?"),
                (digest(secret), kind),
            )
            row = cursor.fetchone()
        return str(row["account"]) if row else None

    def redeem(self, secret: str) -> str | None:
        """The account a sign-in link belongs to, once: the link is used up, and refused after expiry."""
        if not secret or len(secret) > 128:
            return None
        self._ensure_table()
        now = datetime.now(UTC).isoformat()
        with self.storage.transaction(write=True) as cursor:
            cursor.execute(
                self.sql(
                    "UPDATE {p}" + TABLE + " SET used_at = ?"
                    " WHERE token_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?"
                ),
                (now, digest(secret), SIGN_IN, now),
            )
            if cursor.rowcount != 1:
                return None
            cursor.execute(self.sql("SELECT account FROM {p}" + TABLE + " WHERE token_hash = ?"), (digest(secret),))
            row = cursor.fetchone()
        return str(row["account"]) if row else None
