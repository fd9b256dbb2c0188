"""Importing an edited page again: `meetings import markdown PAGE --update SLUG`.

The page becomes the same `MeetingPlan` a first import makes; `Ledger.update_meeting`
compares it with the meeting and appends the events that take the meeting there. What the
page does not say (a page that is only a sign-up list has no title or time) stays as the
meeting has it. The events are described as the audit describes stored ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from exports.audit import Entry, to_entry, without_emails
from exports.pages.model import ParsedPage, Problem
from exports.pages.plan import ImportOptions, PagePlan, missing_fields, page_plan, problems_of
from ledger.errors import BadInputError, RuleError

if TYPE_CHECKING:
    from ledger.application import Ledger
    from ledger.importing import Refusal
    from ledger.updating import Change
    from projections.results import MeetingView


class PageRefused(RuleError):
    """`--strict` refused the page: nothing was applied; `problems` are the parts that could not be read."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass
class PageUpdate:
    """What re-importing the page appended (or, on a dry run, would): its events, each command's own words
    ("withdrew Brandon Philips from m; promoted Yifan Gu"), its last position, and what was left out."""

    slug: str
    entries: list[Entry]
    summaries: list[str]
    position: int | None
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)


def with_meeting_defaults(page: ParsedPage, options: ImportOptions, meeting: MeetingView) -> ImportOptions:
    """The options, completed with the meeting's own title and time where neither the page nor they give one."""
    if options.slug is not None and options.slug != meeting.slug:
        raise BadInputError(f"--slug {options.slug} and --update {meeting.slug} name different meetings")
    options = replace(options, slug=meeting.slug)
    missing = {name for name, _ in missing_fields(page, options)}
    if "title" in missing:
        options = replace(options, title=meeting.title)
    if "time zone" in missing:
        options = replace(options, zone=meeting.timezone)
    if missing - {"title", "time zone", "slug"} and options.start is None:
        # The stored times carry the zone's offset; the options take local times.
        start = datetime.fromisoformat(meeting.start).replace(tzinfo=None).isoformat()
        end = datetime.fromisoformat(meeting.end).replace(tzinfo=None).isoformat()
        options = replace(options, start=start, end=end, zone=options.zone or meeting.timezone)
    return options


def update_page(
    app: Ledger, page: ParsedPage, options: ImportOptions, meeting: MeetingView, *, dry_run: bool, strict: bool
) -> PageUpdate:
    """Take the meeting to what the page says, in one append; with `strict`, any problem refuses the page."""
    planned = page_plan(page, with_meeting_defaults(page, options, meeting))
    if strict:
        trial = app.update_meeting(meeting.slug, planned.plan, dry_run=True)
        problems = _problems(page, planned, trial.refusals)
        if problems:
            raise PageRefused(f"{len(problems)} part(s) of the page could not be read; nothing was applied", problems)
    updated = app.update_meeting(meeting.slug, planned.plan, dry_run=dry_run)
    return PageUpdate(
        slug=updated.slug,
        entries=[_entry(change, updated.slug) for change in updated.changes],
        summaries=list(updated.summaries),
        position=updated.position,
        dry_run=dry_run,
        problems=_problems(page, planned, updated.refusals),
    )


# Parts only an update has; a first import's report names the others with their page lines.
_UPDATE_ONLY = {"details": "details", "time": "new time", "withdrawal": "withdrawal", "topic-withdrawal": "topic"}


def _problems(page: ParsedPage, planned: PagePlan, refusals: tuple[Refusal, ...]) -> list[Problem]:
    extra = [
        Problem(0, r.value[:200], f"{_UPDATE_ONLY[r.part]} not applied: {r.reason}")
        for r in refusals
        if r.part in _UPDATE_ONLY
    ]
    problems = problems_of(page, planned, tuple(r for r in refusals if r.part not in _UPDATE_ONLY)) + extra
    return sorted(problems, key=lambda p: p.line)


def _entry(change: Change, slug: str) -> Entry:
    from projections.events import LedgerEvent

    # Addresses are masked as in the audit anyone but an admin reads.
    (event,) = without_emails([LedgerEvent(0, "", 0, change.kind, dict(change.data))])
    return to_entry(event, slug)
