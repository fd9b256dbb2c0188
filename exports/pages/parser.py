"""Reading a wiki meeting page: page text in, a `ParsedPage` out, with no I/O.

Real pages are written by many hands: numbered, bulleted or tabled sign-up lists, modes in
brackets or implied by a heading, schedules in several date styles, HTML mixed into the
Markdown. The parser keeps what it understands and reports every line it had to leave
out as a `Problem`, instead of guessing. It never raises: any text gives a page.
"""

from __future__ import annotations

import re

from exports.pages import exact
from exports.pages.attendees import AttendeeReading
from exports.pages.fields import _FIELD, field_key, heading_of
from exports.pages.finishing import finish_page
from exports.pages.headings import HeadingReading
from exports.pages.lines import _LIST_ITEM, _TABLE_ROW, Line, inline_text, protect
from exports.pages.model import ParsedPage
from exports.pages.people import markers_in

_STARTS_AT = re.compile(r"^\s*(?:[-*+]\s+)?(?:starting|starts|start|begins?|beginning)(?: at)?\s+\d", re.I)
# Above the sign-up list only a bracketed "[Limit: 20]" states the limit: "at most 3 talks" is the description.
_HEADER_LIMIT = re.compile(r"\[\s*limit", re.IGNORECASE)


def _is_prose(text: str) -> bool:
    """A line of running text: not blank, not a list item or a table row."""
    return bool(text.strip()) and not _LIST_ITEM.match(text) and not _TABLE_ROW.match(text)


def _starts_at(line: Line) -> bool:
    return bool(_STARTS_AT.match(line.text)) and len(line.text) < 80


class _Parser(HeadingReading, AttendeeReading):
    """Reads a page line by line, switching parts at headings (`exports.pages.headings`)."""

    # ----- driving --------------------------------------------------------------------

    def run(self) -> ParsedPage:
        start = self._front_matter()
        for line in self.lines[start:]:
            self._line(line)
        self._finish()
        return self.page

    def _line(self, line: Line) -> None:
        if self.part == "notes":
            self._flush_paragraph()
            self._notes_line(line)
            return
        if self.exact and self.part in ("attendees", "topics") and self._exact_item(line):
            return
        if self._preformatted(line):
            return
        heading = heading_of(line)
        if heading is not None:
            self.pending_field = None  # "## Schedule" then "### Thursday": the label's value is not in the next section
        if self.part != "attendees" and heading is None and _is_prose(line.text):
            self.paragraph.append((line, inline_text(line.text)))
        else:
            self._flush_paragraph()
        if heading is not None and self._heading(heading, line):
            return
        if not line.text.strip():
            self._blank()
            return
        if self.day_pending:
            self._day_hours(line.text)
        if self.pending_field is not None:
            # "- **Times**:" then "  - Tuesday - 9:00am to 5:00pm": the label's first item is its value, even
            # nested under it; the rest of the label's items are its details.
            key, _ = self.pending_field
            self.pending_field = None
            item = _LIST_ITEM.match(line.text)
            self._field(key, item.group(3) or "" if item else line.text, line)
            if item:
                self.block_indent = -1 if self.block_indent is None else self.block_indent
            return
        if self._block_line(line):
            return
        if self._field_line(line):
            return
        if self.part == "attendees":
            self._attendee_line(line)
        elif self.part == "topics" and _starts_at(line):
            # "* Starting at 10:00 A.M. Pacific" among the agenda: when the meeting starts, not a topic.
            self._field("start", inline_text(line.text), line)
        elif self.part == "topics":
            self._topic_line(line)
        else:
            self._header_line(line)

    def _exact_item(self, line: Line) -> bool:
        """A sign-up or topic of the exporter's own page, read as written (no name or proposer heuristics)."""
        item = exact.list_item(line.text)
        if item is None:
            return False
        if self.part == "attendees":
            entry = exact.sign_up(item.content, line.number)
            if entry is None:
                return False
            self.page.attendees.append(entry)
            return True
        topic = exact.topic(item, line.number)
        if topic is None:
            return False
        if item.nested and self.page.topics:
            self.page.topics[-1].subtopics.append(topic)
        else:
            self.page.topics.append(topic)
        self._title_index = None
        return True

    def _preformatted(self, line: Line) -> bool:
        """A `<pre>` timetable in the agenda: one session a row ("10:00 Type systems (0:30, Alan Turing)")."""
        # On the exporter's page an escaped "\<pre" is text: only a tag opens a timetable.
        lowered = (protect(line.raw) if self.exact else line.raw).lower()
        opens, closes = "<pre" in lowered, "</pre" in lowered
        inside = self.in_pre or opens
        self.in_pre = inside and not closes
        if not inside or self.part != "topics":
            return False
        if line.text.strip():
            self._timetable_row(line)
        return True

    def _blank(self) -> None:
        if self.part in ("header", "other"):
            target = self.description if self._in_description() else self.general
            if target and target[-1] != "":
                target.append("")

    def _in_description(self) -> bool:
        return self.part == "header" and not self.seen_field

    # ----- header fields and free text ---------------------------------------------------

    def _header_line(self, line: Line) -> None:
        match = _FIELD.match(line.text)
        if match:
            key = field_key(match.group(1))
            if key is not None and match.group(2).strip():
                self._field(key, match.group(2), line)
                return
        if self.took_limit(line, _HEADER_LIMIT):
            return
        row = _TABLE_ROW.match(line.text)
        if row and line.number not in self.table_headers:  # "| Dates | Location | Host |" names columns
            cells = [c for c in row.group(1).split("|") if inline_text(c)]
            if len(cells) >= 2 and field_key(cells[0]) is not None:
                self._field(field_key(cells[0]) or "", " ".join(cells[1:]), line)
                return
        item = _LIST_ITEM.match(line.text)
        if item and self.part == "header" and markers_in(line.text):
            # A bare sign-up list: a page that holds only the list of a meeting described elsewhere.
            self._attendee_line(line)
            return
        if not _is_prose(line.text):
            self._dates_from(inline_text(line.text), line, rank=3)  # a paragraph's lines are read together
        image_only = line.text.strip().startswith("![") and line.text.strip().endswith(")")
        self.keep(self.description if self._in_description() and not image_only else self.general, line)

    # ----- finishing ------------------------------------------------------------------------

    def _finish(self) -> None:
        self._flush_paragraph()
        self._settle_dates()
        finish_page(self.page, self.description, self.general, exact=self.exact)


def parse_page(text: str) -> ParsedPage:
    """Read a meeting page in time linear in its length. Never raises; what it cannot read is in `problems`.

    The caller refuses a page over `PAGE_MAX_BYTES` first (`check_page_size`). A sign-up list or agenda
    read in part or not at all is reported too (`exports.pages.coverage`).
    """
    from exports.pages.coverage import unread_parts

    description = None
    marked = exact.is_exact(text)
    if marked:
        text, description = exact.take_description(text)
    parser = _Parser(text)
    parser.exact = marked
    page = parser.run()
    if description is not None:
        page.description = description
    lines = parser.lines
    if marked and parser.notes_from is not None:
        # The notes of the exporter's page are the meeting's notes, whatever lists their headings seem to open.
        lines = [line for line in lines if line.number < parser.notes_from]
    page.problems.extend(unread_parts(lines, page))
    return page
