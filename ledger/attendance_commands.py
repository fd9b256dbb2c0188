"""The attendance commands of `Ledger`: sign up, withdraw, change how one attends, and the capacity."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ledger import people, text
from ledger.errors import BadInputError
from ledger.roles import Subject, entry_of
from ledger.steps import Step
from ledger.vocabulary import check_mode

if TYPE_CHECKING:
    from ledger.attendance import Attendee, Roster
    from ledger.meeting import Meeting
    from ledger.steps import Saved


def signed_up(roster: Roster, slug: str, name: str, attendee: Attendee) -> str:
    """What a sign-up says it did (the light sign-up, ledger/quick_write.py, says it the same way)."""
    return f"signed up {name} for {slug} {roster.describe(attendee)}"


def withdrew(roster: Roster, slug: str, attendee: Attendee, waiting: list[str]) -> str:
    """What a withdrawal says it did, with whom of the waitlist `waiting` it seated."""
    return f"withdrew {attendee.name} from {slug}{roster.promoted_since(waiting)}"


class AttendanceCommands:
    """Who comes, how, and how many may: mixed into `Ledger`."""

    # Provided by Ledger.
    _run: Callable[..., Saved]
    _authorize: Callable[..., None]

    def change_capacity(self, slug: str, capacity: int | None) -> Saved:
        return self._run(slug, self.change_capacity_step(slug, capacity))

    def change_capacity_step(self, slug: str, capacity: int | None) -> Step:
        capacity = text.check_capacity(capacity)

        def change(meeting: Meeting) -> str:
            waiting = list(meeting.roster.waitlist)
            meeting.change_capacity(capacity)
            limit = "unlimited" if capacity is None else capacity
            return f"{slug} capacity is now {limit}{meeting.roster.promoted_since(waiting)}"

        return Step("capacity", change)

    def sign_up(
        self, slug: str, name: str, mode: str = "in-person", email: str | None = None, remark: str = ""
    ) -> Saved:
        return self._run(slug, self.sign_up_step(slug, name, mode, email, remark))

    def sign_up_step(self, slug: str, name: str, mode: str, email: str | None, remark: str) -> Step:
        name = people.display_name(name)
        mode = check_mode(mode)
        email = text.check("email", email) if email else None
        remark = text.check("remark", remark)

        def change(meeting: Meeting) -> str:
            meeting.sign_up(name, mode, email, remark)
            return signed_up(meeting.roster, slug, name, meeting.find_attendee(email or name))

        return Step("signup", change, lambda _: Subject(name, email))

    def withdraw(self, slug: str, name: str, reason: str = "") -> Saved:
        return self._run(slug, self.withdraw_step(slug, name, reason))

    def withdraw_step(self, slug: str, name: str, reason: str) -> Step:
        name = people.display_name(name)
        reason = text.check("reason", reason)

        def change(meeting: Meeting) -> str:
            waiting = list(meeting.roster.waitlist)
            return withdrew(meeting.roster, slug, meeting.withdraw(name, reason), waiting)

        return Step("withdraw", change, lambda meeting: entry_of(meeting, name))

    def change_attendance(
        self, slug: str, name: str, mode: str | None, remark: str | None, email: str | None = None
    ) -> Saved:
        return self._run(slug, self.change_attendance_step(slug, name, mode, remark, email))

    def change_attendance_step(
        self, slug: str, name: str, mode: str | None, remark: str | None, email: str | None = None
    ) -> Step:
        """Change how NAME attends, their remark, or their email (which then identifies them, see
        ledger/rekeying.py); the new email, like the entry, must be the account's own unless it organizes."""
        name = people.display_name(name)
        mode = check_mode(mode) if mode is not None else None
        if remark is not None:
            remark = text.check("remark", remark)
        if email is not None:
            email = text.check("email", email)
        if mode is None and remark is None and email is None:
            raise BadInputError("give --mode, --remark or --email")

        def change(meeting: Meeting) -> str:
            said = []
            found = name
            if email is not None:
                self._authorize("change", meeting, Subject(entry_of(meeting, name).person, email))
                attendee = meeting.change_email(name, email)
                found = email  # NAME may have been the email it had
                said.append(f"{attendee.name}'s email is now {email}")
            if mode is not None or remark is not None:
                waiting = list(meeting.roster.waitlist)
                attendee = meeting.change(found, mode, remark)
                promoted = meeting.roster.promoted_since(waiting, besides=attendee.key)
                now = meeting.roster.describe(meeting.roster.attendees[attendee.key])
                said.append(f"{attendee.name} is now {now}{promoted}")
            return "; ".join(said)

        return Step("change", change, lambda meeting: entry_of(meeting, name))
