"""Who is signed in, as the web sees it, and running a command as that account.

The Ledger owns accounts, tokens and roles; this module only asks it. Until a Ledger knows accounts,
the account named by a trusted proxy header stands for itself and acts as the event's actor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ledger import people


@dataclass(frozen=True)
class Viewer:
    """A signed-in account: its name, the person it signs up as, and whether it is a ledger admin."""

    name: str
    person: str
    admin: bool = False


def _viewer(account: Any) -> Viewer | None:
    if account is None or getattr(account, "revoked", False):
        return None
    person = getattr(account, "person", None) or account.name
    return Viewer(account.name, str(getattr(person, "name", person)), bool(getattr(account, "admin", False)))


def by_name(app: Any, name: str) -> Viewer | None:
    """The live account of that name, or None (unknown or revoked)."""
    if not hasattr(app, "account"):
        return Viewer(name, name)
    return _viewer(app.account(name))


def by_api_token(app: Any, token: str) -> Viewer | None:
    if not token or len(token) > 256 or not hasattr(app, "account_for_token"):
        return None
    return _viewer(app.account_for_token(token))


def redeem_sign_in(app: Any, token: str) -> Viewer | None:
    """The account a one-time sign-in link was issued for; the link is used up by this call."""
    if not token or len(token) > 256 or not hasattr(app, "redeem_sign_in_token"):
        return None
    return _viewer(app.redeem_sign_in_token(token))


def roles(app: Any, slug: str, viewer: Viewer | None) -> frozenset[str]:
    """What the viewer may do in this meeting, to decide which controls to show (the Ledger enforces)."""
    if viewer is None:
        return frozenset()
    if not hasattr(app, "roles"):
        return frozenset({"participant", "organizer"})
    return frozenset(app.roles(slug, viewer.name))


@contextlib.contextmanager
def acting(app: Any, viewer: Viewer, for_person: str | None = None) -> Iterator[None]:
    """Run the commands inside as the signed-in account."""
    if hasattr(app, "acting"):
        with app.acting(viewer.name, for_person=for_person):
            yield
        return
    actor = people.actor_var.set(for_person or viewer.name)
    principal = people.principal_var.set(viewer.name)
    try:
        yield
    finally:
        people.actor_var.reset(actor)
        people.principal_var.reset(principal)
