"""Reading the agenda and the notes: topics with their sub-topics, and notes under headings that name a topic."""

from __future__ import annotations

import re
from datetime import time

from exports.pages.fields import heading_of
from exports.pages.lines import _INNER_MARKER, _LIST_ITEM, _TABLE_ROW, _TABLE_RULE, Line, inline_text
from exports.pages.model import NoteSection, ParsedTopic
from exports.pages.people import heading_mode, presenter_in, split_proposer, strip_trailing_noise
from exports.pages.reading import PageReading
from exports.pages.schedule import parse_schedule


class AgendaReading(PageReading):
    """The topics part of a page, and the notes sections that follow it."""

    def _topic_line(self, line: Line) -> None:
        item = _LIST_ITEM.match(line.text)
        if item is None:
            row = _TABLE_ROW.match(line.text)
            if row:
                self._topic_row(row.group(1), line)
                return
            self.keep(self.general, line)
            return
        indent = len(item.group(1).expandtabs(4))
        marker, content = item.group(2), item.group(3) or ""
        lettered = bool(re.match(r"^(?:[a-z][.)]|\([a-z]\))$", marker))
        inner = _INNER_MARKER.match(content)
        if inner:
            lettered = lettered or bool(re.match(r"^(?:[a-z][.)]|\([a-z]\))$", inner.group(1)))
            marker, content = inner.group(1), inner.group(2) or ""
        if self.topic_indent is None or (indent <= self.topic_indent and not lettered):
            self.topic_indent = indent if self.topic_indent is None else min(indent, self.topic_indent)
            self.sub_indent = None
            is_sub = False
        else:
            is_sub = True
            if self.sub_indent is None:
                self.sub_indent = indent
            elif indent > self.sub_indent and not lettered:
                self.problem(line, "nested deeper than a sub-topic; left out")
                return
        content = content.rstrip()
        timed = _TRAILING_EMPHASIS.search(content[-90:])
        if timed and any(c.isdigit() for c in timed.group(2)) and parse_schedule(timed.group(2)).start_time:
            # "**Session 1 (Intros)** *10am - 12pm Thursday*": the session's slot, not its title.
            self._agenda_time(timed.group(2))
            content = content[: len(content) - len(content[-90:]) + timed.start()]
        text = inline_text(content)
        number = marker.strip("().")
        if not text:
            self.problem(line, f"empty topic item {number}" if number not in "-*+•" else "empty topic item")
            return
        if is_sub and self.page.topics and _DURATION_FIRST.match(text):
            # "- GC proposal update" then "  - 45 mins (Thomas Lively + Jakob Kummerow)": how long the topic above
            # takes and who presents it, not a sub-topic.
            parent = self.page.topics[-1]
            for group in _BRACKETS.findall(text):
                parent.proposer = parent.proposer or presenter_in(group)
            self.problem(line, "the time the topic above takes; left out")
            return
        proposer, title = split_proposer(text)
        if not title:
            self.problem(line, "a topic without a title")
            return
        topic = ParsedTopic(title, proposer, line.number)
        if is_sub and self.page.topics:
            parent = self.page.topics[-1]
            if topic.proposer is None:
                topic.proposer = parent.proposer  # a sub-topic belongs to whoever raised the topic
            parent.subtopics.append(topic)
            self._title_index = None
        else:
            self.page.topics.append(topic)
            self._title_index = None

    def _agenda_time(self, text: str) -> None:
        """The timetable's first slot: the meeting's start when no schedule gives one."""
        if not self.agenda_times and any(map(str.isdigit, text)):
            compact = _COMPACT_CLOCK.match(text.strip())  # "| 1000 | Introduction |": a 24-hour clock
            start = time(int(compact.group(1)), int(compact.group(2))) if compact else parse_schedule(text).start_time
            if start is not None:
                self.agenda_times.append(start)

    def _timetable_row(self, line: Line) -> None:
        """A row of a preformatted timetable: its leading slot is the time, the rest a session and its presenter."""
        text = inline_text(line.text)
        slot = _LEADING_SLOT.match(text)
        if slot and slot.group(0).strip():
            self._agenda_time(slot.group(0))
            text = text[slot.end() :]
        if not text or _not_a_topic(text):
            return
        proposer, title = split_proposer(text)
        if title:
            self.page.topics.append(ParsedTopic(title, proposer, line.number))
            self._title_index = None

    def _topic_row(self, body: str, line: Line) -> None:
        if _TABLE_RULE.match(line.text):
            return
        raw_cells = body.rstrip().rstrip("|").split("|")
        cells = [_cell_text(c) for c in raw_cells]
        lowered = [c.lower() for c in cells]
        if line.number in self.table_headers or (
            self.table_columns is None and any(_TITLE_COLUMN.search(c) for c in lowered)
        ):
            self.table_columns = _columns(lowered)
            return
        columns = self.table_columns or ["title", "proposer"]
        if "time" in columns:
            slot = next((cell for kind, cell in zip(columns, cells, strict=False) if kind == "time"), "")
            if slot and not any(map(str.isdigit, slot)):
                return  # "| Zoom (ask an organizer) | https://... |": a row of links or labels, not of the timetable
            self._agenda_time(slot)
        titles: list[str] = []
        proposer: str | None = None
        for kind, cell in zip(columns, cells, strict=False):
            if kind == "title" and cell:
                titles.append(cell)
            elif kind == "proposer" and proposer is None and cell:
                proposer = presenter_in(cell)
        titles = [t for t in titles if not _not_a_topic(t)]
        if not titles:
            if not any(cells):
                return
            if not any(kind == "title" and cell for kind, cell in zip(columns, cells, strict=False)):
                self.problem(line, "a topic row without a title")
            return
        for title in titles:
            self.page.topics.append(ParsedTopic(title, proposer, line.number))
        self._title_index = None

    # ----- notes ----------------------------------------------------------------------------

    def _notes_line(self, line: Line) -> None:
        heading = heading_of(line)
        if heading is not None and _ROLL_CALL.search(heading.text.lower()):
            # "### Attendees" or "*Introduction of attendees*" in the minutes: the roll call is the sign-up list.
            self.part, self.part_level, self.resume_notes = "attendees", min(heading.level, 6), True
            self.default_mode = heading_mode(heading.text) or self.default_mode
            self.table_columns = None
            self.raw(line)
            return
        if heading is not None and heading.level <= 6:
            current = self.notes_section
            if current is not None and heading.level > self._section_level:
                self._note_text(line)
                return
            target = self._match_topic(heading.text)
            if target is not None:
                self.notes_section = NoteSection(heading.text, "", line.number, target)
                self._section_level = heading.level
                self.page.notes.append(self.notes_section)
                self.raw(line)
                return
            self.notes_section = None
            self.keep(self.general, line)
            return
        self._note_text(line)

    def _note_text(self, line: Line) -> None:
        # Notes keep the page's own spelling, trailing spaces (Markdown line breaks) included.
        raw = self.raw(line)
        if raw is None:
            return
        if self.notes_section is not None:
            self.notes_section.text += raw + "\n"
        else:
            self.general.append(raw)

    _section_level = 2

    def _match_topic(self, heading: str) -> tuple[int, int | None] | None:
        wanted = _title_key(re.sub(r"^\s*(?:topic\s*)?\d{1,3}[a-z]?[.):]?\s+", "", heading, flags=re.IGNORECASE))
        for key in self._topics_by_title().get(wanted, []):
            if key not in self.matched_topics:
                self.matched_topics.add(key)
                return key
        return None

    _title_index: dict[str, list[tuple[int, int | None]]] | None = None  # reset when a topic is added

    def _topics_by_title(self) -> dict[str, list[tuple[int, int | None]]]:
        """Topic and sub-topic positions by title key, in page order."""
        if self._title_index is None:
            index: dict[str, list[tuple[int, int | None]]] = {}
            for i, topic in enumerate(self.page.topics):
                index.setdefault(_title_key(topic.title), []).append((i, None))
                for j, sub in enumerate(topic.subtopics):
                    index.setdefault(_title_key(sub.title), []).append((i, j))
            self._title_index = index
        return self._title_index


