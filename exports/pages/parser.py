"""Reading a wiki meeting page: page text in, a `ParsedPage` out, with no I/O.

Real pages are written by many hands: numbered, bulleted or tabled sign-up lists, modes in
brackets or implied by a heading, schedules in several date styles, HTML mixed into the
Markdown. The parser keeps what it understands and reports every line it had to leave
out as a `Problem`, instead of guessing. It never raises: any text gives a page.
"""

from __future__ import annotations

import re

from exports.pages.agenda import AgendaReading
from exports.pages.attendees import AttendeeReading
from exports.pages.fields import (
    _FIELD,
    _LIMIT,
    _URL,
    PART_ATTENDEES,
    PART_NOTES,
    PART_TOPICS,
    Heading,
    field_key,
    heading_of,
)
from exports.pages.lines import _LIST_ITEM, _RULE, _TABLE_ROW, Line, inline_text
from exports.pages.model import ParsedPage
from exports.pages.people import heading_mode, markers_in
from exports.pages.schedule import parse_schedule
from ledger.errors import BadInputError
from ledger.timing import zone_name


class _Parser(AttendeeReading, AgendaReading):
    """Reads a page line by line, switching parts at headings."""

    # ----- driving --------------------------------------------------------------------

    def run(self) -> ParsedPage:
        start = self._front_matter()
        for line in self.lines[start:]:
            self._line(line)
        self._finish()
        return self.page

    def _front_matter(self) -> int:
        if not self.lines or self.lines[0].text.strip() != "---":
            return 0
        for index in range(1, min(len(self.lines), 200)):
            if self.lines[index].text.strip() in ("---", "..."):
                for line in self.lines[1:index]:
                    match = re.match(r"^\s*([A-Za-z_][\w -]{0,40}):\s*(.*?)\s*$", line.text)
                    if not match:
                        continue
                    key = field_key(match.group(1).replace("_", " "))
                    value = match.group(2).strip().strip("\"'")
                    if key and value:
                        self._field(key, value, line)
                self.seen_field = False  # front matter is not the page's body
                return index + 1
        return 0

    def _line(self, line: Line) -> None:
        if self.part == "notes":
            self._notes_line(line)
            return
        heading = heading_of(line)
        if heading is not None and self._heading(heading, line):
            return
        if not line.text.strip():
            self._blank()
            return
        if self.pending_field is not None and not _LIST_ITEM.match(line.text):
            key, _ = self.pending_field
            self.pending_field = None
            self._field(key, line.text, line)
            return
        if self.part == "attendees":
            self._attendee_line(line)
        elif self.part == "topics":
            self._topic_line(line)
        else:
            self._header_line(line)

    def _blank(self) -> None:
        if self.part in ("header", "other"):
            target = self.description if self._in_description() else self.general
            if target and target[-1] != "":
                target.append("")

    def _in_description(self) -> bool:
        return self.part == "header" and not self.seen_field

    # ----- headings -----------------------------------------------------------------------

    def _heading(self, heading: Heading, line: Line) -> bool:
        """Switch parts on a heading; False when the line is not a heading after all."""
        lowered = heading.text.lower()
        limit = _LIMIT.search(heading.text)
        bare = _LIMIT.sub("", lowered).strip(" :[]()")
        key = field_key(bare)
        label, colon, value = heading.text.partition(":")
        if heading.level == 7 and colon and value.strip() and limit is None and field_key(label) is not None:
            # "**Location: Seattle**" is a field written in bold.
            self._field(field_key(label) or "", value, line)
            return True
        if key is not None and key != "title" and limit is None:
            self.pending_field = (key, line)
            self.seen_field = True
            return True
        if PART_NOTES.match(bare):
            self.part, self.part_level = "notes", heading.level
            self.notes_level = heading.level
            self.notes_section = None
            return True
        if self.part == "attendees" and heading.level > self.part_level:
            mode = heading_mode(heading.text)
            if mode is not None or PART_ATTENDEES.search(bare):
                self.default_mode = mode
                self.table_columns = None
                return True
        if PART_TOPICS.search(bare) and not PART_ATTENDEES.search(bare):
            self.part, self.part_level = "topics", heading.level
            self.topic_indent = self.sub_indent = None
            self.table_columns = None
            self.seen_field = True
            return True
        if PART_ATTENDEES.search(bare) or limit is not None:
            self.part, self.part_level = "attendees", heading.level
            self.default_mode = heading_mode(heading.text)
            self.table_columns = None
            self.seen_field = True
            if limit is not None:
                self.page.limit = int(limit.group(1))
            self.page.over_capacity = self.page.over_capacity or "over capacity" in lowered
            return True
        if self.part in ("attendees", "topics") and heading.level > self.part_level:
            return True  # "### Day 1": a grouping inside the list
        if self.page.title is None and self.part == "header" and not self.seen_field and not self.description:
            self.page.title = heading.text
            return True
        if heading.level == 7:
            return False  # a bold line in running text
        self.part, self.part_level = "other", heading.level
        self.keep(self.general, line)
        return True

    # ----- header fields and free text ---------------------------------------------------

    def _header_line(self, line: Line) -> None:
        match = _FIELD.match(line.text)
        if match:
            key = field_key(match.group(1))
            if key is not None and match.group(2).strip():
                self._field(key, match.group(2), line)
                return
        limit = _LIMIT.search(line.text)
        if limit and re.search(r"\[\s*limit", line.text, re.IGNORECASE):
            self.page.limit = int(limit.group(1))
            return
        row = _TABLE_ROW.match(line.text)
        if row:
            cells = [c for c in row.group(1).split("|") if inline_text(c)]
            if len(cells) >= 2 and field_key(cells[0]) is not None:
                self._field(field_key(cells[0]) or "", " ".join(cells[1:]), line)
                return
        item = _LIST_ITEM.match(line.text)
        if item and self.part == "header" and markers_in(line.text):
            # A bare sign-up list: a page that holds only the list of a meeting described elsewhere.
            self._attendee_line(line)
            return
        self.keep(self.description if self._in_description() else self.general, line)

    def _field(self, key: str, value: str, line: Line) -> None:
        self.seen_field = True
        text = inline_text(value)
        page = self.page
        if key == "title":
            if text:
                page.title = text
        elif key == "description":
            self.description.append(value.strip())
        elif key == "location":
            page.location = text
        elif key == "video":
            url = _URL.search(value)
            if url:
                page.video_url = url.group(0).rstrip(".,;")
            else:
                self.problem(line, "the video-conference line has no http(s) link")
        elif key == "limit":
            number = re.search(r"\d{1,7}", text)
            if number:
                page.limit = int(number.group(0))
            else:
                self.problem(line, "the limit is not a number")
        elif key == "zone":
            try:
                page.zone = zone_name(text)
            except BadInputError as error:
                self.problem(line, str(error))
        elif key in ("schedule", "start", "end"):
            self._schedule(key, text, line)

    def _schedule(self, key: str, text: str, line: Line) -> None:
        pieces = parse_schedule(text)
        page = self.page
        for reason in pieces.problems:
            self.problem(line, reason)
        if pieces.zone and page.zone is None:
            page.zone = pieces.zone
        if key == "end":
            page.end_date = pieces.start_date or page.end_date
            page.end_time = pieces.start_time or page.end_time
            return
        if key == "schedule":
            page.schedule_text = text
        if pieces.start_date is None and pieces.start_time is None:
            self.problem(line, "no date or time found in the schedule")
            return
        page.start_date = pieces.start_date or page.start_date
        page.end_date = pieces.end_date or page.end_date
        page.start_time = pieces.start_time or page.start_time
        if key == "schedule":
            page.end_time = pieces.end_time or page.end_time
        elif pieces.end_time is not None:
            page.end_time = pieces.end_time

    # ----- finishing ------------------------------------------------------------------------

    def _finish(self) -> None:
        page = self.page
        description = "\n".join(self.description).strip("\n")
        # Only a page that describes a meeting (a time or a place) has its opening sentence as a title.
        if page.title is None and description and (page.start_date or page.location):
            first = description.split("\n\n")[0]
            sentence = re.split(r"(?<=[.!?])\s", " ".join(first.split()), maxsplit=1)[0]
            title = inline_text(sentence).rstrip(".")
            if looks_like_title(title):
                page.title = title
        page.description = description
        for section in page.notes:
            section.text = _trim_block(section.text)
        page.notes = [s for s in page.notes if s.text]
        page.general_notes = re.sub(r"\n{3,}", "\n\n", _trim_block("\n".join(self.general)))
        if page.end_date is None and page.start_date is not None:
            page.end_date = None


def looks_like_title(text: str) -> bool:
    return 0 < len(text) <= 200 and any(c.isalnum() for c in text)


def _trim_block(text: str) -> str:
    lines = text.split("\n")
    while lines and (not lines[0].strip() or _RULE.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def parse_page(text: str) -> ParsedPage:
    """Read a meeting page. Never raises; what it cannot read is in `problems`."""
    return _Parser(text).run()
