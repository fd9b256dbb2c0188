"""Each person's meetings: what a "meetings I attend" feed needs."""

from __future__ import annotations

from typing import Any

from projections.events import LedgerEvent
from projections.store import DocumentModel


class PeopleModel(DocumentModel):
    """One document per person (by email when given, else by name)."""

    name = "people"
    version = 1
    kinds = frozenset({"SignedUp", "Withdrew", "AttendanceChanged"})

    def key(self, event: LedgerEvent) -> str | None:
        return str(event.data["person_key"])

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        doc = doc or {"name": data["person"], "email": None, "meetings": {}}
        if event.kind == "SignedUp":
            doc["name"], doc["email"] = data["person"], data["email"]
            doc["meetings"][event.meeting_id] = data["mode"]
        elif event.kind == "AttendanceChanged":
            doc["meetings"][event.meeting_id] = data["mode"]
        elif event.kind == "Withdrew":
            doc["meetings"].pop(event.meeting_id, None)
        return doc if doc["meetings"] else None
