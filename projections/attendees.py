"""The attendee list: seated in sign-up order, the waitlist, remote, undecided, and who withdrew."""

from __future__ import annotations

from typing import Any

from ledger.attendance import Roster
from projections.events import LedgerEvent


class AttendeesModel:
    """One document per meeting: the roster the domain recorded, plus withdrawals."""

    name = "attendees"
    version = 1
    kinds = frozenset({"Scheduled", "CapacityChanged", "SignedUp", "Withdrew", "AttendanceChanged", "Promoted"})

    def key(self, event: LedgerEvent) -> str | None:
        return event.meeting_id

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "Scheduled":
            return {**Roster(capacity=data["capacity"]).to_dict(), "withdrawn": []}
        assert doc is not None
        roster = Roster.from_dict(doc)
        withdrawn: list[dict[str, Any]] = doc["withdrawn"]
        if event.kind == "CapacityChanged":
            roster.capacity = data["capacity"]
        elif event.kind == "SignedUp":
            roster.add(
                data["person_key"], data["person"], data["email"], data["mode"], data["remark"], data["waitlisted"]
            )
            withdrawn = [w for w in withdrawn if w["key"] != data["person_key"]]
        elif event.kind == "Withdrew":
            roster.remove(data["person_key"])
            withdrawn = [w for w in withdrawn if w["key"] != data["person_key"]] + [
                {
                    "key": data["person_key"],
                    "name": data["person"],
                    "reason": data["reason"],
                    "by": event.actor,
                    "at": event.timestamp,
                }
            ]
        elif event.kind == "AttendanceChanged":
            roster.change(data["person_key"], data["mode"], data["remark"], data["waitlisted"])
        elif event.kind == "Promoted":
            roster.promote(data["person_key"])
        return {**roster.to_dict(), "withdrawn": withdrawn}
