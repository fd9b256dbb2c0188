"""The page `export markdown` writes is marked as its own, so that `import markdown` reads it as written.

Real pages are read with heuristics (does this read as a name? as a proposer? is this prose personal data?).
Those heuristics would change what the product itself wrote: a lowercase name, a proposer called "agenda
item", a description holding an email. An exported page therefore opens with `EXACT_MARK`, an HTML comment
(invisible once rendered, and kept when the page is edited in a wiki), and writes its description as one
block between two more comments. On a page with the mark the parser reads sign-ups, proposers and the
description exactly as the exporter writes them; every value still goes through the normal commands, so
bad input is refused as from any page. A line an editor changed into another shape is read as on any page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exports.pages.escaping import escape_notes, unescape_notes
from exports.pages.model import ParsedAttendee, ParsedTopic
from ledger.vocabulary import MODE_LABELS

EXACT_MARK = "<!-- exported by meeting-ledger: exact -->"
DESCRIPTION_OPEN = "<!-- description -->"
DESCRIPTION_CLOSE = "<!-- end of description -->"
_MODES = {label: mode for mode, label in MODE_LABELS.items()}
_WAITLIST = ", waitlist "


def is_exact(text: str) -> bool:
    """The page's first non-blank line is the exporter's mark."""
    for line in text.split("\n", 50)[:50]:
        if line.strip():
            return line.strip() == EXACT_MARK
    return False


def description_block(description: str) -> list[str]:
    """The description's lines between the two comments; its own "<!--" are escaped, so none ends the block."""
    if not description:
        return []
    return [DESCRIPTION_OPEN, "", *escape_notes(description), "", DESCRIPTION_CLOSE]


def take_description(text: str) -> tuple[str, str | None]:
    """The page with its description block blanked out (line numbers kept), and the description it held."""
    lines = text.replace("\r\n", "\n").split("\n")
    stripped = [line.strip() for line in lines]
    if DESCRIPTION_OPEN not in stripped:
        return text, None
    start = stripped.index(DESCRIPTION_OPEN)
    try:
        end = stripped.index(DESCRIPTION_CLOSE, start + 1)
    except ValueError:
        return text, None
    body = lines[start + 1 : end]
    # The exporter sets the block off with one blank line each side; the description's own edge blanks are escaped.
    if body and not body[0].strip():
        body = body[1:]
    if body and not body[-1].strip():
        body = body[:-1]
    blanked = lines[:start] + [""] * (end + 1 - start) + lines[end + 1 :]
    return "\n".join(blanked), unescape_notes("\n".join(body))


# A numbered or bulleted item of any length of number ("1000. Ann (In Person)"), and a sub-topic's letters.
_ITEM = re.compile(r"^([ \t]*)(?:\d+[.)]|[-*+])[ \t]+(.*)$")
_LETTERS = re.compile(r"^[a-z]+\.[ \t]+(.*)$")


def autolink(raw: str) -> str | None:
    """The address of the one '<https://...>' on a field line as `render_page` writes the video link."""
    opening, closing = raw.find("<"), raw.rfind(">")
    address = raw[opening + 1 : closing] if 0 <= opening < closing else ""
    if not address.lower().startswith(("http://", "https://")) or any(c in address for c in "<> "):
        return None
    return address


@dataclass(frozen=True)
class ExactItem:
    """A list item of an exported page: whether it is indented, and what follows its marker (in protected
    text: escaped characters stand as placeholders until the parser restores every value it read)."""

    nested: bool
    content: str


def list_item(text: str) -> ExactItem | None:
    item = _ITEM.match(text)
    if item is None:
        return None
    return ExactItem(bool(item.group(1)), item.group(2))


def sign_up(content: str, line: int) -> ParsedAttendee | None:
    """'Name <email> (In Person, waitlist 2) remark' as `render.attendee_line` writes it, else None.

    The name and remark escape their own brackets, so the first unescaped "(" opens the mode.
    """
    opening = content.find(" (")
    closing = content.find(")", opening)
    if opening <= 0 or closing < 0:
        return None
    who, label, rest = content[:opening], content[opening + 2 : closing], content[closing + 1 :]
    if rest and not rest.startswith(" "):
        return None
    label, _, place = label.partition(_WAITLIST)
    mode = _MODES.get(label)
    if mode is None or (place and not (place.isdigit() and mode == "in-person")):
        return None
    email = None
    if who.endswith(">") and " <" in who:
        who, _, address = who.rpartition(" <")
        email = address[:-1]
    if not who.strip():
        return None
    return ParsedAttendee(who, mode, rest[1:], line, email, int(place) if place else None)


def topic(item: ExactItem, line: int) -> ParsedTopic | None:
    """'Proposer: title' as `render.topic_text` writes it (the proposer's own colons escaped), after the
    letters of a sub-topic ("  - b. Proposer: title"); None when the item is not in that form."""
    content = item.content
    letters = _LETTERS.match(content) if item.nested else None
    if letters:
        content = letters.group(1)
    proposer, colon, title = content.partition(": ")
    if not colon or not proposer.strip() or not title.strip():
        return None
    return ParsedTopic(title, proposer, line)
