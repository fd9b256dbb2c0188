"""The state a page's reading keeps from line to line, shared by the parts that read each section."""

from __future__ import annotations

import re
from typing import Any

from exports.pages.fields import _LIMIT
from exports.pages.lines import _TABLE_ROW, _TABLE_RULE, Line, restore, split_lines
from exports.pages.model import NoteSection, ParsedPage, Problem
from exports.pages.personal import hide_personal_data


class PageReading:
    """Where the reader is in the page, and what it has gathered so far."""

    def __init__(self, text: str) -> None:
        self.page = ParsedPage()
        self.exact = False  # the page is `export markdown`'s own (`exports.pages.exact`)
        self.notes_from: int | None = None  # the line of the heading that opens the notes part
        self.lines = split_lines(text)
        self.part = "header"  # header, attendees, topics, notes, other
        self.part_level = 0
        self.seen_field = False
        self.description: list[str] = []
        self.general: list[str] = []
        self.default_mode: str | None = None
        self.page_mode = "in-person"  # the mode of a sign-up nothing else gives a mode to
        self.pending_field: tuple[str, Line] | None = None
        self.block_indent: int | None = None  # the indent of a logistics label whose nested items are details
        self.field_dates = False  # a schedule field has given the meeting's days
        self.field_times = False  # ... and its hours
        self.day_dates: list[Any] = []  # schedule pieces of headings that each name one day of the meeting
        self.day_pending = False  # a day heading was just read: the next line may give its hours
        self.section = ""  # the last heading read, lower-cased
        self.in_pre = False  # inside a <pre> block
        self.paragraph: list[tuple[Line, str]] = []  # the running text read so far, for its dates
        self.agenda_times: list[Any] = []  # the timetable's first slot, once read
        self.date_candidates: list[tuple[int, int, Any]] = []  # (rank, line, schedule pieces) outside the fields
        self.resume_notes = False  # the sign-up list is a roll call inside the notes
        self.topic_indent: int | None = None
        self.sub_indent: int | None = None
        self.table_columns: list[str] | None = None
        self.notes_section: NoteSection | None = None
        self.notes_level = 7
        self.matched_topics: set[tuple[int, int | None]] = set()
        self.waitlist_count = 0
        self.raw_done = 0
        # The number of the page's first non-blank line: a '#' heading there is the page's title.
        # A table's header is the row above its rule row ("| --- | --- |"): it names the columns.
        self.table_headers = {
            line.number
            for line, below in zip(self.lines, self.lines[1:], strict=False)
            if _TABLE_ROW.match(line.text) and _TABLE_RULE.match(below.text) and not _TABLE_RULE.match(line.text)
        }
        self.first_line = next((line.number for line in self.lines if line.text.strip()), 0)

    def raw(self, line: Line) -> str | None:
        """The line as written, once: a line split at <br> or joined into a table row is kept whole."""
        if line.number <= self.raw_done:
            return None
        self.raw_done = line.number
        return line.raw

    def keep(self, target: list[str], line: Line) -> None:
        """Free text outside the notes: read as the reader sees it, HTML tags turned into Markdown."""
        if self.raw(line) is not None or line.number == self.raw_done:
            text = restore(line.text.rstrip())
            target.append(text if self.part == "notes" else self.screened(text, line))

    def screened(self, text: str, line: Line) -> str:
        """Leftover text with its personal data hidden, each kind found reported on its line.

        The page's own notes are not screened: they are the meeting's notes as the group wrote them.
        """
        hidden, kinds = hide_personal_data(text)
        for kind in dict.fromkeys(kinds):
            self.problem(line, f"personal data: {kind}, hidden from the public description and notes")
        return hidden

    def problem(self, line: Line, reason: str) -> None:
        self.page.problems.append(Problem(line.number, line.raw.strip()[:200], reason))

    def took_limit(self, line: Line, cue: re.Pattern[str]) -> bool:
        """Whether the line states the sign-up limit ("[Limit: 20]") and set it; `cue` is what marks such a
        line in the part being read, where a number after "max" may also be running text."""
        limit = _LIMIT.search(line.text)
        if limit is None or not cue.search(line.text):
            return False
        self.page.limit = int(limit.group(1))
        return True
