"""The agenda tree: topics and sub-topics in order, numbered as the page shows them."""

from __future__ import annotations

from typing import Any

from ledger.agenda import Agenda
from projections.events import LedgerEvent
from projections.store import PerMeeting


class AgendaModel(PerMeeting):
    """One document per meeting: the agenda the domain recorded."""

    name = "agenda"
    version = 2
    kinds = frozenset({"Scheduled", "TopicProposed", "TopicRetitled", "TopicMoved", "TopicWithdrawn"})
    personal_kinds = frozenset({"TopicProposed", "TopicRetitled", "TopicWithdrawn"})

    def load(self, doc: dict[str, Any]) -> Agenda:
        return Agenda.from_dict(doc)

    def dump(self, state: Agenda) -> dict[str, Any]:
        return state.to_dict()

    def apply(self, state: Agenda | None, event: LedgerEvent) -> Agenda:
        data = event.data
        if event.kind == "Scheduled":
            return Agenda()
        assert state is not None
        if event.kind == "TopicProposed":
            state.add(data["topic_id"], data["title"], data["person"], data["parent_id"])
        elif event.kind == "TopicRetitled":
            state.retitle(data["topic_id"], data["title"])
        elif event.kind == "TopicMoved":
            state.move(data["topic_id"], data["position"])
        elif event.kind == "TopicWithdrawn":
            state.withdraw(data["topic_id"])
        return state
