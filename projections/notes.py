"""Notes: the current text of each section and every revision, with who saved it and when."""

from __future__ import annotations

from typing import Any

from projections.events import LedgerEvent
from projections.store import DocumentModel, PerMeeting


class NotesModel(PerMeeting, DocumentModel):
    """One document per meeting: sections mapped to their revisions, oldest first."""

    name = "notes"
    version = 1
    kinds = frozenset({"Scheduled", "NotesEdited"})
    personal_kinds = frozenset({"NotesEdited"})

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        if event.kind == "Scheduled":
            return {"sections": {}}
        assert doc is not None
        data = event.data
        doc["sections"].setdefault(data["section"], []).append(
            {
                "revision": data["revision"],
                "text": data["text"],
                "base_revision": data["base_revision"],
                "merged": data["merged"],
                "by": event.actor,
                "at": event.timestamp,
            }
        )
        return doc
