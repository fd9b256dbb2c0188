"""Reading a wiki meeting page: page text in, a `ParsedPage` out, with no I/O.

Real pages are written by many hands: numbered, bulleted or tabled sign-up lists, modes in
brackets or implied by a heading, schedules in several date styles, HTML mixed into the
Markdown. The parser keeps what it understands and reports every line it had to leave
out as a `Problem`, instead of guessing. It never raises: any text gives a page.
"""

from __future__ import annotations

import re

from exports.pages import exact
from exports.pages.agenda import AgendaReading
from exports.pages.attendees import AttendeeReading
from exports.pages.escaping import unescape_notes
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
    logistics_label,
)
from exports.pages.lines import _LIST_ITEM, _TABLE_ROW, Line, inline_text, is_rule, protect, restore
from exports.pages.model import ParsedPage
from exports.pages.people import heading_mode, markers_in
from exports.pages.schedule import parse_schedule
from ledger.errors import BadInputError
from ledger.timing import zone_name

# Headings that name a part of the page, not the meeting.
_PART_NAME = re.compile(
    r"^(table of contents|contents|toc|(proposed |meeting )?(agenda|schedule|topics|notes|minutes|attendees|"
    r"participants|sign ?ups?|registration|logistics)( items)?)$"
)


_VIRTUAL = re.compile(
    r"video call|videocall|teleconference|virtual meeting|virtual interim|online[ -]only|web ?conference"
)
# A date in such a sentence is not the meeting's.
_NOT_THE_MEETING = re.compile(
    r"deadline|closes|close on|submit|register by|last modified|updated|proposals? (?:due|by)", re.I
)
_ONLY_HOURS = re.compile(r"^[\d:.\s\-–apmAPM]{3,40}$")
_CONTENTS = re.compile(r"^(?:table of contents|contents|toc)$")
# "Call for Proposals" asks for topics and "Agenda topic rules" says how to add them: neither lists the agenda.
_NOT_AGENDA = re.compile(r"^call for\b|\b(?:rules|guidelines|instructions|constraints|policy)$")
# A section about other meetings: its dates are not this meeting's.
_OTHER_MEETINGS = re.compile(r"\b(?:future|upcoming|next|past|previous|other) (?:meetings?|events?|dates)\b")
_WEEKDAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bday (?:one|two|three|four|\d)\b"
)


def _is_day_heading(text: str) -> bool:
    """A heading that names one day of the meeting: 'Tuesday, 24 January', 'Day One: 13th December, 2019'."""
    lowered = text.lower()
    if len(lowered.split()) > 12:
        return False
    return bool(_WEEKDAY.search(lowered)) or (
        any(c.isdigit() for c in lowered) and parse_schedule(text).start_date is not None and len(lowered.split()) <= 6
    )


_STARTS_AT = re.compile(r"^\s*(?:[-*+]\s+)?(?:starting|starts|start|begins?|beginning)(?: at)?\s+\d", re.I)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _is_prose(text: str) -> bool:
    """A line of running text: not blank, not a list item or a table row."""
    return bool(text.strip()) and not _LIST_ITEM.match(text) and not _TABLE_ROW.match(text)


def _starts_at(line: Line) -> bool:
    return bool(_STARTS_AT.match(line.text)) and len(line.text) < 80


def _groups_sign_ups(text: str) -> bool:
    """A heading inside a sign-up list that only groups it ("Remote", "In person")."""
    bare = " ".join(text.lower().split()).strip(" :*")
    return heading_mode(text) is not None or bool(PART_ATTENDEES.search(bare))


