"""Importing a meeting page: a `ParsedPage` becomes one Meeting, saved in one atomic append.

The meeting is built through the aggregate's own methods (schedule, sign_up, propose_topic,
edit_notes), so every rule holds exactly as for commands typed one by one; the events
are recorded by whoever is acting, and `app.save` appends them all or none.

Seats and the waitlist: a page that marks nobody as waitlisted is read first come,
first served, so the in-person sign-ups beyond the limit join the waitlist in page
order. A page that marks waitlisted entries or says it is over capacity ("(In Person, waitlist 2)", as
`meetings export markdown` writes them) is taken at its word: everyone else in person
keeps a seat (the capacity is applied after them when the page is over capacity), and
each marked entry signs up as undecided to keep its place in the list, then turns
in-person in waitlist order. Both give back the seated/waitlist split of the page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from exports.page_parser import ParsedAttendee, ParsedPage, Problem
from ledger import people, text
from ledger.errors import BadInputError, LedgerError, RuleError
from ledger.meeting import Meeting
from ledger.timing import Schedule, zone_name

if TYPE_CHECKING:
    from ledger.application import Ledger


@dataclass(frozen=True)
class ImportOptions:
    """What the command line supplies when the page does not say it (or says it differently)."""

    slug: str | None = None
    title: str | None = None
    start: str | None = None
    end: str | None = None
    zone: str | None = None
    source_name: str | None = None  # the file's name, for a default slug


@dataclass
class Imported:
    """The meeting that was saved, how many events it took, and what was left out."""

    slug: str
    events: int
    position: int
    problems: list[Problem] = field(default_factory=list)


def slugify(value: str) -> str:
    """A slug in the ledger's safe alphabet, cut at a word boundary to its length limit."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9._-]+", "-", ascii_text).strip("-._")
    words = re.sub(r"-{2,}", "-", words)
    if len(words) > text.SLUG_MAX:
        cut = words[: text.SLUG_MAX + 1]
        words = cut.rsplit("-", 1)[0] if "-" in cut else cut[: text.SLUG_MAX]
    return words.strip("-._")


def choose_slug(page: ParsedPage, options: ImportOptions) -> str:
    if options.slug:
        return text.slug(options.slug)
    # A wiki page's file name is how the group already refers to the meeting.
    for candidate in (options.source_name, options.title, page.title):
        if candidate:
            derived = slugify(re.sub(r"\.(md|markdown|txt|wiki|html?)$", "", candidate, flags=re.IGNORECASE))
            if derived:
                return text.slug(derived)
    raise BadInputError("cannot derive a slug from the page; give --slug")


def choose_schedule(page: ParsedPage, options: ImportOptions) -> Schedule:
    if (options.start is None) != (options.end is None):
        raise BadInputError("give both --start and --end")
    zone = options.zone or page.zone
    if zone is None:
        raise BadInputError("the page gives no time zone; give --tz")
    zone = zone_name(zone)
    if options.start is not None and options.end is not None:
        return Schedule.from_input(options.start, options.end, zone)
    if page.start_date is None or page.start_time is None or page.end_time is None:
        raise BadInputError("the page gives no complete meeting time; give --start and --end")
    start = datetime.combine(page.start_date, page.start_time)
    end = datetime.combine(page.end_date or page.start_date, page.end_time)
    if end <= start and page.end_date is None:
        end += timedelta(days=1)  # "10 pm to 1 am" ends the next day
    return Schedule.from_input(start.isoformat(), end.isoformat(), zone)


