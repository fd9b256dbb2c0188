"""The base of every aggregate and its events: who performed each event, and as whom they were authenticated.

Its own module, apart from `ledger.people`, so that what names and matches people can be
used without importing eventsourcing (the light sign-up, `ledger/quick_write.py`).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.people import actor_var, principal_var


class AttributedEvent(Aggregate.Event):
    """The base of every aggregate's events: each records who performed it and as whom they were
    authenticated, taken from the variables above when it is made (never passed in)."""

    actor: str = field(default_factory=actor_var.get, init=False)
    principal: str = field(default_factory=principal_var.get, init=False)


class LedgerAggregate(Aggregate):
    """The base of the ledger's aggregates: every event is attributed and stored under the aggregate's topic.

    A subclass sets TOPIC (its stored topic, part of the data: it never follows the code layout)
    and either STREAM_ID, when a ledger holds one stream of it, or its own `create_id`.
    """

    # eventsourcing derives this class's own "Created" event from it, and a subclass's first event
    # (Scheduled, Opened, ...) from that "Created": so it too must be attributed.
    class Event(AttributedEvent):
        pass

    # No class annotations here: eventsourcing makes an aggregate class with annotations a
    # dataclass, and every subclass's events would take them as fields.
    @classmethod
    def create_id(cls, *_: Any, **__: Any) -> UUID:
        """The one stream's id, STREAM_ID, for an aggregate a ledger holds one of."""
        stream: UUID = vars(cls)["STREAM_ID"]
        return stream

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # eventsourcing derives the subclass's events from the class named Event when it sees
        # the subclass (just below), and the "Created" event it derives inherits this class's
        # topic: so it is made here, under TOPIC.Event, as each aggregate once spelled it out.
        topic = cls.__dict__["TOPIC"]
        event_class = type(
            "Event",
            (AttributedEvent,),
            {"TOPIC": f"{topic}.Event", "__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.Event"},
        )
        setattr(cls, "Event", event_class)  # noqa: B010 (mypy knows Event only as Aggregate.Event)
        super().__init_subclass__(**kwargs)
