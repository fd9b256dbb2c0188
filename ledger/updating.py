"""Re-importing: a plan applied to a meeting that exists, as the commands that take it there.

A group that keeps its wiki page during a migration edits the page and imports it again.
`update_meeting` (the Ledger command of ledger/update_commands.py) compares the plan (the same `MeetingPlan`
a first import takes) with the meeting and runs, on the loaded meeting, the very steps the one-by-one
commands run (`Ledger.sign_up_step`, `withdraw_step`, ...), each with its own checks and its
own role check, then appends all their events in one save: all of them or none. A step that
a check or a rule refuses (a name too long, a sign-up that repeats another) is left out and
reported as a `Refusal`, as a first import does; a step the account may not take refuses the
whole update. A plan the meeting already matches gives no step, so running the same update
twice appends nothing the second time.

The order of the steps is the order the rules read best in: the meeting's details and time,
its limit (so that sign-ups and withdrawals meet the page's limit), withdrawals, changes of
mode or remark, new sign-ups in the page's order, then the agenda (withdrawn, retitled,
proposed, moved into the page's order) and last the notes of each section.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import partial
from typing import TYPE_CHECKING, Any

from ledger import people, text
from ledger.errors import BadInputError, LedgerError, PermissionDeniedError
from ledger.importing import MeetingPlan, Refusal, TopicPlan, _Build, notes_sections
from ledger.notes import section_name
from ledger.vocabulary import check_mode

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.agenda import Topic
    from ledger.application import Ledger
    from ledger.meeting import Meeting
    from ledger.steps import Step

REMOVED = "removed from the page"  # the reason a withdrawal records
SIMILAR_TITLE = 0.6  # how alike (difflib's ratio) an edited topic title stays to be the same topic


@dataclass(frozen=True)
class Change:
    """One event the update appends (or, on a dry run, would): its kind ("SignedUp") and recorded fields."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Updated:
    """What an update did (or would do): its events, each step's own words, its last position, its refusals.

    `position` is None when nothing was appended (a dry run, or a meeting that matches the plan).
    """

    slug: str
    changes: tuple[Change, ...]
    summaries: tuple[str, ...]
    position: int | None
    refusals: tuple[Refusal, ...] = ()


@dataclass(frozen=True)
class _Planned:
    """A step the comparison asks for, and the part of the plan it comes from (for a refusal)."""

    part: str
    index: int | None
    value: str
    step: Callable[[], Step]


def _key(title: str) -> str:
    return " ".join(title.casefold().split())


def _same_person(planned: str | None, recorded: str) -> bool:
    """A plan topic that names no proposer was the importer's: it matches whoever is recorded."""
    return planned is None or people.name_key(planned) == people.name_key(recorded)


