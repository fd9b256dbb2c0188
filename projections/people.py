"""Each person's meetings: what a "meetings I attend" feed needs."""

from __future__ import annotations

from typing import Any

from projections.events import LedgerEvent
from projections.store import DocumentModel

# Between the person and the meeting in a document key. Names never hold control
# characters (ledger/text.py), so it cannot occur inside a person key.
SEPARATOR = "\x1f"


def person_prefix(person_key: str) -> str:
    return person_key + SEPARATOR


class PeopleModel(DocumentModel):
    """One small document per person and meeting they signed up for.

    A document per person listing all their meetings would grow with history; a regular
    attending thousands of meetings would make every rebuild batch re-encode it.
    """

    name = "people"
    version = 2
    kinds = frozenset({"SignedUp", "Withdrew", "AttendanceChanged"})

    def key(self, event: LedgerEvent) -> str | None:
        return person_prefix(str(event.data["person_key"])) + event.meeting_id

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "Withdrew":
            return None
        if event.kind == "SignedUp":
            return {
                "person_key": data["person_key"],
                "name": data["person"],
                "email": data["email"],
                "meeting_id": event.meeting_id,
                "mode": data["mode"],
            }
        if doc is not None:  # AttendanceChanged
            doc["mode"] = data["mode"]
        return doc
