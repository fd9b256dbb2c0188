"""Each person's meetings: what a "meetings I attend" feed needs."""

from __future__ import annotations

from typing import Any

from projections.events import LedgerEvent
from projections.store import DocumentModel, PerMeeting


class PeopleModel(PerMeeting, DocumentModel):
    """One document per meeting: the people signed up for it, by person key.

    Other shapes were measured and dropped. A document per person grows with their history
    (a regular at thousands of meetings), and a rebuild re-encoded it in every batch; a
    document per person and meeting made a rebuild write one row per sign-up, which was
    most of its time. A person's meetings are found by scanning these documents for the
    person's key (see `ReadStore.containing`): work in proportion to the meetings, which
    is what the person's feed renders anyway.
    """

    name = "people"
    version = 3
    kinds = frozenset({"Scheduled", "SignedUp", "Withdrew", "AttendanceChanged", "EmailChanged"})
    personal_kinds = kinds - {"Scheduled"}

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "Scheduled":
            return {"meeting_id": event.meeting_id, "people": {}}
        assert doc is not None, f"event {event.position} precedes its meeting's creation"
        signed_up = doc["people"]
        if event.kind == "SignedUp":
            signed_up[data["person_key"]] = {"name": data["person"], "email": data["email"], "mode": data["mode"]}
        elif event.kind == "Withdrew":
            signed_up.pop(data["person_key"], None)
        elif event.kind == "EmailChanged":
            entry = signed_up.pop(data["previous_key"], None)
            if entry is not None:
                signed_up[data["person_key"]] = {**entry, "email": data["email"]}
            # Kept after a withdrawal too: erasing either identity erases both (`email_changes`).
            doc.setdefault("rekeyed", []).append([data["previous_key"], data["person_key"]])
        elif data["person_key"] in signed_up:  # AttendanceChanged
            signed_up[data["person_key"]]["mode"] = data["mode"]
        return doc


def email_changes(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(person key before, person key after) of each email change in the meeting, oldest first."""
    return [(before, after) for before, after in doc.get("rekeyed", ())]


def entries(doc: dict[str, Any], person_key: str | None = None) -> list[dict[str, Any]]:
    """One entry per person signed up (or only `person_key`'s): key, name, email, meeting and mode."""
    people = doc["people"]
    keys = people if person_key is None else ([person_key] if person_key in people else [])
    return [{"person_key": key, **people[key], "meeting_id": doc["meeting_id"]} for key in keys]