@dataclass
class _Comparison:
    """The steps from the meeting as it is to the meeting as planned, each read from the meeting as the
    steps before it left it (the caller applies each step before asking for the next)."""

    app: Ledger
    meeting: Meeting
    plan: MeetingPlan
    refusals: list[Refusal]
    ids: dict[int, int] = field(default_factory=dict)  # plan topic index -> topic id

    @property
    def slug(self) -> str:
        return self.meeting.slug

    def steps(self) -> Iterator[_Planned]:
        yield from self._details()
        yield from self._capacity()
        yield from self._attendance()
        yield from self._topics(None)
        for index, topic in enumerate(self.plan.topics):
            if topic.parent is None and index in self.ids:
                yield from self._topics(index)
        yield from self._order()
        yield from self._notes()

    # ----- the meeting ------------------------------------------------------------------

    def _details(self) -> Iterator[_Planned]:
        from ledger.timing import Schedule

        plan, meeting = self.plan, self.meeting
        title = text.check("title", plan.title)  # the meeting's own fields refuse the whole plan
        schedule = Schedule.from_input(plan.start, plan.end, plan.zone, plan.fold)
        checker = _Build(plan)
        edits: dict[str, Any] = {}
        if title != meeting.title:
            edits["title"] = title
        for part in ("location", "video_url", "description"):
            planned = getattr(plan, part)
            value = checker.optional(part, planned) if planned else ""
            if value is not None and value != getattr(meeting, part):
                edits[part] = value
        self.refusals.extend(checker.refusals)
        if edits:
            yield _Planned("details", None, ", ".join(edits), partial(self.app.edit_meeting_step, self.slug, **edits))
        if (schedule.start_iso, schedule.end_iso, schedule.zone) != (meeting.start, meeting.end, meeting.timezone):
            yield _Planned(
                "time",
                None,
                f"{plan.start} to {plan.end}",
                partial(self.app.reschedule_step, self.slug, plan.start, plan.end, plan.zone, plan.fold),
            )

    def _capacity(self) -> Iterator[_Planned]:
        try:
            capacity = text.check_capacity(self.plan.capacity)
        except BadInputError as error:
            self.refusals.append(Refusal("capacity", None, str(self.plan.capacity), str(error)))
            return
        if capacity != self.meeting.roster.capacity:
            yield _Planned("capacity", None, str(capacity), partial(self.app.change_capacity_step, self.slug, capacity))

    # ----- attendance -------------------------------------------------------------------

    def _attendance(self) -> Iterator[_Planned]:
        roster = self.meeting.roster
        matched: dict[int, str] = {}  # plan index -> the attendee's key
        kept: set[str] = set()
        for index, entry in enumerate(self.plan.sign_ups):
            try:
                name = people.display_name(entry.name)
                email = text.check("email", entry.email) if entry.email else None
            except LedgerError:
                continue  # the sign-up step refuses it, with its reason
            found = self.meeting.entry_for(name, email)
            if found is not None and found.key not in kept:
                matched[index] = found.key
                kept.add(found.key)
        for attendee in list(roster.attendees.values()):
            if attendee.key not in kept:
                who = attendee.email or attendee.name
                yield _Planned(
                    "withdrawal", None, attendee.name, partial(self.app.withdraw_step, self.slug, who, REMOVED)
                )
        for index, key in matched.items():
            entry, found = self.plan.sign_ups[index], roster.attendees.get(key)
            if found is None:
                continue
            attendee = found
            try:
                mode, remark = check_mode(entry.mode), text.check("remark", entry.remark)
            except BadInputError as error:
                self.refusals.append(Refusal("sign-up", index, entry.name, str(error)))
                continue
            if (mode, remark) != (attendee.mode, attendee.remark):
                who = attendee.email or attendee.name
                new_mode = mode if mode != attendee.mode else None
                new_remark = remark if remark != attendee.remark else None
                yield _Planned(
                    "sign-up",
                    index,
                    entry.name,
                    partial(self.app.change_attendance_step, self.slug, who, new_mode, new_remark),
                )
        for index, entry in enumerate(self.plan.sign_ups):
            if index not in matched:
                yield _Planned(
                    "sign-up",
                    index,
                    entry.name,
                    partial(self.app.sign_up_step, self.slug, entry.name, entry.mode, entry.email, entry.remark),
                )

    # ----- agenda -----------------------------------------------------------------------

    def _planned_children(self, parent: int | None) -> list[tuple[int, TopicPlan]]:
        return [(i, t) for i, t in enumerate(self.plan.topics) if t.parent == parent]

    def _recorded_children(self, parent: int | None) -> list[Topic]:
        parent_id = None if parent is None else self.ids[parent]
        return [t for t in self.meeting.agenda.active() if t.parent_id == parent_id]

    def _topics(self, parent: int | None) -> Iterator[_Planned]:
        """The topics under one plan topic (or the top level): matched by title, else retitled in place,
        else proposed; the meeting's topics the page no longer lists are withdrawn."""
        planned, recorded = self._planned_children(parent), self._recorded_children(parent)
        taken: set[int] = set()
        by_title: dict[str, list[Topic]] = {}
        for there in recorded:
            by_title.setdefault(_key(there.title), []).append(there)
        for index, topic in planned:
            same = [t for t in by_title.get(_key(topic.title), []) if t.topic_id not in taken]
            # No command changes a proposer: a topic the page gives to someone else is withdrawn and proposed anew.
            best = [t for t in same if _same_person(topic.proposer, t.proposer)]
            if best:
                self.ids[index] = best[0].topic_id
                taken.add(best[0].topic_id)
        for index, there in self._retitled(planned, recorded, taken):
            self.ids[index] = there.topic_id
            taken.add(there.topic_id)
            topic = self.plan.topics[index]
            yield _Planned(
                "topic",
                index,
                topic.title,
                partial(self.app.retitle_topic_step, self.slug, there.topic_id, topic.title),
            )
        for there in recorded:
            if there.topic_id not in taken:
                yield _Planned(
                    "topic-withdrawal",
                    None,
                    there.title,
                    partial(self.app.withdraw_topic_step, self.slug, there.topic_id, REMOVED),
                )
        parent_id = None if parent is None else self.ids[parent]
        for index, topic in planned:
            if index in self.ids:
                continue
            expected = self.meeting.agenda.next_topic_id
            yield _Planned(
                "topic",
                index,
                topic.title,
                partial(self.app.propose_topic_step, self.slug, topic.title, topic.proposer, parent_id),
            )
            if self.meeting.agenda.find(expected) is not None:  # the step was taken: the topic has its id
                self.ids[index] = expected

    def _retitled(
        self, planned: list[tuple[int, TopicPlan]], recorded: list[Topic], taken: set[int]
    ) -> list[tuple[int, Topic]]:
        """Plan topics that are recorded topics with an edited title: between the same matched neighbours,
        by the same proposer, and with a title still much like the old one."""
        pairs: list[tuple[int, Topic]] = []
        paired: set[int] = set()
        place = {t.topic_id: position for position, t in enumerate(recorded)}
        after = -1  # the recorded place of the last plan topic matched so far
        for index, topic in planned:
            if index in self.ids:
                after = max(after, place[self.ids[index]])
                continue
            for there in recorded[after + 1 :]:
                if there.topic_id in taken:
                    break  # the next topic matched by its title: an edited one stays between its neighbours
                if there.topic_id in paired:
                    continue
                alike = SequenceMatcher(None, _key(there.title), _key(topic.title)).ratio() >= SIMILAR_TITLE
                if alike and _same_person(topic.proposer, there.proposer):
                    pairs.append((index, there))
                    paired.add(there.topic_id)
                    after = place[there.topic_id]
                    break
        return pairs

    def _order(self) -> Iterator[_Planned]:
        """Each family of topics into the page's order, one move at a time."""
        parents: list[int | None] = [None]
        parents += [i for i, t in enumerate(self.plan.topics) if t.parent is None and i in self.ids]
        for parent in parents:
            wanted = [self.ids[i] for i, _ in self._planned_children(parent) if i in self.ids]
            for position, topic_id in enumerate(wanted, start=1):
                current = [t.topic_id for t in self._recorded_children(parent)]
                if topic_id in current and current.index(topic_id) + 1 != position:
                    yield _Planned(
                        "topic",
                        None,
                        str(topic_id),
                        partial(self.app.move_topic_step, self.slug, topic_id, position),
                    )

    # ----- notes ------------------------------------------------------------------------

    def _notes(self) -> Iterator[_Planned]:
        """Each section to the page's text; a section the page no longer holds is emptied."""
        wanted: dict[int | None, tuple[str, int | None]] = {}
        for section in notes_sections(self.plan, self.ids):
            wanted[section.topic_id] = (section.text, section.index)
        sections: list[int | None] = [None] + [t.topic_id for t in self.meeting.agenda.active()]
        for topic_id in sections:
            body, index = wanted.get(topic_id, ("", None))
            try:
                body = text.check("notes", body)
            except BadInputError as error:
                self.refusals.append(Refusal("notes", index, body, str(error)))
                continue
            if body != self.meeting.notes_text(section_name(topic_id)):
                yield _Planned(
                    "notes",
                    index,
                    body,
                    partial(self.app.edit_notes_step, self.slug, topic_id, body, None),
                )


