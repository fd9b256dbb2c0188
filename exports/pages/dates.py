"""Where a page gives the meeting's days and hours besides its fields: day headings, running text, a timetable.

A schedule field ("**Dates**: June 12-13, 2019") wins; a page without one is dated by the headings
that each name one of its days, then by the date its title or its sentences give, ranked by how
surely they speak of this meeting (`date_candidates`).
"""

from __future__ import annotations

import re

from exports.pages.lines import Line
from exports.pages.reading import PageReading
from exports.pages.schedule import parse_schedule

# A date in such a sentence is not the meeting's.
_NOT_THE_MEETING = re.compile(
    r"deadline|closes|close on|submit|register by|last modified|updated|proposals? (?:due|by)", re.I
)
_ONLY_HOURS = re.compile(r"^[\d:.\s\-–apmAPM]{3,40}$")
# A section about other meetings: its dates are not this meeting's.
_OTHER_MEETINGS = re.compile(r"\b(?:future|upcoming|next|past|previous|other) (?:meetings?|events?|dates)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

_MEETING_WORDS = re.compile(
    r"\b(meet(?:ing)?|will (?:be|occur|take place|follow)|takes place|held|summit|event)\b", re.I
)


class DateReading(PageReading):
    """The meeting's days and hours, read from the schedule fields, the day headings and the running text."""

    def _flush_paragraph(self) -> None:
        """A paragraph's dates are read across its lines ("begin at 9:30am and end / at approximately 5pm"),
        leaving out its sentences about something else ("Registration closes on 10 January 2020.")."""
        if not self.paragraph:
            return
        first = self.paragraph[0][0]
        sentences = _SENTENCE_END.split(" ".join(text for _, text in self.paragraph[:40]))
        self.paragraph = []
        kept = [s for s in sentences if not _NOT_THE_MEETING.search(s)]
        start = next((i for i, s in enumerate(kept) if any(map(str.isdigit, s))), None)
        if start is not None:
            self._dates_from(" ".join(kept[start:]), first, rank=3)

    def _dates_from(self, text: str, line: Line, rank: int) -> None:
        """Remember a date written outside the fields (a heading, a sentence), for a page whose fields give none."""
        if len(self.date_candidates) >= 200 or not any(map(str.isdigit, text)) or _NOT_THE_MEETING.search(text):
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

    def _settle_dates(self) -> None:
        """Once every line is read: the days and hours of a page whose fields give none."""
        page = self.page
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
