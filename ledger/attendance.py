"""Attendance: who signed up how, who holds a seat, and who waits for one.

`Roster` holds the state and its plain mutations. The Meeting aggregate decides what
happens (seat or waitlist, who is promoted) and records it in events; the aggregate and
the attendee read model both apply those recorded outcomes through this one class.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import RuleError
from ledger.people import name_key, person_key
from ledger.vocabulary import MODE_LABELS


class Attendee:
    """One sign-up. `seated` only means something for in-person attendees.

    A plain class, compared and shown as a dataclass would be: every write command imports this
    module, and making a dataclass at import costs start-up time.
    """

    __slots__ = ("email", "key", "mode", "name", "remark", "seated")

    def __init__(self, key: str, name: str, email: str | None, mode: str, remark: str, seated: bool) -> None:
        self.key, self.name, self.email, self.mode, self.remark, self.seated = key, name, email, mode, remark, seated

    def _fields(self) -> tuple[Any, ...]:
        return (self.key, self.name, self.email, self.mode, self.remark, self.seated)

    def __eq__(self, other: object) -> bool:
        return type(other) is Attendee and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        return (
            f"Attendee(key={self.key!r}, name={self.name!r}, email={self.email!r}, mode={self.mode!r},"
            f" remark={self.remark!r}, seated={self.seated!r})"
        )


def takes_seat(attendee: Attendee) -> bool:
    return attendee.mode == "in-person" and attendee.seated


class Roster:
    """Attendees in sign-up order, and the waitlist in the order people joined it."""

    def __init__(
        self,
        capacity: int | None = None,
        attendees: dict[str, Attendee] | None = None,
        waitlist: list[str] | None = None,
    ) -> None:
        self.capacity = capacity
        self.attendees: dict[str, Attendee] = {} if attendees is None else attendees
        self.waitlist: list[str] = [] if waitlist is None else waitlist
        # Lookups by matching name and by email, so a sign-up need not scan the whole list.
        self._by_name: dict[str, list[str]] = {}
        self._by_email: dict[str, str] = {}
        for attendee in self.attendees.values():
            self._index(attendee)
        self._seated = sum(1 for a in self.attendees.values() if takes_seat(a))

    def __eq__(self, other: object) -> bool:
        return type(other) is Roster and (self.capacity, self.attendees, self.waitlist) == (
            other.capacity,
            other.attendees,
            other.waitlist,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def __repr__(self) -> str:
        return f"Roster(capacity={self.capacity!r}, attendees={self.attendees!r}, waitlist={self.waitlist!r})"

    def _index(self, attendee: Attendee) -> None:
        self._by_name.setdefault(name_key(attendee.name), []).append(attendee.key)
        if attendee.email:
            self._by_email[attendee.email.casefold()] = attendee.key

    def _unindex(self, attendee: Attendee) -> None:
        same_name = self._by_name[name_key(attendee.name)]
        same_name.remove(attendee.key)
        if not same_name:
            del self._by_name[name_key(attendee.name)]
        if attendee.email and self._by_email.get(attendee.email.casefold()) == attendee.key:
            del self._by_email[attendee.email.casefold()]

    def by_name(self, name: str) -> list[Attendee]:
        """Everyone signed up under this name (several only when each gave an email)."""
        return [self.attendees[key] for key in self._by_name.get(name_key(name), [])]

    def by_email(self, email: str) -> Attendee | None:
        key = self._by_email.get(email.casefold())
        return self.attendees.get(key) if key else None

    # ----- questions ---------------------------------------------------------------------

    @property
    def seated_count(self) -> int:
        return self._seated

    @property
    def free_seats(self) -> int | None:
        """Seats still free; None when the meeting has no in-person limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.seated_count, 0)

    def seat_free(self) -> bool:
        """An in-person sign-up is seated while seats are free and nobody waits."""
        free = self.free_seats
        return not self.waitlist and (free is None or free > 0)

    def to_promote(self) -> list[str]:
        """First come, first served: the head of the waitlist takes each free seat."""
        free = self.free_seats
        return list(self.waitlist) if free is None else self.waitlist[:free]

    def promoted_since(self, waiting: list[str], besides: str = "") -> str:
        """ "; promoted A, B": who of the waitlist `waiting` (but `besides`) has a seat now, else ""."""
        seated = [self.attendees[k] for k in waiting if k != besides and k in self.attendees]
        names = [attendee.name for attendee in seated if takes_seat(attendee)]
        return f"; promoted {', '.join(names)}" if names else ""

    def find(self, name_or_email: str) -> list[Attendee]:
        """Who a name or an email as typed names: everyone by that name, else the one with that email."""
        return self.by_name(name_or_email) or [a for a in [self.by_email(name_or_email.strip())] if a]

    def entry_for(self, name: str, email: str | None) -> Attendee | None:
        """The sign-up a new one by this name and email would repeat, if any."""
        # Two different people may share a name only when both gave their email.
        clashes = [a for a in self.by_name(name) if not (email and a.email)]
        same_email = self.by_email(email) if email else None
        same_key = self.attendees.get(person_key(name, email))
        return same_key or same_email or (clashes[0] if clashes else None)

    def admit(self, slug: str, cancelled: bool, name: str, mode: str, email: str | None) -> tuple[str, bool]:
        """A new sign-up's person key and whether it joins the waitlist; refused (RuleError) when the
        meeting is cancelled or the person is signed up already. The Meeting aggregate and the light
        sign-up (ledger/quick_write.py) both decide through this."""
        if cancelled:
            raise RuleError(f"{slug} is cancelled; sign-ups are closed")
        existing = self.entry_for(name, email)
        if existing is not None:
            raise RuleError(f"{existing.name} is already signed up for {slug}: {self.describe(existing)}")
        return person_key(name, email), mode == "in-person" and not self.seat_free()

    def waitlist_position(self, key: str) -> int | None:
        return self.waitlist.index(key) + 1 if key in self.waitlist else None

    def describe(self, attendee: Attendee) -> str:
        """The page's way of writing an entry: "(In Person) remark"."""
        label = MODE_LABELS[attendee.mode]
        position = self.waitlist_position(attendee.key)
        if position is not None:
            label += f", waitlist {position}"
        return f"({label})" + (f" {attendee.remark}" if attendee.remark else "")

    # ----- recorded outcomes -----------------------------------------------------------------

    def add(self, key: str, name: str, email: str | None, mode: str, remark: str, waitlisted: bool) -> None:
        attendee = Attendee(
            key=key,
            name=name,
            email=email,
            mode=mode,
            remark=remark,
            seated=mode == "in-person" and not waitlisted,
        )
        self.attendees[key] = attendee
        self._index(attendee)
        self._seated += takes_seat(attendee)
        if waitlisted:
            self.waitlist.append(key)

    def remove(self, key: str) -> None:
        attendee = self.attendees.pop(key)
        self._unindex(attendee)
        self._seated -= takes_seat(attendee)
        if key in self.waitlist:
            self.waitlist.remove(key)

    def change(self, key: str, mode: str, remark: str, waitlisted: bool) -> None:
        attendee = self.attendees[key]
        self._seated -= takes_seat(attendee)
        attendee.mode, attendee.remark = mode, remark
        attendee.seated = mode == "in-person" and not waitlisted
        self._seated += takes_seat(attendee)
        if waitlisted and key not in self.waitlist:
            self.waitlist.append(key)
        if not waitlisted and key in self.waitlist:
            self.waitlist.remove(key)

    def rekey(self, previous_key: str, person_key: str, email: str) -> None:
        """An entry identified anew (ledger/rekeying.py): it keeps its place in the list and on the waitlist."""
        attendee = self.attendees[previous_key]
        self._unindex(attendee)
        attendee.key, attendee.email = person_key, email
        self.attendees = {person_key if k == previous_key else k: a for k, a in self.attendees.items()}
        self.waitlist = [person_key if k == previous_key else k for k in self.waitlist]
        self._index(attendee)

    def promote(self, key: str) -> None:
        self.waitlist.remove(key)
        attendee = self.attendees[key]
        self._seated -= takes_seat(attendee)
        attendee.seated = True
        self._seated += takes_seat(attendee)

    # ----- storage -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            # Written out by hand: dataclasses.asdict deep-copies and dominated rebuild time.
            "attendees": [
                {"key": a.key, "name": a.name, "email": a.email, "mode": a.mode, "remark": a.remark, "seated": a.seated}
                for a in self.attendees.values()
            ],
            "waitlist": list(self.waitlist),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Roster:
        return cls(
            capacity=data["capacity"],
            attendees={
                a["key"]: Attendee(a["key"], a["name"], a["email"], a["mode"], a["remark"], a["seated"])
                for a in data["attendees"]
            },
            waitlist=list(data["waitlist"]),
        )
