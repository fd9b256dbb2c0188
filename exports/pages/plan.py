"""Importing a meeting page: a `ParsedPage` becomes a `MeetingPlan` for the ledger's import command.

The page decides what the plan holds (the slug from the file name, the time from the
schedule line, each sign-up's waitlist place as the page marks it); `Ledger.import_meeting`
checks it, applies the rules and appends it in one save. What it leaves out comes back as
refusals, reported here as the page's problems with their line numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from exports.pages.model import ParsedPage, Problem
from ledger import text
from ledger.errors import BadInputError, LedgerError, RuleError
from ledger.importing import MeetingPlan, NotesPlan, Refusal, SignUpPlan, TopicPlan

if TYPE_CHECKING:
    from collections.abc import Callable

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


@dataclass(frozen=True)
class PagePlan:
    """The plan, and the page line each of its sign-ups, topics and notes sections came from."""

    plan: MeetingPlan
    sign_up_lines: tuple[int, ...]
    topic_lines: tuple[int, ...]
    notes_lines: tuple[int, ...]


def slugify(value: str) -> str:
    """A slug in the ledger's safe alphabet, cut at a word boundary to its length limit."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9._-]+", "-", ascii_text).strip("-._")
    words = re.sub(r"-{2,}", "-", words)
    if len(words) > text.SLUG_MAX:
        cut = words[: text.SLUG_MAX + 1]
        words = cut.rsplit("-", 1)[0] if "-" in cut else cut[: text.SLUG_MAX]
    return words.strip("-._")


def choose_slug(page: ParsedPage, options: ImportOptions) -> str | None:
    if options.slug:
        return options.slug
    # A wiki page's file name is how the group already refers to the meeting.
    for candidate in (options.source_name, options.title, page.title):
        if candidate:
            derived = slugify(re.sub(r"\.(md|markdown|txt|wiki|html?)$", "", candidate, flags=re.IGNORECASE))
            if derived:
                return derived
    return None


@dataclass(frozen=True)
class LocalTimes:
    """The meeting's local start and end and the zone they are read in, as the import command takes them."""

    start: str
    end: str
    zone: str


def choose_time(page: ParsedPage, options: ImportOptions) -> LocalTimes | list[tuple[str, str]]:
    """Local start, local end and zone, from the options or else the page; else what is missing and what to pass."""
    if (options.start is None) != (options.end is None):
        raise BadInputError("give both --start and --end")
    missing: list[tuple[str, str]] = []
    zone = options.zone or page.zone
    if zone is None:
        missing.append(("time zone", "--tz"))
    if options.start is not None and options.end is not None:
        return LocalTimes(options.start, options.end, zone) if zone else missing
    if page.start_date is None:
        missing.append(("date", "--start and --end"))
    elif page.start_time is None or page.end_time is None:
        what = "start time" if page.start_time is None else "end time"
        missing.append((what if page.start_time or page.end_time else "start and end times", "--start and --end"))
    if missing or page.start_date is None or page.start_time is None or page.end_time is None or zone is None:
        return missing
    start = datetime.combine(page.start_date, page.start_time)
    end = datetime.combine(page.end_date or page.start_date, page.end_time)
    if end <= start and page.end_date is None:
        end += timedelta(days=1)  # "10 pm to 1 am" ends the next day
    return LocalTimes(start.isoformat(), end.isoformat(), zone)


def missing_fields(page: ParsedPage, options: ImportOptions) -> list[tuple[str, str]]:
    """Every meeting field neither the page nor the options give, with the option that gives it."""
    missing: list[tuple[str, str]] = []
    if not (options.title or page.title):
        missing.append(("title", "--title"))
    if choose_slug(page, options) is None:
        missing.append(("slug", "--slug"))
    timing = choose_time(page, options)
    if isinstance(timing, list):
        missing += timing
    return missing


def missing_message(missing: list[tuple[str, str]]) -> str:
    """One line for all of them: 'the page gives no title, time zone or date; give --title, --tz, --start and --end'."""
    names = [name for name, _ in missing]
    flags: list[str] = []
    for _, flag in missing:
        for part in flag.split(" and "):
            if part not in flags:
                flags.append(part)
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    give = flags[0] if len(flags) == 1 else ", ".join(flags[:-1]) + " and " + flags[-1]
    return f"the page gives no {said}; give {give}"