_ROLL_CALL = re.compile(
    r"^(?:\W*)(attendees|attendance|participants|present|roll call|introduction of attendees)\b|roll call$"
)


def _title_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", inline_text(title).casefold()).split())


_TIME_COLUMN = re.compile(r"\b(time|times|time ?slot|slot|when|timebox|duration|hours?|start)\b")
_TITLE_COLUMN = re.compile(r"\b(topic|title|subject|item|session|talk)\b")
_PRESENTER_COLUMN = re.compile(
    r"\b(proposer|presenters?|speakers?|leads?|owners?|champions?|facilitators?|who|by|name)\b"
)
# Columns that describe a session but name neither it nor its presenter.
_DETAIL_COLUMN = re.compile(
    r"\b(description|abstract|location|room|notes?|issue|slides|stage|status|link|materials|hosts?|summary)\b"
)


def _columns(header: list[str]) -> list[str]:
    """A timetable's header: its time, title and presenter columns. A table with a time column and no title column
    has one column per track, room or day ("| Time | Room 510AC | Room 513EF |"): each of those holds sessions."""
    kinds = [
        "time"
        if _TIME_COLUMN.search(c)
        else "title"
        if _TITLE_COLUMN.search(c)
        else "proposer"
        if _PRESENTER_COLUMN.search(c)
        else "detail"
        if _DETAIL_COLUMN.search(c)
        else "other"
        for c in header
    ]
    if "title" in kinds:
        return kinds
    if "time" in kinds:
        tracks = [
            "title" if kind in ("other", "detail") and cell and not _DETAIL_ONLY.match(cell) else kind
            for kind, cell in zip(kinds, header, strict=True)
        ]
        if "title" in tracks:
            return tracks
    first = next((i for i, kind in enumerate(kinds) if kind == "other"), None)
    if first is not None:
        kinds[first] = "title"
    return kinds


