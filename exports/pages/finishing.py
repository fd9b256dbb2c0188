"""What a page's reading settles once every line is read: values unescaped, the title, the notes trimmed."""

from __future__ import annotations

import re

from exports.pages.escaping import unescape_notes
from exports.pages.lines import inline_text, is_rule, restore
from exports.pages.model import ParsedPage


def finish_page(page: ParsedPage, description_lines: list[str], general: list[str], *, exact: bool) -> None:
    """Settle the page from what its lines gave: `description_lines` and `general` are the text kept for each."""
    restore_values(page)
    if not exact:
        no_place_proposers(page)
    description = "\n".join(description_lines).strip("\n")
    # Only a page that describes a meeting (a time or a place) has its opening sentence as a title.
    if page.title is None and description and (page.start_date or page.location):
        first = description.split("\n\n")[0]
        sentence = re.split(r"(?<=[.!?])\s", " ".join(first.split()), maxsplit=1)[0]
        title = inline_text(sentence).rstrip(".")
        if looks_like_title(title):
            page.title = title
    page.description = description
    for section in page.notes:
        section.text = unescape_notes(trim_block(section.text))
    page.notes = [s for s in page.notes if s.text]
    page.general_notes = unescape_notes(re.sub(r"\n{3,}", "\n\n", trim_block("\n".join(general))))


def no_place_proposers(page: ParsedPage) -> None:
    """'Interim meeting (Boston)' on a page held in Boston names the place, not who proposed it."""
    places = " ".join(filter(None, [page.location, page.title])).casefold()[:1000]
    if not places:
        return
    for topic in page.topics:
        for item in (topic, *topic.subtopics):
            # The substring test first: a pattern per proposer would be compiled for each topic of the page.
            needle = item.proposer.casefold() if item.proposer else ""
            if needle and needle in places and re.search(rf"\b{re.escape(needle)}\b", places):
                item.title, item.proposer = f"{item.title} ({item.proposer})", None


def restore_values(page: ParsedPage) -> None:
    """Each value read, with the characters its page escaped as they were meant (`lines.protect`)."""
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
    return 0 < len(text) <= 200 and any(map(str.isalnum, text))


def trim_block(text: str) -> str:
    lines = text.split("\n")
    first, last = 0, len(lines)
    while first < last and (not lines[first].strip() or is_rule(lines[first])):
        first += 1
    while last > first and (not lines[last - 1].strip() or is_rule(lines[last - 1])):
        last -= 1
    return "\n".join(lines[first:last])
