"""Headings and field labels: "**Location :**", "## Attendees [Limit: 20]", and which part of the page they open."""

from __future__ import annotations

import re
from dataclasses import dataclass

from exports.pages.lines import Line, inline_text

FIELD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("title", re.compile(r"^(title|meeting|event|name of meeting)$")),
    ("location", re.compile(r"^(location|where|venue|place|room|address)$")),
    ("schedule", re.compile(r"^(schedule|when|date|dates|time|date and time|date/time|date & time|times|day)$")),
    ("zone", re.compile(r"^(time ?zone|tz|zone)$")),
    (
        "video",
        re.compile(
            r"^(vc|video|video ?conference|video ?call|video link|zoom|webex|meet|bridge|conference link|"
            r"remote participation|remote access|join|online|dial-in|meetecho|hangout|call)$"
        ),
    ),
    ("limit", re.compile(r"^(limit|capacity|seats|max|maximum|room capacity)$")),
    ("start", re.compile(r"^(start|starts|begin|begins|from)$")),
    ("end", re.compile(r"^(end|ends|until|to)$")),
    ("description", re.compile(r"^(description|summary|about|purpose)$")),
]

PART_NOTES = re.compile(r"^(meeting |session )?(notes|minutes)\b")
PART_TOPICS = re.compile(r"\b(topics?|agenda|discussion|proposals?|sessions?|items)\b")
PART_ATTENDEES = re.compile(
    r"\b(attendees?|attendance|participants?|sign[ -]?ups?|signups?|registrations?|registered|rsvps?|"
    r"who|people|roster|attending|attend|remote|remotely|in[ -]person|regrets|maybe|tentative|on[ -]?site|"
    r"wait ?list)\b"
)


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*?)\s*#*\s*$")
_BOLD_LABEL = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")

_FIELD = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*([^:*_|\[\]()]{1,40}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$")
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
    match = _HEADING.match(line.text)
    if match:
        text = inline_text(match.group(2))
        return Heading(len(match.group(1)), text.rstrip(":").strip()) if text else None
    match = _BOLD_LABEL.match(line.text)
    if match:
        text = inline_text(match.group(1)).rstrip(":").strip()
        return Heading(7, text) if text else None
    return None


def field_key(label: str) -> str | None:
    label = " ".join(inline_text(label).lower().split()).rstrip(":").strip()
    for key, pattern in FIELD_PATTERNS:
        if pattern.match(label):
            return key
    return None
