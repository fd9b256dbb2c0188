"""Headings and field labels: "**Location :**", "## Attendees [Limit: 20]", and which part of the page they open."""

from __future__ import annotations

import re
from dataclasses import dataclass

from exports.pages.lines import Line, inline_text
from exports.pages.wording import Wordings, meaning_of

# Each pattern is anchored at both ends: a label is the whole of what stands before its colon.
FIELD_PATTERNS: Wordings = (
    ("title", re.compile(r"^(title|meeting|event|name of meeting)$")),
    ("location", re.compile(r"^(location|where|venue|place|room|address)$")),
    (
        "schedule",
        re.compile(r"^(schedule|when|date|dates|time|date and time|date/time|date & time|times|day|timings?)$"),
    ),
    ("zone", re.compile(r"^(time ?zone|tz|zone)$")),
    (
        "video",
        re.compile(
            r"^(vc|video|video ?conference|video ?call|video link|zoom|webex|meet|bridge|conference link|"
            r"remote participation|remote access|join|online|dial-in|meetecho|hangout|call|video meeting)$"
        ),
    ),
    ("limit", re.compile(r"^(limit|capacity|seats|max|maximum|room capacity)$")),
    ("start", re.compile(r"^(start|starts|begin|begins|from)$")),
    ("end", re.compile(r"^(end|ends|until|to)$")),
    ("description", re.compile(r"^(description|summary|about|purpose)$")),
)

PART_NOTES = re.compile(r"^(meeting |session )?(notes|minutes)\b")
PART_TOPICS = re.compile(r"\b(topics?|agenda|discussion|proposals?|sessions?|items|programme|program|timetable)\b")
PART_ATTENDEES = re.compile(
    r"\b(attendees?|attendance|participants?|sign[ -]?ups?|signups?|rsvps?|"
    r"who|people|roster|attending|attend|remote|remotely|in[ -]person|regrets|maybe|tentative|on[ -]?site|"
    r"wait ?list)\b"
)


_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t](.*))?$")
_FIELD = re.compile(
    r"^[ \t]{0,12}(?:[-*+][ \t]{1,4})?(?:\*\*|__)?([^:*_|\[\]()\s][^:*_|\[\]()]{0,39}?)"
    r"(?:\*\*|__)?[ \t]{0,4}:(?:\*\*|__)?[ \t]*(.*)$"
)
_LIMIT = re.compile(
    r"(?:\[\s*|\(\s*|\b)(?:limit(?:ed)?(?:\s+to)?|capacity|max(?:imum)?(?:\s+of)?|seats)\s*[:=]?\s*(\d{1,7})\b",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.IGNORECASE)


@dataclass
class Heading:
    level: int  # 1-6 for '#' headings, 7 for a bold label on its own line
    text: str


def heading_of(line: Line) -> Heading | None:
    """A '#' heading, or a bold (or italic) label on a line of its own; read without backtracking."""
    match = _HEADING.match(line.text)
    if match:
        text = inline_text((match.group(2) or "").strip().rstrip("#").strip())
        return Heading(len(match.group(1)), text.rstrip(":").strip()) if text else None
    stripped = line.text.strip()
    for mark in ("**", "__", "*"):
        body = stripped.removesuffix(":").rstrip()
        if len(body) > 2 * len(mark) and body.startswith(mark) and body.endswith(mark):
            inner = body[len(mark) : -len(mark)]
            if mark == "*" and ("*" in inner or inner != inner.strip()):
                return None  # "*a* and *b*" is running text
            text = inline_text(inner).rstrip(":").strip()
            return Heading(7, text) if text else None
    return None


# Labels of a page's practical details: kept out of the agenda and the sign-ups, their text goes to the notes.
LOGISTICS = re.compile(
    r"^(host|hosts|hosted by|wifi|wi-fi|dinner|lunch|breakfast|social|contact|contacts|phone|tel|telephone|e-?mail|"
    r"name|code of conduct|registration|register|parking|where to park|hotels?|accommodation|transportation|"
    r"directions|organi[sz]ers?|chairs?|sponsors?|slack|irc|chat|full notes|notes|minutes|event code|passcode|"
    r"password|meeting id|access|badge|travel|venue|map|agenda bashing|deadline|rsvp|tickets?|cost|fee|price|"
    r"other logistics|logistics|note|please note)$"
)


# A practical detail named with a word more: "Dinner Options", "Evening social", "Contact Information",
# "Dinner on Wednesday".
QUALIFIED_LOGISTICS = re.compile(
    r"^(?:[a-z]{1,20} )?(?:host|wifi|wi-fi|dinner|lunch|breakfast|social|contact|parking|hotels?|accommodation|"
    r"transportation|directions|travel|registration|venue)(?: [a-z]{1,20}){0,2}$"
)


def logistics_label(label: str) -> bool:
    text = " ".join(inline_text(label).lower().split()).rstrip(":").strip()
    return bool(LOGISTICS.match(text) or QUALIFIED_LOGISTICS.match(text))


def field_key(label: str) -> str | None:
    label = " ".join(inline_text(label).lower().split()).rstrip(":").strip()
    return meaning_of(FIELD_PATTERNS, label)