_DETAIL_ONLY = re.compile(r"^(description|abstract|location|notes?|issue ?#?|slides|stage|status|link|hosts?\(?s?\)?)$")
_COMPACT_CLOCK = re.compile(r"^([01]\d|2[0-3])([0-5]\d)(?!\d)")
_CLOCK = r"\d{1,2}(?:[:.]\d{2})?(?:\s?[ap]\.?m\.?)?"
_LEADING_SLOT = re.compile(rf"^{_CLOCK}(?:\s?[-–]\s?{_CLOCK})?(?=\s)\s{{0,4}}[-–:|]?\s{{0,4}}", re.IGNORECASE)
_DURATION_FIRST = re.compile(r"^~?\d{1,3}\s?(?:m|mins?|minutes?|h|hrs?|hours?)\b", re.IGNORECASE)
_BRACKETS = re.compile(r"\(([^()]{1,120})\)")
_TRAILING_EMPHASIS = re.compile(r"(?<=\S)\s{1,4}(\*|_)([^*_]{1,80})\1$")  # read in the item's last 90 characters
_ISSUE_LINK = re.compile(r"\[#?\d{1,7}\]\([^()\s]*\)")  # "[216](https://.../issues/216)" after a session's name
_REFERENCE_LINK = re.compile(r"\[([^\[\]]*)\]\[[^\[\]]*\]")
_BREAK_WORDS = frozenset(
    "break breaks lunch coffee tea breakfast dinner recess snacks provided and end of day reception".split()
)
_PLACEHOLDERS = frozenset({"tbd", "tba", "tbc", "n/a", "-", "--", "⇊", "...", "previous session continues", "cont'd"})


def _cell_text(cell: str) -> str:
    """A timetable cell as a title: reference links, issue links and document brackets removed, icons dropped."""
    if cell.isspace() or not cell:
        return ""  # most cells of a wide timetable are empty: skip the patterns for them
    text = inline_text(_REFERENCE_LINK.sub(r"\1", _ISSUE_LINK.sub(" ", cell)) if "[" in cell else cell)
    start = 0
    while start < len(text) and not text[start].isalnum() and text[start] not in "([\"'`@#.~":
        start += 1
    text = strip_trailing_noise(text[start:].strip())
    words = text.split()
    if len(words) > 2 and all(len(w) == 1 for w in words):
        text = "".join(words)  # "B R E A K"
    return text


def _not_a_topic(title: str) -> bool:
    """A break or a placeholder in a timetable: "Lunch (Provided)", "☕️ coffee break", "TBD", "⇊"."""
    lowered = title.lower().strip(" .:")
    if lowered in _PLACEHOLDERS or lowered.startswith("http") or not any(map(str.isalnum, lowered)):
        return True
    words = re.findall(r"[a-z]+", lowered)
    return bool(words) and all(w in _BREAK_WORDS for w in words) and not all(w in ("and", "of", "end") for w in words)
