"""The base of every aggregate's events: who performed it, and as whom they were authenticated.

Its own module, apart from `ledger.people`, so that what names and matches people can be
used without importing eventsourcing (the light sign-up, `ledger/quick_write.py`).
"""

from __future__ import annotations

from dataclasses import field

from eventsourcing.domain import Aggregate

from ledger.people import actor_var, principal_var


class AttributedEvent(Aggregate.Event):
    """The base of every aggregate's events: each records who performed it and as whom they were
    authenticated, taken from the variables above when it is made (never passed in)."""

    actor: str = field(default_factory=actor_var.get, init=False)
    principal: str = field(default_factory=principal_var.get, init=False)
