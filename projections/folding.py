"""A read model's documents computed from events in memory, without the read store: for `--as-of` reads,
for `verify --deep` (which folds every model in one pass over the ledger) and for tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from projections.events import LedgerEvent
from projections.store import ReadModel


class Folding:
    """One model's states, advanced an event at a time, up to and including position `until`."""

    def __init__(self, model: ReadModel, until: float = float("inf")) -> None:
        self.model = model
        self.until = until
        self.states: dict[str, Any] = {}

    def apply(self, event: LedgerEvent) -> None:
        model = self.model
        if event.kind not in model.kinds or event.position > self.until:
            return
        key = model.key(event)
        if key is None:
            return
        result = model.apply(self.states.get(key), event)
        if result is None:
            self.states.pop(key, None)
        else:
            self.states[key] = result

    def documents(self) -> dict[str, dict[str, Any]]:
        """The documents, through a JSON round trip exactly as stored documents are."""
        dump = self.model.dump
        return {key: as_stored(dump(state)) for key, state in self.states.items()}


def as_stored(doc: dict[str, Any]) -> dict[str, Any]:
    """A document as JSON gives it back (tuples as lists, keys as strings), as a stored one reads."""
    result: dict[str, Any] = json.loads(json.dumps(doc))
    return result


def fold(model: ReadModel, events: Iterable[LedgerEvent]) -> dict[str, dict[str, Any]]:
    """The model's documents from these events alone."""
    folding = Folding(model)
    for event in events:
        folding.apply(event)
    return folding.documents()
