"""Whether a page's sign-up lists and agendas were read: the check behind an honest report and `--strict`.

The worst failures of an importer are the quiet ones: a table of 28 attendees under
"Participants" that yields nobody, reported as a success. After the page is read, each part
that looks like it holds sign-ups or topics (a heading that names them, or a table whose
columns do) is held against what was read from its lines: a part with entries but none read
says so, and so does each entry line of a part that was read only in part. These are
`Problem`s like any other line left out, so `--strict` refuses such a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from exports.pages.fields import _FIELD, field_key, heading_of, logistics_label
from exports.pages.lines import _LIST_ITEM, _TABLE_ROW, _TABLE_RULE, Line, inline_text, restore
from exports.pages.model import ParsedPage, Problem
from exports.pages.people import heading_mode, markers_in

_SIGN_UPS = re.compile(
    r"\b(attendees?|attendance|participants?|sign[ -]?ups?|rsvps?|roster|registrants?|registered|invitees?|"
    r"who'?s (?:coming|attending)|in[ -]person|remote(?:ly)?|wait ?list)\b"
)
_TOPICS = re.compile(r"\b(agenda|topics?)\b")
PART_WORDS = 5  # "Proposed discussion topics", "List of participants": a longer heading is a title or a sentence
_NAME_COLUMN = re.compile(r"\b(name|attendee|participant|who|person)\b")
_TOPIC_COLUMN = re.compile(r"\b(topic|title|session|agenda item|subject)\b")
_WHAT = {"attendees": ("sign-up", "sign-ups"), "topics": ("topic", "topics")}


@dataclass(frozen=True)
class _Part:
    """A stretch of lines that looks like a list of sign-ups or topics."""

    kind: str  # "attendees" or "topics"
    line: int  # the line number of its heading or table header
    text: str
    first: int  # the indexes of the lines it spans, inclusive
    last: int


def _parts(lines: list[Line], title: str | None) -> Iterator[_Part]:
    """Each part's span in `lines` (indexes, inclusive). Linear in the page: a heading's part ends at the next
    heading of its level or above (found with a stack), and a table is scanned once."""
    headings = [heading_of(line) for line in lines]
    ends = [len(lines) - 1] * len(lines)
    open_headings: list[int] = []  # indexes of headings whose part has not ended, levels increasing
    for index, heading in enumerate(headings):
        if heading is None:
            continue
        while open_headings and (headings[open_headings[-1]] or heading).level >= heading.level:
            ends[open_headings.pop()] = index - 1
        open_headings.append(index)
    for index, heading in enumerate(headings):
        if heading is None:
            continue
        lowered = heading.text.lower()
        kind = "topics" if _TOPICS.search(lowered) else "attendees" if _SIGN_UPS.search(lowered) else None
        if kind is None or heading_mode(heading.text) == "absent":
            continue
        if restore(heading.text) == title or len(heading.text.split()) > PART_WORDS:
            continue  # "Agenda for the 65th meeting of Ecma TC39" names the page, not a part of it
        yield _Part(kind, lines[index].number, heading.text, index + 1, ends[index])
    index = 0
    while index < len(lines) - 1:
        line, below = lines[index], lines[index + 1]
        row = _TABLE_ROW.match(line.text)
        index += 1  # now the line below
        if row is None or _TABLE_RULE.match(line.text) or not _TABLE_RULE.match(below.text):
            continue  # a table's header is the row above its rule
        header = inline_text(row.group(1)).lower()
        rule = last = index
        while last + 1 < len(lines) and _TABLE_ROW.match(lines[last + 1].text):
            last += 1
        index = last + 1
        kind = "topics" if _TOPIC_COLUMN.search(header) else "attendees" if _NAME_COLUMN.search(header) else None
        if kind is not None:
            yield _Part(kind, line.number, inline_text(line.text), rule, last)


def _entry_line(line: Line) -> bool:
    """A list item or table row: where a sign-up or a topic is written (not a rule, a field or a regret)."""
    if _TABLE_RULE.match(line.text) or not (_LIST_ITEM.match(line.text) or _TABLE_ROW.match(line.text)):
        return False
    field = _FIELD.match(line.text)
    if field and (field_key(field.group(1)) is not None or logistics_label(field.group(1))):
        return False  # "- **Host**: Igalia": a detail of the meeting, read as one
    text = inline_text(line.text)
    if not any(map(str.isalpha, text)):
        return False  # "- 6." or "| |": an empty item, reported as one where it matters
    return not any(marker.mode == "absent" for marker in markers_in(text))


def unread_parts(lines: list[Line], page: ParsedPage) -> list[Problem]:
    """The sign-up lists and agendas of the page (its `lines` as read) that were read in part or not at all."""
    read = {
        "attendees": {a.line for a in page.attendees},
        "topics": {t.line for t in page.topics} | {s.line for t in page.topics for s in t.subtopics},
    }
    reported = {p.line for p in page.problems}
    problems: list[Problem] = []
    flagged: set[int] = set()
    headers = {line.number for line, below in pairwise(lines) if _TABLE_RULE.match(below.text)}
    for part in _parts(lines, page.title):
        inside = lines[part.first : part.last + 1]
        # Absent markers under a "Regrets" sub-heading are understood, not left out.
        regrets: set[int] = set()
        absent = False
        for line in inside:
            heading = heading_of(line)
            if heading is not None:
                absent = heading_mode(heading.text) == "absent"
            elif absent:
                regrets.add(line.number)
        entries = [line for line in inside if _entry_line(line) and line.number not in regrets | headers]
        if not entries:
            continue
        taken = read[part.kind]
        one, many = _WHAT[part.kind]
        if not any(line.number in taken for line in inside):
            if part.line not in flagged:
                flagged.add(part.line)
                problems.append(
                    Problem(part.line, part.text[:200], f"looks like a list of {many}, but no {one} was read from it")
                )
            continue
        either = read["attendees"] | read["topics"]
        for line in entries:
            if line.number not in either and line.number not in reported and line.number not in flagged:
                flagged.add(line.number)
                problems.append(
                    Problem(line.number, line.raw.strip()[:200], f"under {part.text[:60]!r} but not read as a {one}")
                )
    return problems
