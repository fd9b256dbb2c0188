"""Who is signed in, as the web sees it, and running a command as that account.

The Ledger owns accounts, tokens, sign-in links and roles; this module only asks it, and turns
what it answers into the small `Viewer` the templates and routes use.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SECRET_MAX = 256  # longer than any token we issue: refused before any lookup


@dataclass(frozen=True)
class Viewer:
    """A signed-in account: its name, the person it signs up as, and whether it is a ledger admin."""

    name: str
    person: str
    admin: bool = False


def _viewer(account: Any) -> Viewer | None:
    if account is None or account.revoked:
        return None
    return Viewer(account.name, account.person or account.name, account.admin)


def by_name(app: Any, name: str) -> Viewer | None:
    """The live account of that name, or None (revoked). A name nobody registered is an account of its own."""
    return _viewer(app.account(name))


def by_api_token(app: Any, token: str) -> Viewer | None:
    if not token or len(token) > SECRET_MAX:
        return None
    return _viewer(app.account_for_token(token))


def redeem_sign_in(app: Any, token: str) -> Viewer | None:
    """The account a one-time sign-in link was issued for; the link is used up by this call."""
    if not token or len(token) > SECRET_MAX:
        return None
    return _viewer(app.redeem_sign_in_token(token))


def roles(app: Any, slug: str, viewer: Viewer | None) -> frozenset[str]:
    """What the viewer may do in this meeting, to decide which controls to show (the Ledger enforces)."""
    if viewer is None:
        return frozenset()
    return frozenset(app.roles(slug, viewer.name))


def series_roles(app: Any, slug: str, viewer: Viewer | None) -> frozenset[str]:
    """What the viewer may do in a series (its exception controls)."""
    if viewer is None:
        return frozenset()
    return frozenset(app.series_roles(slug, viewer.name))


@contextlib.contextmanager
def acting(app: Any, viewer: Viewer, for_person: str | None = None) -> Iterator[None]:
    """Run the commands inside as the signed-in account."""
    with app.acting(viewer.name, for_person=for_person):
        yield
