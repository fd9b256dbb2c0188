"""Reading the sign-up list: numbered or bulleted entries, table rows, and the modes headings give."""

from __future__ import annotations

import re

from exports.pages.lines import _INNER_MARKER, _LIST_ITEM, _TABLE_ROW, _TABLE_RULE, Line, inline_text
from exports.pages.model import ParsedAttendee
from exports.pages.people import (
    _EMAIL,
    _NAME_SEPARATORS,
    _REMARK_SEPARATOR,
    _strip_separators,
    heading_mode,
    looks_like_name,
    markers_in,
    mode_of,
)
from exports.pages.reading import PageReading
from exports.pages.wording import meaning_of, wordings

_ORGANISATION = re.compile(
    r"\b(university|universit[éä]t|college|institute|school|foundation|inc|corp|corporation|ltd|llc|gmbh|labs?|"
    r"technologies|systems|software|research|group|networks|red hat|uc|mit|cnrs|inria|consortium|w3c|ietf)\b",
    re.IGNORECASE,
)

# What a sign-up table's column holds, by its header (lower-cased); a column none of these names holds remarks.
_COLUMN_KINDS = wordings(
    ("handle", r"github|handle|user ?name|irc|nick"),
    ("name", r"\b(name|who|attendee|participant|person)\b"),
    ("remote?", r"remote\s*\?"),
    ("in-person?", r"in[ -]person\s*\?|attending\s*\?"),
    ("mode", r"mode|attend|in[ -]person|remote|presence|how|participation"),
)

# In the sign-up list the limit opens its line: "Capacity: 30", "(max 12)".
_LIST_LIMIT = re.compile(r"^\s*+[\[(]?\s*+(limit|capacity|max)", re.IGNORECASE)
# A sign-up table's header row names its name column so.
_HEADER_CELL = re.compile(r"\b(name|who|attendee|participant|person|github|handle)\b")


