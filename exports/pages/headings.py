"""A page's headings: which names the meeting, which opens a part (agenda, sign-ups, notes), which one day."""

from __future__ import annotations

import re

from exports.pages.agenda import AgendaReading
from exports.pages.details import DetailReading
from exports.pages.fields import _LIMIT, PART_ATTENDEES, PART_NOTES, PART_TOPICS, Heading, field_key
from exports.pages.lines import Line
from exports.pages.people import heading_mode
from exports.pages.schedule import parse_schedule

# Headings that name a part of the page, not the meeting.
_PART_NAME = re.compile(
    r"^(table of contents|contents|toc|(proposed |meeting )?(agenda|schedule|topics|notes|minutes|attendees|"
    r"participants|sign ?ups?|registration|logistics)( items)?)$"
)

_VIRTUAL = re.compile(
    r"video call|videocall|teleconference|virtual meeting|virtual interim|online[ -]only|web ?conference"
)
_CONTENTS = re.compile(r"^(?:table of contents|contents|toc)$")
# "Call for Proposals" asks for topics and "Agenda topic rules" says how to add them: neither lists the agenda.
_NOT_AGENDA = re.compile(r"^call for\b|\b(?:rules|guidelines|instructions|constraints|policy)$")
_WEEKDAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bday (?:one|two|three|four|\d)\b"
)


def _is_day_heading(text: str) -> bool:
    """A heading that names one day of the meeting: 'Tuesday, 24 January', 'Day One: 13th December, 2019'."""
    lowered = text.lower()
    if len(lowered.split()) > 12:
        return False
    return bool(_WEEKDAY.search(lowered)) or (
        any(map(str.isdigit, lowered)) and parse_schedule(text).start_date is not None and len(lowered.split()) <= 6
    )


def _groups_sign_ups(text: str) -> bool:
    """A heading inside a sign-up list that only groups it ("Remote", "In person")."""
    bare = " ".join(text.lower().split()).strip(" :*")
    return heading_mode(text) is not None or bool(PART_ATTENDEES.search(bare))


class HeadingReading(DetailReading, AgendaReading):
    """Switches the reader between the page's parts at its headings."""

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
