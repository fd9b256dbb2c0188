"""A page's lines: HTML turned into Markdown, comments blanked out, and the shapes a line can take."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ledger.errors import BadInputError

# The largest page read: reading is linear in the page's size, and a meeting's page, notes included, fits well within.
PAGE_MAX_BYTES = 2_000_000


def check_page_size(size: int) -> None:
    """Refuse a page over the limit before reading it (bad input: one line, nothing written)."""
    if size > PAGE_MAX_BYTES:
        raise BadInputError(f"the page is {size} bytes long; the limit is {PAGE_MAX_BYTES} bytes (2 MB)")


@dataclass
class Line:
    """A source line: its number, the raw text (kept for notes) and a cleaned form for reading."""

    number: int
    raw: str
    text: str


_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
_HEADING_TAG = re.compile(r"<h([1-6])(?:\s[^<>]*)?>((?:[^<]|<(?!/?h[1-6]))*?)</h\1\s*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<a\s[^<>]*?href\s*=\s*[\"']([^\"'<>]*)[\"'][^<>]*>(.*?)</a\s*>", re.IGNORECASE)


def _html_to_markdown(text: str, line_break: str = "\n") -> str:
    """The common tags of wiki pages turned into the Markdown they stand for.

    A `<br>` becomes `line_break`: a new line (the caller splits the text there), or a space
    inside a table row, whose cells must stay on one line.
    """
    if "<" not in text and "&" not in text:
        return text
    text = _HEADING_TAG.sub(lambda m: "#" * int(m.group(1)) + " " + m.group(2), text)
    text = _LINK_TAG.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)

    def tag(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        closing = match.group(0).startswith("</")
        if name in ("b", "strong"):
            return "**"
        if name == "li":
            return "" if closing else "- "
        if name in ("td", "th"):
            return " |" if closing else " "
        if name == "tr":
            return "" if closing else "|"
        if name == "br":
            return line_break
        return ""

    text = _TAG.sub(tag, text)
    return html.unescape(text)


# ----- backslash escapes ------------------------------------------------------------------------
#
# "\*", "\[" or "\#" is the character itself, never markup (CommonMark), and the parser also takes a backslash
# before a space or a dash as the character itself: that is how `export markdown` writes names, remarks and titles
# that would otherwise read as structure. Each escape becomes, before anything else reads the line, one private-use
# character of plane 16 that no pattern of the parser matches; `restore` turns it back into its character once the
# value is read. A private-use character of plane 16 written in the page is kept as two characters that `restore`
# also turns back, so every page text reads back the same.
ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~–—•") | frozenset(" \u00a0\u1680\u2000\u2001\u2002\u2003")
_ESCAPE_BASE = 0x100000
_LITERAL_MARK = "\U0010ffff"
_LITERAL_BASE = 0xF0000
_PROTECTED = re.compile("\\\\(.)|[\U00100000-\U0010ffff]")
_RESTORED = re.compile("\U0010ffff([\U000f0000-\U000fffff])|([\U00100000-\U0010fffd])")


def _protected(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped is None:
        literal = match.group(0)
        return _LITERAL_MARK + chr(ord(literal) - _ESCAPE_BASE + _LITERAL_BASE)
    if escaped in ESCAPABLE or escaped.isspace():
        return chr(_ESCAPE_BASE + ord(escaped))
    return match.group(0)


def protect(text: str) -> str:
    """The line with each backslash escape turned into its placeholder."""
    if "\\" not in text and not _has_plane_16(text):
        return text
    return _PROTECTED.sub(_protected, text)


def _restored(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return chr(ord(match.group(1)) - _LITERAL_BASE + _ESCAPE_BASE)
    return chr(ord(match.group(2)) - _ESCAPE_BASE)


def restore(text: str) -> str:
    """A value read from protected text, with its escaped characters as they were meant."""
    if not _has_plane_16(text):
        return text
    return _RESTORED.sub(_restored, text)


def _has_plane_16(text: str) -> bool:
    return _PLANE_16.search(text) is not None  # not max(text): a loop over every character of a 1 MB line


_PLANE_16 = re.compile("[\U00100000-\U0010ffff]")


def split_lines(text: str) -> list[Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    # HTML comments may span lines: blank them out but keep the line count.
    lines: list[Line] = []
    in_comment = False
    pending_row: tuple[int, str, str] | None = None
    for number, raw in enumerate(raw_lines, start=1):
        visible = ""
        rest = protect(raw)
        while rest:
            if in_comment:
                end = rest.find("-->")
                if end < 0:
                    rest = ""
                else:
                    rest, in_comment = rest[end + 3 :], False
            else:
                start = rest.find("<!--")
                if start < 0:
                    visible, rest = visible + rest, ""
                else:
                    visible, rest, in_comment = visible + rest[:start], rest[start + 4 :], True
        lowered = visible.lower()
        # An HTML table row spread over several lines is read as one row.
        if pending_row is not None:
            first, raw_so_far, joined = pending_row
            joined += " " + visible
            if "</tr" in lowered or number - first > 50:
                lines.append(Line(first, raw_so_far, _html_to_markdown(joined, " ")))
                pending_row = None
            else:
                pending_row = (first, raw_so_far, joined)
            lines.append(Line(number, raw, ""))
            continue
        if "<tr" in lowered and "</tr" not in lowered:
            pending_row = (number, raw, visible)
            lines.append(Line(number, raw, ""))
            continue
        in_row = "<tr" in lowered or visible.lstrip().startswith("|")
        converted = _html_to_markdown(visible, " " if in_row else "\n")
        if "\n" in converted:
            # Text a <br> (or an encoded newline) breaks is read as the lines a reader sees; a break
            # that ends the line, or a run of them, adds no blank line between a block's lines.
            for piece in [piece for piece in converted.split("\n") if piece.strip()] or [""]:
                lines.append(Line(number, raw, piece))
        else:
            lines.append(Line(number, raw, converted))
    if pending_row is not None:
        first, raw_so_far, joined = pending_row
        lines.append(Line(first, raw_so_far, _html_to_markdown(joined, " ")))
    return lines


# A link's text and address stop at the next bracket of their kind: a line of '![' or '](' is read in one pass.
_LINK = re.compile(r"!?\[([^\[\]]*)\]\(([^()\s]*)\)")


_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*]*?)(?<=\S)\*(?![\w*])")
_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)([^_]*?)(?<=\S)_(?![\w_])")
_MARKUP = frozenset("[<*_`~")


def inline_text(text: str) -> str:
    """Markdown emphasis, links and code marks removed: the words a reader sees."""
    if not _MARKUP.intersection(text):
        return " ".join(text.split())
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "").replace("~~", "").replace("`", "")
    text = _STAR.sub(r"\1", text)
    text = _UNDERSCORE.sub(r"\1", text)
    return " ".join(text.split())


_LIST_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,3}\))(?:\s+(.*))?$")
_INNER_MARKER = re.compile(r"^(\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,3}\))(?:\s+(.*))?$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)$")
_TABLE_RULE = re.compile(r"^\s*+\|?\s*+:?-{2,}+:?\s*+(?:\|\s*+:?-{2,}+:?\s*+)*+\|?\s*+$")


def is_rule(line: str) -> bool:
    """'---', '* * *' or '___': one of those characters three times or more, spaces between; read in one pass
    (a pattern repeating a group over the run backtracks through a long line of '*' that does not end as a rule)."""
    body = line.strip()
    if len(line) - len(line.lstrip()) > 3 or len(body) < 3 or body[0] not in "-*_":
        return False
    marks = body.replace(" ", "").replace("\t", "")
    return len(marks) >= 3 and marks.count(body[0]) == len(marks)