class AttendeeReading(PageReading):
    """The attendee part of a page."""

    def _attendee_line(self, line: Line) -> None:
        stripped = inline_text(line.text)
        if stripped.endswith(":") and len(stripped.split()) <= 4 and heading_mode(stripped) is not None:
            self.default_mode = heading_mode(stripped)  # "In-person:" and "Virtual Attendees:" open their lists
            return
        if self.took_limit(line, _LIST_LIMIT):
            return
        row = _TABLE_ROW.match(line.text)
        if row:
            self._attendee_row(row.group(1), line)
            return
        item = _LIST_ITEM.match(line.text)
        if item:
            content = item.group(3) or ""
            inner = _INNER_MARKER.match(content)
            if inner and re.match(r"^\d", inner.group(1)):
                content = inner.group(2) or ""
            if not inline_text(content):
                self.problem(line, "empty entry in the attendee list")
                return
            self._attendee_entries(content, line)
            return
        text = inline_text(line.text)
        if markers_in(text) or self._plain_names(text):
            self._attendee_entries(line.text, line)
        else:
            self.keep(self.general, line)

    def _plain_names(self, text: str) -> bool:
        names = [n for n in _NAME_SEPARATORS.split(text) if n]
        particles = {"van", "de", "von", "der", "da", "di", "la", "le", "bin", "del", "du"}
        return bool(names) and all(
            looks_like_name(n)
            and len(n.split()) <= 4
            and all(w[:1].isupper() or w.startswith("@") or w in particles for w in n.split())
            for n in names
        )

    @staticmethod
    def _affiliated(text: str) -> bool:
        """ "Bill Budge, Google" is a person and their organisation; "Anne van Kesteren, Olli Pettay" is two people."""
        name, _, rest = (part.strip() for part in text.partition(","))
        if not rest or not looks_like_name(name) or not (len(name.split()) >= 2 or any(map(str.isdigit, name))):
            return False
        return len(rest.split()) == 1 or bool(_ORGANISATION.search(rest)) or "/" in rest or "," in rest

    def _attendee_entries(self, content: str, line: Line) -> None:
        text = inline_text(content)
        marks = markers_in(text)
        if not marks:
            remark = ""
            separator = _REMARK_SEPARATOR.search(text)
            aside = re.match(r"^([^()]*[^()\s])\s*\(([^()]+)\)$", text)
            if aside and looks_like_name(aside.group(1)):
                names, remark = [aside.group(1)], aside.group(2).strip()  # "Léonie Watson (chair)"
            elif separator and looks_like_name(text[: separator.start()]):
                names, remark = [text[: separator.start()]], text[separator.end() :].strip()
            elif _LIST_ITEM.match(line.text) and self._affiliated(text):
                # "Bill Budge, Google": one entry per item, the organisation after the comma.
                name, _, affiliation = text.partition(",")
                names, remark = [name], affiliation.strip()
            else:
                names = [n for n in _NAME_SEPARATORS.split(text) if n]
            for name in names:
                self._add_attendee(name, self.default_mode, remark, None, False, line)
            return
        cursor = 0
        for index, mark in enumerate(marks):
            name = text[cursor : mark.start].strip()
            if index > 0:
                if not re.match(r"^\s*(?:[,;/&]|and\b)", text[cursor : mark.start]):
                    self.problem(line, "cannot tell where a remark ends and the next name begins")
                    return
                name = _strip_separators(name)
            end = marks[index + 1].start if index + 1 < len(marks) else len(text)
            remark = ""
            if index + 1 == len(marks):
                remark = re.sub(r"^[-–—:]+\s*", "", text[mark.end : end].strip())
            cursor = mark.end
            if len(marks) == 1 and self._affiliated(name):
                name, _, affiliation = name.partition(",")
                remark = "; ".join(r for r in (affiliation.strip(), remark) if r)
            self._add_attendee(name, mark.mode, remark, mark.waitlist, mark.waitlisted, line)

    def _add_attendee(
        self, name: str, mode: str | None, remark: str, waitlist: int | None, waitlisted: bool, line: Line
    ) -> None:
        email = None
        found = _EMAIL.search(name)
        if found:
            email = found.group(1)
            name = (name[: found.start()] + name[found.end() :]).strip(" ,;-()")
        name = " ".join(name.split()).strip(" ,;")
        aside = name.rfind(" (")
        if name.endswith(")") and aside > 0 and len(name) - aside <= 32 and looks_like_name(name[:aside]):
            # "Istvan Szmozsanszky (Flaki)": a nickname or initials beside the name.
            name, remark = name[:aside], "; ".join(r for r in (name[aside + 2 : -1], remark) if r)
        if mode == "absent" or self.default_mode == "absent":
            return  # regrets: understood, and not a sign-up
        if mode is None:
            mode = self.default_mode
        if mode == "waitlist" or (mode is None and self.default_mode == "waitlist"):
            mode, waitlisted = "in-person", True
        if mode is None:
            mode = self.page_mode
        if not name:
            self.problem(line, "a sign-up without a name")
            return
        if not looks_like_name(name):
            self.problem(line, "does not read as a name")
            return
        if waitlisted and mode == "in-person":
            self.waitlist_count += 1
            waitlist = waitlist or self.waitlist_count
        else:
            waitlist = None
        self.page.attendees.append(ParsedAttendee(name, mode, remark, line.number, email, waitlist))

    def _attendee_row(self, body: str, line: Line) -> None:
        if _TABLE_RULE.match(line.text):
            return
        cells = [inline_text(c) for c in body.rstrip().rstrip("|").split("|")]
        lowered = [c.lower() for c in cells]
        if self.table_columns is None and any(_HEADER_CELL.search(c) for c in lowered):
            self.table_columns = [meaning_of(_COLUMN_KINDS, c) or "remark" for c in lowered]
            return
        columns = self.table_columns or ["name"] + ["mode"] * (len(cells) - 1)
        name, handle, mode, remarks = "", "", None, []
        waitlisted = False
        for kind, cell in zip(columns, cells, strict=False):
            if not cell:
                continue
            if kind == "name" and not name:
                name = cell
            elif kind == "handle":
                handle = cell
            elif kind in ("mode", "in-person?", "remote?"):
                meaning = mode_of(cell)
                if kind == "remote?" and meaning in ("in-person", "absent"):
                    meaning = "remote" if meaning == "in-person" else "in-person"
                if meaning is None:
                    marks = markers_in(f"({cell})")
                    if marks:
                        meaning, waitlisted = marks[0].mode, marks[0].waitlisted
                if meaning is None:
                    remarks.append(cell)
                elif mode is None:
                    mode = meaning
            else:
                remarks.append(cell)
        if not name:
            name = handle
        elif handle:
            remarks.insert(0, handle)
        if not name:
            self.problem(line, "a table row without a name")
            return
        self._add_attendee(name, mode, "; ".join(remarks), None, waitlisted, line)