def update_meeting(app: Ledger, slug: str, plan: MeetingPlan, *, dry_run: bool = False) -> Updated:
    """Append, in one save, the events that take meeting `slug` to the plan; `dry_run` appends nothing."""

    def attempt() -> Updated:
        meeting = app.get_meeting(slug)
        refusals: list[Refusal] = []
        summaries: list[str] = []
        for planned in _Comparison(app, meeting, plan, refusals).steps():
            try:
                summaries.append(app._apply(meeting, planned.step()))
            except PermissionDeniedError as error:
                # The account may not make one of the page's changes: none of them is made.
                raise PermissionDeniedError(f"{error}; nothing of the page was applied") from None
            except LedgerError as error:
                refusals.append(Refusal(planned.part, planned.index, planned.value, str(error)))
        changes = tuple(_change(event) for event in meeting.pending_events)
        if dry_run or not changes:
            return Updated(meeting.slug, changes, tuple(summaries), None, tuple(refusals))
        saved = app._save(meeting, f"updated {meeting.slug}")
        return Updated(meeting.slug, changes, tuple(summaries), saved.position, tuple(refusals))

    return app._retrying(attempt)


_NOT_RECORDED = frozenset({"originator_id", "originator_version", "timestamp"})


def _change(event: Any) -> Change:
    data = {k: v for k, v in vars(event).items() if k not in _NOT_RECORDED}
    data["timestamp"] = event.timestamp.isoformat()
    return Change(type(event).__name__, data)
