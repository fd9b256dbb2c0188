"""The meeting's details written as labelled fields: front matter, "**Location**: Seattle", logistics blocks."""

from __future__ import annotations

import re

from exports.pages import exact
from exports.pages.dates import DateReading
from exports.pages.fields import _FIELD, _URL, field_key, logistics_label
from exports.pages.lines import _LIST_ITEM, _TABLE_ROW, Line, inline_text, restore
from ledger.errors import BadInputError
from ledger.timing import zone_name


class DetailReading(DateReading):
    """A field's value goes to the page; a logistics label's nested lines are kept for the notes."""

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