class _Builder:
    """Applies the page to a fresh Meeting, collecting what the rules refuse as problems."""

    def __init__(self, page: ParsedPage, problems: list[Problem]) -> None:
        self.page = page
        self.problems = problems

    def refuse(self, line: int, what: str, error: LedgerError) -> None:
        self.problems.append(Problem(line, what, str(error)))

    def optional(self, value: str | None, check: object, what: str) -> str:
        if not value:
            return ""
        try:
            return check(value)  # type: ignore[operator]
        except BadInputError as error:
            self.problems.append(Problem(0, value[:200], f"{what} left out: {error}"))
            return ""

    def meeting(self, slug: str, title: str, schedule: Schedule) -> Meeting:
        page = self.page
        capacity = page.limit
        if capacity is not None and capacity > 1_000_000:
            self.problems.append(Problem(0, str(capacity), "limit above 1000000 left out"))
            capacity = None
        seated = sum(1 for a in page.attendees if a.mode == "in-person" and a.waitlist is None)
        self.marked = page.over_capacity or any(a.waitlist is not None for a in page.attendees)
        self.capacity = capacity
        self.late_capacity = self.marked and capacity is not None and seated > capacity
        return Meeting.schedule(
            slug=slug,
            title=title,
            schedule=schedule,
            location=self.optional(
                page.location,
                lambda v: text.single_line(v, "location", text.SHORT_TEXT_MAX, required=False),
                "location",
            ),
            video_url=self.optional(page.video_url, text.url, "video URL"),
            description=self.optional(
                page.description, lambda v: text.multi_line(v, "description", text.DESCRIPTION_MAX), "description"
            ),
            capacity=None if self.late_capacity else capacity,
        )

    def sign_ups(self, meeting: Meeting) -> None:
        deferred: list[ParsedAttendee] = []
        for entry in self.page.attendees:
            try:
                name = people.display_name(entry.name)
                email = text.email(entry.email) if entry.email else None
                remark = text.single_line(entry.remark, "remark", text.SHORT_TEXT_MAX, required=False)
                mode = entry.mode
                if self.marked and entry.waitlist is not None:
                    in_order = entry.waitlist == len(meeting.roster.waitlist) + 1
                    if meeting.roster.seat_free() or not in_order or self.late_capacity:
                        # Hold the place in the list; take the waitlist place below, in order.
                        mode = "undecided"
                        deferred.append(entry)
                meeting.sign_up(name, mode, email, remark)
            except LedgerError as error:
                self.refuse(entry.line, entry.name, error)
                if deferred and deferred[-1] is entry:
                    deferred.pop()
        if self.late_capacity:
            meeting.change_capacity(self.capacity)
        for entry in sorted(deferred, key=lambda e: e.waitlist or 0):
            attendee = meeting.find_attendee(entry.email or people.display_name(entry.name))
            meeting.change(attendee.name, "in-person", None)
            if attendee.seated:
                self.problems.append(
                    Problem(entry.line, entry.name, "marked waitlisted, but a seat is free: seated instead")
                )

    def topics(self, meeting: Meeting) -> dict[tuple[int, int | None], int]:
        ids: dict[tuple[int, int | None], int] = {}
        actor = people.actor_var.get() or "unknown"
        for i, topic in enumerate(self.page.topics):
            parent = self._propose(meeting, topic.title, topic.proposer or actor, None, topic.line)
            if parent is None:
                continue
            ids[(i, None)] = parent
            for j, sub in enumerate(topic.subtopics):
                sub_id = self._propose(meeting, sub.title, sub.proposer or topic.proposer or actor, parent, sub.line)
                if sub_id is not None:
                    ids[(i, j)] = sub_id
        return ids

    def _propose(self, meeting: Meeting, title: str, proposer: str, parent: int | None, line: int) -> int | None:
        try:
            return meeting.propose_topic(
                text.single_line(title, "topic title", text.TITLE_MAX), people.display_name(proposer), parent
            )
        except LedgerError as error:
            self.refuse(line, title, error)
            return None

    def notes(self, meeting: Meeting, ids: dict[tuple[int, int | None], int]) -> None:
        general = [self.page.general_notes] if self.page.general_notes else []
        for section in self.page.notes:
            topic_id = ids.get(section.topic)
            if topic_id is None:
                general.append(f"## {section.heading}\n\n{section.text}")
                continue
            self._edit(meeting, topic_id, section.text, section.line)
        if general:
            self._edit(meeting, None, "\n\n".join(general), 0)

    def _edit(self, meeting: Meeting, topic_id: int | None, body: str, line: int) -> None:
        try:
            meeting.edit_notes(topic_id, text.multi_line(body, "notes", text.NOTES_MAX), None)
        except RuleError:
            pass  # nothing to record: the section is empty
        except LedgerError as error:
            self.refuse(line, body[:80], error)


def build_meeting(page: ParsedPage, options: ImportOptions) -> tuple[Meeting, list[Problem]]:
    """The meeting a page describes, with all its events pending; refuses what no option can fix."""
    problems = list(page.problems)
    title = options.title or page.title
    if not title:
        raise BadInputError("the page has no title; give --title")
    title = text.single_line(title, "title", text.TITLE_MAX)
    slug = choose_slug(page, options)
    schedule = choose_schedule(page, options)
    builder = _Builder(page, problems)
    meeting = builder.meeting(slug, title, schedule)
    builder.sign_ups(meeting)
    ids = builder.topics(meeting)
    builder.notes(meeting, ids)
    problems.sort(key=lambda p: p.line)
    return meeting, problems


def import_page(app: Ledger, page: ParsedPage, options: ImportOptions, *, strict: bool = False) -> Imported:
    """Save the page's meeting in one append; with `strict`, any problem refuses the whole page."""
    from eventsourcing.persistence import IntegrityError

    meeting, problems = build_meeting(page, options)
    if strict and problems:
        raise RuleError(f"{len(problems)} part(s) of the page could not be read; nothing was imported")
    try:
        app.get_meeting(meeting.slug)
    except LedgerError:
        pass
    else:
        raise RuleError(f"a meeting {meeting.slug!r} already exists; nothing was imported")
    events = len(meeting.pending_events)
    try:
        recordings = app.save(meeting)
    except IntegrityError:
        raise RuleError(f"a meeting {meeting.slug!r} already exists; nothing was imported") from None
    position = recordings[-1].notification.id if recordings else 0
    return Imported(meeting.slug, events, position, problems)
