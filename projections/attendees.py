"""The attendee list: seated in sign-up order, the waitlist, remote, undecided, and who withdrew."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.attendance import Roster
from projections.events import LedgerEvent
from projections.store import PerMeeting


@dataclass
class AttendeeList:
    """The roster the domain recorded, plus who withdrew (latest withdrawal per person)."""

    roster: Roster
    withdrawn: dict[str, dict[str, Any]] = field(default_factory=dict)


class AttendeesModel(PerMeeting):
    """One document per meeting."""

    name = "attendees"
    version = 2
    kinds = frozenset(
        {"Scheduled", "CapacityChanged", "SignedUp", "Withdrew", "AttendanceChanged", "Promoted", "EmailChanged"}
    )
    personal_kinds = kinds - {"Scheduled", "CapacityChanged"}

    def load(self, doc: dict[str, Any]) -> AttendeeList:
        return AttendeeList(Roster.from_dict(doc), {w["key"]: w for w in doc["withdrawn"]})

    def dump(self, state: AttendeeList) -> dict[str, Any]:
        return {**state.roster.to_dict(), "withdrawn": list(state.withdrawn.values())}

    def apply(self, state: AttendeeList | None, event: LedgerEvent) -> AttendeeList:
        data = event.data
        if event.kind == "Scheduled":
            return AttendeeList(Roster(capacity=data["capacity"]))
        assert state is not None
        roster = state.roster
        if event.kind == "CapacityChanged":
            roster.capacity = data["capacity"]
        elif event.kind == "SignedUp":
            roster.add(
                data["person_key"], data["person"], data["email"], data["mode"], data["remark"], data["waitlisted"]
            )
            state.withdrawn.pop(data["person_key"], None)
        elif event.kind == "Withdrew":
            roster.remove(data["person_key"])
            state.withdrawn.pop(data["person_key"], None)  # re-inserted last: withdrawals stay in time order
            state.withdrawn[data["person_key"]] = {
                "key": data["person_key"],
                "name": data["person"],
                "reason": data["reason"],
                "by": event.actor,
                "at": event.timestamp,
            }
        elif event.kind == "AttendanceChanged":
            roster.change(data["person_key"], data["mode"], data["remark"], data["waitlisted"])
        elif event.kind == "Promoted":
            roster.promote(data["person_key"])
        elif event.kind == "EmailChanged":
            roster.rekey(data["previous_key"], data["person_key"], data["email"])
        return state
