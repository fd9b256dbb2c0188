"""The agenda tree: topics and sub-topics in order, numbered as the page shows them."""

from __future__ import annotations

from typing import Any

from ledger.agenda import Agenda
from projections.events import LedgerEvent


class AgendaModel:
    """One document per meeting: the agenda the domain recorded."""

    name = "agenda"
    version = 1
    kinds = frozenset({"Scheduled", "TopicProposed", "TopicRetitled", "TopicMoved", "TopicWithdrawn"})

    def key(self, event: LedgerEvent) -> str | None:
        return event.meeting_id

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "Scheduled":
            return Agenda().to_dict()
        assert doc is not None
        agenda = Agenda.from_dict(doc)
        if event.kind == "TopicProposed":
            agenda.add(data["topic_id"], data["title"], data["person"], data["parent_id"])
        elif event.kind == "TopicRetitled":
            agenda.retitle(data["topic_id"], data["title"])
        elif event.kind == "TopicMoved":
            agenda.move(data["topic_id"], data["position"])
        elif event.kind == "TopicWithdrawn":
            agenda.withdraw(data["topic_id"])
        return agenda.to_dict()