def page_plan(page: ParsedPage, options: ImportOptions) -> PagePlan:
    """The plan a page describes; refuses what no option can fix."""
    missing = missing_fields(page, options)
    if missing:
        raise BadInputError(missing_message(missing))
    timing = choose_time(page, options)
    assert not isinstance(timing, list)
    topics: list[TopicPlan] = []
    topic_lines: list[int] = []
    index_of: dict[tuple[int, int | None], int] = {}
    for i, topic in enumerate(page.topics):
        index_of[(i, None)] = parent = len(topics)
        topics.append(TopicPlan(topic.title, topic.proposer))
        topic_lines.append(topic.line)
        for j, sub in enumerate(topic.subtopics):
            index_of[(i, j)] = len(topics)
            topics.append(TopicPlan(sub.title, sub.proposer or topic.proposer, parent))
            topic_lines.append(sub.line)
    notes = [NotesPlan(s.text, index_of[s.topic], s.heading) for s in page.notes]
    notes_lines = [s.line for s in page.notes]
    if page.general_notes:
        notes.append(NotesPlan(page.general_notes))
        notes_lines.append(0)
    plan = MeetingPlan(
        slug=choose_slug(page, options) or "",
        title=options.title or page.title or "",
        start=timing.start,
        end=timing.end,
        zone=timing.zone,
        location=page.location or "",
        video_url=page.video_url or "",
        description=page.description,
        capacity=page.limit,
        over_capacity=page.over_capacity,
        sign_ups=tuple(SignUpPlan(a.name, a.mode, a.email, a.remark, a.waitlist) for a in page.attendees),
        topics=tuple(topics),
        notes=tuple(notes),
    )
    return PagePlan(plan, tuple(a.line for a in page.attendees), tuple(topic_lines), tuple(notes_lines))


_DETAILS = {"location": "location", "video_url": "video URL", "description": "description"}


def _problem(planned: PagePlan, refusal: Refusal) -> Problem:
    """A refusal as the page's reader sees it: the line, what was written, and why it was left out."""
    part, index, value, reason = refusal.part, refusal.index, refusal.value, refusal.reason
    if part == "capacity":
        return Problem(0, value, "limit above 1000000 left out")
    if part in _DETAILS:
        return Problem(0, value[:200], f"{_DETAILS[part]} left out: {reason}")
    assert index is not None or part == "notes"
    if part in ("sign-up", "seated"):
        return Problem(planned.sign_up_lines[index or 0], value, reason)
    if part == "topic":
        return Problem(planned.topic_lines[index or 0], value, reason)
    return Problem(0 if index is None else planned.notes_lines[index], value[:80], reason)


def problems_of(page: ParsedPage, planned: PagePlan, refusals: tuple[Refusal, ...]) -> list[Problem]:
    problems = list(page.problems) + [_problem(planned, r) for r in refusals]
    problems.sort(key=lambda p: p.line)
    return problems


def page_problems(app: Ledger, page: ParsedPage, options: ImportOptions) -> list[Problem]:
    """Everything an import of the page would leave out (the parser's problems when it cannot be planned)."""
    try:
        planned = page_plan(page, options)
        return problems_of(page, planned, app.import_meeting(planned.plan, dry_run=True).refusals)
    except LedgerError:
        return page.problems


def import_page(
    app: Ledger,
    page: ParsedPage,
    options: ImportOptions,
    *,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Save the page's meeting in one append; with `strict`, any problem refuses the whole page.

    `progress(done, total)` hears of the import's steps (`Ledger.import_meeting`)."""
    planned = page_plan(page, options)
    if strict:
        problems = problems_of(page, planned, app.import_meeting(planned.plan, dry_run=True).refusals)
        if problems:
            raise RuleError(f"{len(problems)} part(s) of the page could not be read; nothing was imported")
    imported = app.import_meeting(planned.plan, progress=progress)
    return Imported(imported.slug, imported.events, imported.position, problems_of(page, planned, imported.refusals))
