"""The key that signs session cookies: made at random on first use and kept in a side table of the ledger.

Kept in the database (table `web_secrets`, beside `feed_tokens`) rather than in a file, so that several
servers on one PostgreSQL ledger sign and accept the same cookies, and a restart does not sign everyone out.
Whoever can read the database can forge a session, as they could already read every event; it is never
logged or shown.
"""

from __future__ import annotations

import secrets

from projections.store import ReadStore

SECRET_BYTES = 32


def session_key(store: ReadStore) -> str:
    """The ledger's cookie-signing key, created by whichever server asks first (the others then read it)."""
    sql = store.storage.sql
    with store.transaction(write=True) as cursor:
        cursor.execute(sql("CREATE TABLE IF NOT EXISTS {p}web_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)"))
        cursor.execute(
            sql("INSERT INTO {p}web_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
            ("session", secrets.token_urlsafe(SECRET_BYTES)),
        )
        cursor.execute(sql("SELECT value FROM {p}web_secrets WHERE name = ?"), ("session",))
        row = cursor.fetchone()
    return str(row["value"])