_MEETING_WORDS = re.compile(
    r"\b(meet(?:ing)?|will (?:be|occur|take place|follow)|takes place|held|summit|event)\b", re.I
)


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

    def _field_line(self, line: Line) -> bool:
        """ "- **Dates**: June 12-13, 2019" or "**Host**: Igalia" in any part: a detail, never a topic or a sign-up."""
        match = _FIELD.match(line.text)
        if match is None and "**" in line.text[:12]:
            match = _FIELD.match(line.text.replace("**", "", 2))  # "- **Dinner** on Wednesday:"
        if not match or _TABLE_ROW.match(line.text):
            return False
        label, value = match.group(1), match.group(2).strip()
        key = field_key(label)
        if key is None and not logistics_label(label):
            return False
        if self.part == "attendees" and key is None and not value:
            return False
        indent = len(line.text) - len(line.text.lstrip())
        if key is not None and value:
            self._field(key, value, line)
        elif key is not None:
            self.pending_field = (key, line)
        else:
            self.keep(self.general, line)
        self.block_indent = indent  # items indented under the label are its details
        self.seen_field = True
        return True

    def _block_line(self, line: Line) -> bool:
        """A line inside a logistics block (nested under "- **Contact**:"): kept for the notes, out of the agenda."""
        if self.block_indent is None:
            return False
        indent = len(line.text) - len(line.text.lstrip())
        if indent > max(self.block_indent, 0) or (self.block_indent < 0 and _LIST_ITEM.match(line.text) and indent > 0):
            self.keep(self.general, line)
            return True
        self.block_indent = None
        return False

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
        if heading.level == 7 and len(heading.text.split()) > 6:
            return False  # "*Examples of unacceptable behavior by participants include:*" is a sentence
        if self._first_heading_is_title(heading, line):
            self.page.title = heading.text
            if _VIRTUAL.search(lowered):
                self.page_mode = "remote"  # everyone on a video call takes part remotely
            self._dates_from(heading.text, line, rank=1)
            return True
        if (
            self.part == "attendees"
            and self.resume_notes
            and (heading.level <= self.part_level or not _groups_sign_ups(heading.text))
        ):
            # "*Introduction of attendees*" then "*Adoption of the agenda*": the roll call is over, the minutes go on.
            self.part, self.resume_notes = "notes", False
            self._notes_line(line)
            return True
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
            self.notes_from = line.number if self.notes_from is None else self.notes_from
            self.notes_level = heading.level
            self.notes_section = None
            return True
        if self.part == "attendees" and heading.level > self.part_level:
            mode = heading_mode(heading.text)
            if mode is not None or PART_ATTENDEES.search(bare):
                self.default_mode = mode
                self.table_columns = None
                return True
        self.section = lowered
        if (
            (_NOT_AGENDA.search(bare) and not PART_ATTENDEES.search(bare)) or _CONTENTS.match(bare)
        ) and heading.level <= 6:
            # A table of contents only points into the page: its links are neither its description nor its agenda.
            self.part, self.part_level = "other", heading.level
            self.keep(self.general, line)
            return True
        day = _is_day_heading(heading.text)
        if day:
            self._day_heading(heading.text)
        if (PART_TOPICS.search(bare) and not PART_ATTENDEES.search(bare)) or (
            day and self.part != "attendees" and not (self.part == "topics" and heading.level > self.part_level)
        ):
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
        self._dates_from(heading.text, line, rank=2)
        self.keep(self.general, line)
        return True

    def _first_heading_is_title(self, heading: Heading, line: Line) -> bool:
        """The page's first heading names the meeting, unless it only names a part ("# Attendees", "# Schedule")."""
        if self.page.title is not None or self.seen_field or self.part not in ("header", "other") or heading.level > 2:
            return False
        if any(d.strip() for d in self.description) or self.page.topics or self.page.attendees:
            return False
        bare = " ".join(re.sub(r"[^\w\s]", " ", heading.text.lower()).split())
        if heading.level == 1 and line.number == self.first_line:
            return not _PART_NAME.match(bare)  # "# Vc" opening the page, as `export markdown` writes every title
        return len(bare.split()) >= 3 and not _PART_NAME.match(bare) and field_key(bare) is None

    def _flush_paragraph(self) -> None:
        """A paragraph's dates are read across its lines ("begin at 9:30am and end / at approximately 5pm"),
        leaving out its sentences about something else ("Registration closes on 10 January 2020.")."""
        if not self.paragraph:
            return
        first = self.paragraph[0][0]
        sentences = _SENTENCE_END.split(" ".join(text for _, text in self.paragraph[:40]))
        self.paragraph = []
        kept = [s for s in sentences if not _NOT_THE_MEETING.search(s)]
        start = next((i for i, s in enumerate(kept) if any(c.isdigit() for c in s)), None)
        if start is not None:
            self._dates_from(" ".join(kept[start:]), first, rank=3)

    def _dates_from(self, text: str, line: Line, rank: int) -> None:
        """Remember a date written outside the fields (a heading, a sentence), for a page whose fields give none."""
        if len(self.date_candidates) >= 200 or not any(c.isdigit() for c in text) or _NOT_THE_MEETING.search(text):
            return
        if _OTHER_MEETINGS.search(self.section):
            return
        pieces = parse_schedule(text)
        if pieces.start_date is not None:
            if rank > 2 and _MEETING_WORDS.search(text):
                rank = 2
            self.date_candidates.append((rank, line.number, pieces))

    def _day_heading(self, text: str) -> None:
        """'## Monday, 22 July 2019, Afternoon Session' opens one day of the meeting; '_1550-1750_' below, its hours."""
        pieces = parse_schedule(text)
        self.day_pending = pieces.start_date is not None and pieces.start_time is None
        if pieces.start_date is not None:
            self.day_dates.append(pieces)

    def _day_hours(self, text: str) -> None:
        """The first line under a day heading may give that day's hours."""
        self.day_pending = False
        stripped = text.strip()
        emphasized = len(stripped) > 2 and stripped[0] in "*_" and stripped[-1] == stripped[0]
        if not self.day_dates or not (emphasized or _ONLY_HOURS.match(stripped)):
            return  # "0830-0900 Reception" is the day's first slot, not its hours
        pieces = parse_schedule(text)
        if pieces.start_date is None and pieces.start_time is not None:
            day = self.day_dates[-1]
            day.start_time = pieces.start_time
            if pieces.end_time is not None and pieces.end_time > pieces.start_time:
                day.end_time = pieces.end_time
            day.zone = day.zone or pieces.zone

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

    def _field(self, key: str, value: str, line: Line) -> None:
        self.seen_field = True
        text = inline_text(value)
        page = self.page
        if key == "title":
            if text:
                page.title = text
        elif key == "description":
            self.description.append(self.screened(restore(value.strip()), line))
        elif key == "location":
            page.location = text
        elif key == "video":
            url = _URL.search(value)
            if self.exact and exact.autolink(line.raw):
                page.video_url = exact.autolink(line.raw)  # as written: "&copy" or "*" in a link are no markup
            elif url:
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
        if key == "schedule" and self.field_times and pieces.start_time is not None:
            return  # a second "Date & time:" (a side event, another day's hours) does not move the meeting
        if not (key == "schedule" and self.field_dates):
            # "**Dates**: 04-06 June 2019" then "**Times**: 10:00 to 17:00 on 04 and 05 of June 2019": the times
            # line names the days those hours hold on, not the meeting's days.
            page.start_date = pieces.start_date or page.start_date
            page.end_date = pieces.end_date or page.end_date
        if key == "schedule":
            self.field_dates = self.field_dates or pieces.start_date is not None
            self.field_times = self.field_times or pieces.start_time is not None
        page.start_time = pieces.start_time or page.start_time
        if key == "schedule":
            page.end_time = pieces.end_time or page.end_time
        elif pieces.end_time is not None:
            page.end_time = pieces.end_time

    # ----- finishing ------------------------------------------------------------------------

    def _finish(self) -> None:
        self._flush_paragraph()
        page = self.page
        self._restore_values()
        if page.start_date is None and self.day_dates and not any(c[0] == 1 for c in self.date_candidates):
            # One heading per day: the meeting runs from the first day to the last, at the first day's hours.
            first, last = self.day_dates[0], self.day_dates[-1]
            page.start_date = first.start_date
            end = last.end_date or last.start_date
            page.end_date = end if end != first.start_date else first.end_date
            page.start_time = page.start_time or first.start_time
            page.end_time = page.end_time or first.end_time
            page.zone = page.zone or first.zone
        if page.start_date is None and self.date_candidates:
            _, _, pieces = min(self.date_candidates, key=lambda c: (c[0], c[1]))
            page.start_date, page.end_date = pieces.start_date, pieces.end_date
            page.start_time = page.start_time or pieces.start_time
            page.end_time = page.end_time or pieces.end_time
            page.zone = page.zone or pieces.zone
        if page.start_time is None and self.agenda_times:
            # No schedule gives the hours: the meeting starts with its timetable's first slot.
            page.start_time = self.agenda_times[0]
        if not self.exact:
            self._no_place_proposers()
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
            section.text = unescape_notes(_trim_block(section.text))
        page.notes = [s for s in page.notes if s.text]
        page.general_notes = unescape_notes(re.sub(r"\n{3,}", "\n\n", _trim_block("\n".join(self.general))))
        if page.end_date is None and page.start_date is not None:
            page.end_date = None

    def _no_place_proposers(self) -> None:
        """'Interim meeting (Boston)' on a page held in Boston names the place, not who proposed it."""
        places = " ".join(filter(None, [self.page.location, self.page.title])).casefold()[:1000]
        if not places:
            return
        for topic in self.page.topics:
            for item in (topic, *topic.subtopics):
                if item.proposer and re.search(rf"\b{re.escape(item.proposer.casefold())}\b", places):
                    item.title, item.proposer = f"{item.title} ({item.proposer})", None

    def _restore_values(self) -> None:
        """Each value read, with the characters its page escaped as they were meant (`lines.protect`)."""
        page = self.page
        for name in ("title", "schedule_text", "location", "video_url"):
            value = getattr(page, name)
            if value is not None:
                setattr(page, name, restore(value))
        for attendee in page.attendees:
            attendee.name, attendee.remark = restore(attendee.name), restore(attendee.remark)
            attendee.email = restore(attendee.email) if attendee.email else attendee.email
        for topic in page.topics:
            for item in (topic, *topic.subtopics):
                item.title = restore(item.title)
                item.proposer = restore(item.proposer) if item.proposer else item.proposer
        for section in page.notes:
            section.heading = restore(section.heading)


def looks_like_title(text: str) -> bool:
    return 0 < len(text) <= 200 and any(c.isalnum() for c in text)


def _trim_block(text: str) -> str:
    lines = text.split("\n")
    first, last = 0, len(lines)
    while first < last and (not lines[first].strip() or is_rule(lines[first])):
        first += 1
    while last > first and (not lines[last - 1].strip() or is_rule(lines[last - 1])):
        last -= 1
    return "\n".join(lines[first:last])


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
