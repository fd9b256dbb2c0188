"""Importing a whole meeting at once: a typed plan in, one atomic append out.

An edge (a wiki page, later a form or an API) says what a meeting holds as a `MeetingPlan`;
`ImportCommands.import_meeting` (ledger/import_commands.py) checks every field with the same checks the other commands
use, builds the meeting through the aggregate's own methods, so every rule holds exactly as
for commands typed one by one, and appends all its events or none. The meeting's own fields
(slug, title, time) refuse the whole plan; a sign-up, topic, notes section or optional detail
that a check or a rule refuses is left out and reported as a `Refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, cast

from ledger import people, text
from ledger.errors import BadInputError, LedgerError, RuleError
from ledger.meeting import Meeting
from ledger.vocabulary import check_mode

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.timing import Fold

T = TypeVar("T")


@dataclass(frozen=True)
class SignUpPlan:
    """One sign-up. `waitlist` is the place on the waitlist the source gives an in-person entry."""

    name: str
    mode: str = "in-person"
    email: str | None = None
    remark: str = ""
    waitlist: int | None = None


@dataclass(frozen=True)
class TopicPlan:
    """A proposed topic; `parent` is the index of its topic in the plan's topics, for a sub-topic."""

    title: str
    proposer: str | None = None  # None: whoever is importing
    parent: int | None = None


@dataclass(frozen=True)
class NotesPlan:
    """A notes section: of the plan's topic at index `topic`, or the general notes when None.

    A topic's section whose topic is left out joins the general notes under `heading`.
    """

    text: str
    topic: int | None = None
    heading: str = ""


