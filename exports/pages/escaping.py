"""How `export markdown` writes text so that `import markdown` reads it back exactly.

One-line values (names, remarks, titles, places) get a backslash before each character the parser would
read as markup or structure (`lines.protect` turns it back). Notes are Markdown kept as written, so only
their lines that would end a section or hide the lines after it are changed, and reversibly: such a line
gets one backslash in front, and "<!--", "<tr" and "<br" get one after their "<".
"""

from __future__ import annotations

import re

from exports.pages.agenda import _ROLL_CALL
from exports.pages.fields import heading_of
from exports.pages.lines import is_rule, split_lines

# Markup and structure in any one-line value: emphasis, code, links, tags, entities, table cells, headings.
_MARKUP = frozenset("\\`*_~[]()<>&|#")
_NAME_MARKS = frozenset("@:")  # an address is taken out of a name, "Name:" is a label, "://" a link
_LIST_START = re.compile(r"^(?:\d{1,3}|[a-z])([.)])(?=\s|$)")


def _escaped(text: str, extra: frozenset[str] = frozenset()) -> str:
    out: list[str] = []
    previous = ""
    for char in text:
        # A run of spaces reads as one space, and other spaces as a plain one: each but a lone " " is escaped.
        if char in _MARKUP or char in extra or (char.isspace() and (char != " " or previous.isspace())):
            out.append("\\")
        out.append(char)
        previous = char
    return "".join(out)


def _ends(text: str) -> str:
    """A trailing ':' is dropped from labels and headings; a leading list marker would number the line."""
    if text.endswith(":") and not text.endswith("\\:"):
        text = text[:-1] + "\\:"
    marker = _LIST_START.match(text)
    if marker:
        text = text[: marker.start(1)] + "\\" + text[marker.start(1) :]
    return text


def escape_name(name: str) -> str:
    """A name's own separators at its ends would be taken for the list's ("Ann;", ", Bob")."""
    text = _ends(_escaped(name, _NAME_MARKS))
    if text[-1:] in (",", ";"):
        text = text[:-1] + "\\" + text[-1]
    if text[:1] in (",", ";", "-"):
        text = "\\" + text
    return text


def escape_remark(remark: str) -> str:
    """A remark follows the mode in brackets; leading dashes or colons there read as a separator."""
    text = _ends(_escaped(remark))
    if text[:1] in ("-", "–", "—", ":"):
        text = "\\" + text
    return text


def escape_text(value: str) -> str:
    """A title or a place."""
    return _ends(_escaped(value))


# ----- notes -------------------------------------------------------------------------------------------

_HIDING_TAG = re.compile(r"<(\\*)(!--|tr|br)", re.IGNORECASE)
_SHOWN_TAG = re.compile(r"<\\(\\*)(!--|tr|br)", re.IGNORECASE)


def _reads_as_structure(line: str) -> bool:
    """A line that, left as it is in the notes, would be read as a heading, or lost at a section's edge."""
    if line.startswith("\\") or not line.strip() or is_rule(line):
        return True
    for piece in split_lines(line):
        heading = heading_of(piece)
        if heading is not None and (heading.level <= 6 or _ROLL_CALL.search(heading.text.lower())):
            return True
    return False


def escape_notes(body: str) -> list[str]:
    """The notes' lines as written into the page: only the ones that would be misread are changed."""
    lines = [_HIDING_TAG.sub(r"<\\\1\2", line) for line in body.split("\n")]
    out: list[str] = []
    for index, line in enumerate(lines):
        at_edge = index in (0, len(lines) - 1)
        blank_again = not line.strip() and index > 0 and not lines[index - 1].strip()
        plain_break = not line.strip() or bool(is_rule(line))  # harmless inside, trimmed at the edges
        if _reads_as_structure(line) and (at_edge or blank_again or not plain_break or line.startswith("\\")):
            line = "\\" + line
        out.append(line)
    return out


def unescape_notes(text: str) -> str:
    """The notes as they were before `escape_notes`."""
    if "\\" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        if line.startswith("\\") and _reads_as_structure(line[1:]):
            line = line[1:]
        lines.append(_SHOWN_TAG.sub(r"<\1\2", line) if "<" in line else line)
    return "\n".join(lines)
