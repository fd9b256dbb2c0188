"""People: how names are matched, who is acting, and who is authenticated."""

from __future__ import annotations

import os
from contextvars import ContextVar

from ledger import text

# Set once per process by the CLI (or per request by a server); every event reads them.
# The principal is the authenticated account; the actor is the person acted for (by default
# the account's own person, see Ledger._authorize).
actor_var: ContextVar[str] = ContextVar("actor", default="")
principal_var: ContextVar[str] = ContextVar("principal", default="")


def login_name() -> str:
    """The OS account running this process, from its user id (LOGNAME and USER can be set by anyone)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # no passwd entry, e.g. in some containers
        return f"uid-{os.geteuid()}"


def resolve_actor(explicit: str | None) -> str | None:
    """The person acted for: `--as NAME`, else MEETINGS_ACTOR, else None (the account's own person)."""
    chosen = explicit if explicit is not None else os.environ.get("MEETINGS_ACTOR") or None
    if chosen is None:
        return None
    return display_name(text.check("actor", chosen))


def display_name(name: str) -> str:
    """The display form keeps the user's spelling in NFC, drops invisible characters and collapses
    runs of spaces; bidirectional controls are refused (`text.person_name`, the one rule for names)."""
    return text.check("name", name)


def name_key(name: str) -> str:
    """Matching ignores Unicode normalisation, invisible characters, case and repeated spaces."""
    return text.name_key(name)


def person_key(name: str, email: str | None) -> str:
    """When an email is given it identifies the person; otherwise the name does."""
    if email:
        return "email:" + email.strip().casefold()
    return "name:" + name_key(name)


def is_email(typed: str) -> bool:
    """What a user typed to name someone is an email when it holds an "@"."""
    return "@" in typed


def typed_person_key(typed: str) -> str:
    """The person key for a name or an email as a user typed it (the key `person_key` gives at sign-up)."""
    return person_key(typed, typed if is_email(typed) else None)