@dataclass(frozen=True)
class MeetingPlan:
    """Everything a new meeting holds, in the order its events are appended.

    Seats: with no waitlist places given (and `over_capacity` false) in-person sign-ups are
    seated first come, first served. Otherwise the source is taken at its word: everyone in
    person without a place keeps a seat (when they outnumber `capacity`, it applies after
    them), and the others wait in the order of their places.
    """

    slug: str
    title: str
    start: str  # local time, ISO 8601
    end: str
    zone: str
    fold: Fold | None = None
    location: str = ""
    video_url: str = ""
    description: str = ""
    capacity: int | None = None
    over_capacity: bool = False
    sign_ups: tuple[SignUpPlan, ...] = ()
    topics: tuple[TopicPlan, ...] = ()
    notes: tuple[NotesPlan, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """A part of the plan that was not taken as planned, and why.

    `part` is "capacity", "location", "video_url", "description", "sign-up", "topic" or
    "notes" (left out), or "seated" (a sign-up placed on the waitlist but given a free seat);
    `index` is its place in the plan's list (None for the general notes and the details).
    """

    part: str
    index: int | None
    value: str
    reason: str


@dataclass(frozen=True)
class Imported:
    """The meeting appended, how many events it took, its last event's position, and the refusals."""

    slug: str
    events: int
    position: int
    refusals: tuple[Refusal, ...] = ()


@dataclass(frozen=True)
class PlannedNotes:
    """A notes section as the meeting will hold it: of topic `topic_id`, or the general notes (None).

    `index` is the section's place in the plan's notes (None for the general notes).
    """

    topic_id: int | None
    text: str
    index: int | None


def notes_sections(plan: MeetingPlan, ids: dict[int, int]) -> list[PlannedNotes]:
    """The plan's notes by section, given the topic id each accepted plan topic got (plan index -> id).

    A topic's section whose topic was left out joins the general notes, under its heading.
    """
    sections: list[PlannedNotes] = []
    general = [section.text for section in plan.notes if section.topic is None]
    for index, section in enumerate(plan.notes):
        if section.topic is None:
            continue
        topic_id = ids.get(section.topic)
        if topic_id is None:
            general.append(f"## {section.heading}\n\n{section.text}")
        else:
            sections.append(PlannedNotes(topic_id, section.text, index))
    if general:
        sections.append(PlannedNotes(None, "\n\n".join(general), None))
    return sections


@dataclass
class _Build:
    """A plan applied to a fresh Meeting, collecting what the checks and rules refuse."""

    plan: MeetingPlan
    refusals: list[Refusal] = field(default_factory=list)

    def meeting(self) -> Meeting:
        from ledger.timing import Schedule

        plan = self.plan
        title = text.check("title", plan.title)
        slug = text.check("slug", plan.slug)
        schedule = Schedule.from_input(plan.start, plan.end, plan.zone, plan.fold)
        capacity = self.optional("capacity", plan.capacity, lambda v: text.check_capacity(v) or 0)
        marked = plan.over_capacity or any(s.waitlist is not None for s in plan.sign_ups)
        seated = sum(1 for s in plan.sign_ups if s.mode == "in-person" and s.waitlist is None)
        self.marked = marked
        self.capacity = capacity
        self.late_capacity = marked and capacity is not None and seated > capacity
        details = text.Details(
            location=self.optional("location", plan.location) or "",
            video_url=self.optional("video_url", plan.video_url) or "",
            description=self.optional("description", plan.description) or "",
            capacity=None if self.late_capacity else capacity,
        )
        return Meeting.schedule(slug, title, schedule, details)

    def optional(self, part: str, value: T | None, check: Callable[[T], T] | None = None) -> T | None:
        """A detail the plan may leave out; a value its check refuses is left out and reported.

        Text details are checked as their field in `text.FIELDS` says, unless `check` is given.
        """
        if not value and value != 0:
            return None
        try:
            return check(value) if check else cast("T", text.check(part, cast("str", value)))
        except BadInputError as error:
            self.refusals.append(Refusal(part, None, str(value), str(error)))
            return None

    def sign_ups(self, meeting: Meeting) -> None:
        """Each entry in its place in the list; waitlist places are taken in their own order.

        An entry whose place on the waitlist cannot be taken yet (a seat is still free, an
        earlier place is still to come, or the capacity applies only after everyone is listed)
        holds its place in the list as undecided and joins the waitlist after the list is read.
        """
        deferred: list[tuple[int, SignUpPlan]] = []
        for index, entry in enumerate(self.plan.sign_ups):
            try:
                name = people.display_name(entry.name)
                mode = check_mode(entry.mode)
                email = text.check("email", entry.email) if entry.email else None
                remark = text.check("remark", entry.remark)
                if self.marked and entry.waitlist is not None:
                    in_order = entry.waitlist == len(meeting.roster.waitlist) + 1
                    if meeting.roster.seat_free() or not in_order or self.late_capacity:
                        mode = "undecided"
                        deferred.append((index, entry))
                meeting.sign_up(name, mode, email, remark)
            except LedgerError as error:
                self.refusals.append(Refusal("sign-up", index, entry.name, str(error)))
                if deferred and deferred[-1][1] is entry:
                    deferred.pop()
        if self.late_capacity:
            meeting.change_capacity(self.capacity)
        for index, entry in sorted(deferred, key=lambda d: d[1].waitlist or 0):
            attendee = meeting.find_attendee(entry.email or people.display_name(entry.name))
            meeting.change(attendee.name, "in-person", None)
            if attendee.seated:
                self.refusals.append(
                    Refusal("seated", index, entry.name, "marked waitlisted, but a seat is free: seated instead")
                )

    def topics(self, meeting: Meeting) -> dict[int, int]:
        """Plan index -> topic id, for the topics the rules accepted."""
        ids: dict[int, int] = {}
        actor = people.actor_var.get() or "unknown"
        for index, topic in enumerate(self.plan.topics):
            parent = None
            if topic.parent is not None:
                parent = ids.get(topic.parent)
                if parent is None:
                    continue  # its topic was left out, and it with it
            try:
                ids[index] = meeting.propose_topic(
                    text.check("topic_title", topic.title),
                    people.display_name(topic.proposer or actor),
                    parent,
                )
            except LedgerError as error:
                self.refusals.append(Refusal("topic", index, topic.title, str(error)))
        return ids

    def notes(self, meeting: Meeting, ids: dict[int, int]) -> None:
        for section in notes_sections(self.plan, ids):
            self._edit(meeting, section.topic_id, section.text, section.index)

    def _edit(self, meeting: Meeting, topic_id: int | None, body: str, index: int | None) -> None:
        try:
            meeting.edit_notes(topic_id, text.check("notes", body), None)
        except RuleError:
            pass  # nothing to record: the section is empty
        except LedgerError as error:
            self.refusals.append(Refusal("notes", index, body, str(error)))
