"""The Meeting aggregate: every change to a meeting is one of the events defined here.

Public methods check the rules of PRODUCT.md section 2 and then call a private `@event`
method that only changes state, so replaying stored events never re-runs a rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.domain import event

from ledger import edits, notes, rekeying, roles, text
from ledger.agenda import Agenda, Topic
from ledger.attendance import Attendee, Roster
from ledger.attributed import LedgerAggregate
from ledger.errors import BadInputError, NotFoundError, RuleError
from ledger.streams import meeting_id
from ledger.vocabulary import DEFAULT_ATTENDEE_LIST

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.timing import Schedule

    # (section, revision) -> that revision's text, read from the stored events.
    NotesHistory = Callable[[str, int], str]

# Stored topic names. They are part of the data, not of the code layout: renaming or
# moving a module must never change them.
TOPIC_PREFIX = "meeting-ledger:Meeting"


class Meeting(LedgerAggregate):
    """A meeting's details, attendance, agenda and notes."""

    TOPIC = TOPIC_PREFIX
    # Version 2 keeps only each notes section's current text and revision number; an older
    # revision, needed only as the base of a stale edit or by a restore, is read from the
    # events. Version 1 kept every revision's text, so snapshots grew with every edit.
    # Version 3 adds the organizers (accounts). None until they first change: the organizer
    # is then the account that created the meeting (recorded with its first event).
    # Version 4 adds how much of the attendee list is public (set by an `Edited` event).
    class_version = 4

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A version 1 snapshot's state, as version 2 keeps it."""
        history: dict[str, list[str]] = state.pop("notes")
        state["notes"] = {section: texts[-1] for section, texts in history.items() if texts}
        state["notes_revisions"] = {section: len(texts) for section, texts in history.items() if texts}

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["organizers"] = None

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        state["attendee_list"] = DEFAULT_ATTENDEE_LIST

    # ----- identity -------------------------------------------------------------------

    @staticmethod
    def create_id(slug: str) -> UUID:
        """Slugs are unique because the id is derived from them: a second create collides."""
        return meeting_id(slug)

    # ----- events ----------------------------------------------------------------------
    # Each `@event(NAME, topic=...)` below defines the event class Meeting.NAME from the
    # decorated method's parameters (one class each, which keeps start-up fast), stored
    # under a fixed topic name.

    # ----- creation --------------------------------------------------------------------

    @event("Scheduled", topic=f"{TOPIC_PREFIX}.Scheduled")
    def __init__(
        self,
        slug: str,
        title: str,
        start: str,
        end: str,
        timezone: str,
        location: str,
        video_url: str,
        description: str,
        capacity: int | None,
        calendar_uid: str,
    ) -> None:
        self.slug = slug
        self.title = title
        self.start = start
        self.end = end
        self.timezone = timezone
        self.location = location
        self.video_url = video_url
        self.description = description
        self.calendar_uid = calendar_uid
        self.publish_emails = False
        self.attendee_list: str = DEFAULT_ATTENDEE_LIST  # see ledger.vocabulary.ATTENDEE_LISTS
        self.cancelled = False
        self.roster = Roster(capacity=capacity)
        self.agenda = Agenda()
        self.notes: dict[str, str] = {}  # section -> current text
        self.notes_revisions: dict[str, int] = {}  # section -> its latest revision number
        self.organizers: list[str] | None = None  # None: only the creator (see Ledger.organizers_of)

    @classmethod
    def schedule(cls, slug: str, title: str, schedule: Schedule, details: text.Details | None = None) -> Meeting:
        details = details or text.Details()
        # A random, stored UID: calendar clients key on it, so it never changes.
        return cls(slug=slug, title=title, **schedule.stored(), **details._asdict(), calendar_uid=str(uuid4()))

    # ----- meeting details ------------------------------------------------------------

    EDITABLE = ("title", "location", "video_url", "description", "publish_emails", "attendee_list")

    def edit(self, **changes: Any) -> None:
        unknown = set(changes) - set(self.EDITABLE)
        if unknown:
            raise RuleError(f"cannot edit {', '.join(sorted(unknown))}")
        self._edit(changes=edits.effective(vars(self), changes, self.slug))

    @event("Edited", topic=f"{TOPIC_PREFIX}.Edited")
    def _edit(self, changes: dict[str, Any]) -> None:
        edits.apply(self, changes)

    def reschedule(self, schedule: Schedule) -> None:
        if (schedule.start_iso, schedule.end_iso, schedule.zone) == (self.start, self.end, self.timezone):
            raise RuleError(f"{self.slug} is already at that time")
        self._reschedule(**schedule.stored())

    @event("Rescheduled", topic=f"{TOPIC_PREFIX}.Rescheduled")
    def _reschedule(self, start: str, end: str, timezone: str) -> None:
        self.start, self.end, self.timezone = start, end, timezone

    def cancel(self, reason: str) -> None:
        if self.cancelled:
            raise RuleError(f"{self.slug} is already cancelled")
        self._cancel(reason=reason)

    @event("Cancelled", topic=f"{TOPIC_PREFIX}.Cancelled")
    def _cancel(self, reason: str) -> None:
        self.cancelled = True

    def reinstate(self) -> None:
        if not self.cancelled:
            raise RuleError(f"{self.slug} is not cancelled")
        self._reinstate()

    @event("Reinstated", topic=f"{TOPIC_PREFIX}.Reinstated")
    def _reinstate(self) -> None:
        self.cancelled = False

    def change_capacity(self, capacity: int | None) -> None:
        """Lowering never removes anyone (the meeting shows over capacity); raising promotes."""
        if capacity == self.roster.capacity:
            shown = "no limit" if capacity is None else f"capacity {capacity}"
            raise RuleError(f"{self.slug} already has {shown}")
        self._change_capacity(capacity=capacity)
        self._promote_waitlisted()

    @event("CapacityChanged", topic=f"{TOPIC_PREFIX}.CapacityChanged")
    def _change_capacity(self, capacity: int | None) -> None:
        self.roster.capacity = capacity

    # ----- organizers ------------------------------------------------------------------------

    def add_organizer(self, account: str, current: list[str]) -> None:
        """Make an account an organizer; `current` is who organizes it now (for a meeting whose
        organizers never changed, its creator, recorded here first)."""
        roles.organizers(self.slug).check_give(current, account)
        self._record_organizers(current)
        self._add_organizer(account=account)

    def _record_organizers(self, current: list[str]) -> None:
        """Before a meeting's organizers first change, record who they are (its creator)."""
        if self.organizers is None:
            for existing in current:
                self._add_organizer(account=existing)

    @event("OrganizerAdded", topic=f"{TOPIC_PREFIX}.OrganizerAdded")
    def _add_organizer(self, account: str) -> None:
        if self.organizers is None:
            self.organizers = []
        self.organizers.append(account)

    def remove_organizer(self, account: str, current: list[str]) -> None:
        roles.organizers(self.slug).check_take(current, account)
        self._record_organizers(current)
        self._remove_organizer(account=account)

    @event("OrganizerRemoved", topic=f"{TOPIC_PREFIX}.OrganizerRemoved")
    def _remove_organizer(self, account: str) -> None:
        assert self.organizers is not None
        self.organizers.remove(account)

    # ----- attendance --------------------------------------------------------------------

    def find_attendee(self, name_or_email: str) -> Attendee:
        found = self.roster.find(name_or_email)
        if not found:
            raise NotFoundError(f"{name_or_email!r} is not signed up for {self.slug}")
        if len(found) > 1:
            raise RuleError(f"several people named {name_or_email!r} are signed up for {self.slug}; use their email")
        return found[0]

    def entry_for(self, name: str, email: str | None) -> Attendee | None:
        """The sign-up a new one by this name and email would repeat, if any."""
        return self.roster.entry_for(name, email)

    def sign_up(self, name: str, mode: str, email: str | None, remark: str) -> None:
        key, waitlisted = self.roster.admit(self.slug, self.cancelled, name, mode, email)
        self._sign_up(person=name, person_key=key, email=email, mode=mode, remark=remark, waitlisted=waitlisted)

    @event("SignedUp", topic=f"{TOPIC_PREFIX}.SignedUp")
    def _sign_up(
        self, person: str, person_key: str, email: str | None, mode: str, remark: str, waitlisted: bool
    ) -> None:
        self.roster.add(person_key, person, email, mode, remark, waitlisted)

    def withdraw(self, name: str, reason: str) -> Attendee:
        attendee = self.find_attendee(name)
        self._withdraw(person=attendee.name, person_key=attendee.key, reason=reason)
        self._promote_waitlisted()
        return attendee

    @event("Withdrew", topic=f"{TOPIC_PREFIX}.Withdrew")
    def _withdraw(self, person: str, person_key: str, reason: str) -> None:
        self.roster.remove(person_key)

    def change(self, name: str, mode: str | None, remark: str | None) -> Attendee:
        attendee = self.find_attendee(name)
        new_mode = attendee.mode if mode is None else mode
        new_remark = attendee.remark if remark is None else remark
        if (new_mode, new_remark) == (attendee.mode, attendee.remark):
            raise RuleError(f"{attendee.name} is already {self.roster.describe(attendee)}")
        if new_mode != "in-person":
            waitlisted = False
        elif attendee.mode == "in-person":
            waitlisted = not attendee.seated  # a remark change keeps the place
        else:
            waitlisted = not self.roster.seat_free()  # queue behind everyone waiting
        self._change(
            person=attendee.name,
            person_key=attendee.key,
            mode=new_mode,
            remark=new_remark,
            waitlisted=waitlisted,
        )
        self._promote_waitlisted()
        return attendee

    @event("AttendanceChanged", topic=f"{TOPIC_PREFIX}.AttendanceChanged")
    def _change(self, person: str, person_key: str, mode: str, remark: str, waitlisted: bool) -> None:
        self.roster.change(person_key, mode, remark, waitlisted)

    def change_email(self, name: str, email: str) -> Attendee:
        """Give NAME's entry an email, or a new one: the person is identified by it from now on."""
        attendee = self.find_attendee(name)
        person_key = rekeying.new_person_key(self.roster, attendee, email, self.slug)
        self._change_email(person=attendee.name, previous_key=attendee.key, person_key=person_key, email=email)
        return self.roster.attendees[person_key]

    @event("EmailChanged", topic=f"{TOPIC_PREFIX}.EmailChanged")
    def _change_email(self, person: str, previous_key: str, person_key: str, email: str) -> None:
        self.roster.rekey(previous_key, person_key, email)

    def _promote_waitlisted(self) -> None:
        """Each promotion is its own event, so the audit trail shows who got the seat."""
        for key in self.roster.to_promote():
            self._promote(person=self.roster.attendees[key].name, person_key=key)

    @event("Promoted", topic=f"{TOPIC_PREFIX}.Promoted")
    def _promote(self, person: str, person_key: str) -> None:
        self.roster.promote(person_key)

    # ----- agenda ----------------------------------------------------------------------

    def find_topic(self, topic_id: int) -> Topic:
        topic = self.agenda.find(topic_id)
        if topic is None:
            raise NotFoundError(f"{self.slug} has no topic with id {topic_id}")
        return topic

    def _refuse_same(self, topic_id: int, current: object, wanted: object, state: str) -> None:
        """A topic command that would leave the topic as it is is refused, saying how it already is."""
        if current == wanted:
            raise RuleError(f"topic {topic_id} is already {state}")

    def propose_topic(self, title: str, proposer: str, parent_id: int | None) -> int:
        if parent_id is not None and self.find_topic(parent_id).parent_id is not None:
            raise RuleError("sub-topics cannot have sub-topics of their own")
        topic_id = self.agenda.next_topic_id
        self._propose_topic(topic_id=topic_id, title=title, person=proposer, parent_id=parent_id)
        return topic_id

    @event("TopicProposed", topic=f"{TOPIC_PREFIX}.TopicProposed")
    def _propose_topic(self, topic_id: int, title: str, person: str, parent_id: int | None) -> None:
        self.agenda.add(topic_id, title, person, parent_id)

    def retitle_topic(self, topic_id: int, title: str) -> None:
        self._refuse_same(topic_id, self.find_topic(topic_id).title, title, f"titled {title!r}")
        self._retitle_topic(topic_id=topic_id, title=title)

    @event("TopicRetitled", topic=f"{TOPIC_PREFIX}.TopicRetitled")
    def _retitle_topic(self, topic_id: int, title: str) -> None:
        self.agenda.retitle(topic_id, title)

    def move_topic(self, topic_id: int, position: int) -> None:
        topic = self.find_topic(topic_id)
        siblings = self.agenda.siblings(topic)
        if not 1 <= position <= len(siblings):
            raise BadInputError(f"position must be between 1 and {len(siblings)}, not {position}")
        self._refuse_same(topic_id, siblings.index(topic) + 1, position, f"at position {position}")
        self._move_topic(topic_id=topic_id, position=position)

    @event("TopicMoved", topic=f"{TOPIC_PREFIX}.TopicMoved")
    def _move_topic(self, topic_id: int, position: int) -> None:
        self.agenda.move(topic_id, position)

    def withdraw_topic(self, topic_id: int, reason: str) -> None:
        self.find_topic(topic_id)
        self._withdraw_topic(topic_id=topic_id, reason=reason)

    @event("TopicWithdrawn", topic=f"{TOPIC_PREFIX}.TopicWithdrawn")
    def _withdraw_topic(self, topic_id: int, reason: str) -> None:
        self.agenda.withdraw(topic_id)

    # ----- notes -----------------------------------------------------------------------

    def notes_revision(self, section: str) -> int:
        return self.notes_revisions.get(section, 0)

    def notes_text(self, section: str, revision: int | None = None, history: NotesHistory | None = None) -> str:
        """A section's text at a revision (the current one by default).

        Only the current text is kept here; an older revision's comes from `history`,
        which the application reads from the stored events.
        """
        current = self.notes_revision(section)
        if revision is None or revision == current:
            return self.notes.get(section, "")
        if revision == 0:
            return ""
        if not 1 <= revision <= current:
            raise NotFoundError(f"{self.slug} {section} notes have no revision {revision}")
        if history is None:
            raise RuntimeError("an older notes revision needs the meeting's history")
        return history(section, revision)

    def check_section(self, topic_id: int | None) -> str:
        if topic_id is not None:
            self.find_topic(topic_id)
        return notes.section_name(topic_id)

    def edit_notes(
        self, topic_id: int | None, text: str, base_revision: int | None, history: NotesHistory | None = None
    ) -> int:
        """Store the full new text; a stale base is merged when the changes do not overlap."""
        section = self.check_section(topic_id)
        current_revision = self.notes_revision(section)
        base = current_revision if base_revision is None else base_revision
        if not 0 <= base <= current_revision:
            raise RuleError(f"{section} notes have no revision {base} (latest is {current_revision})")
        current = self.notes_text(section)
        changed = notes.changed_since(section, base, current_revision)
        merged = notes.three_way_merge(self.notes_text(section, base, history), current, text, changed)
        if merged.text == current:
            raise RuleError(f"{section} notes already read like that (revision {current_revision})")
        revision = current_revision + 1
        self._edit_notes(section=section, text=merged.text, base_revision=base, revision=revision, merged=merged.merged)
        return revision

    @event("NotesEdited", topic=f"{TOPIC_PREFIX}.NotesEdited")
    def _edit_notes(self, section: str, text: str, base_revision: int, revision: int, merged: bool) -> None:
        self.notes[section] = text
        self.notes_revisions[section] = revision
