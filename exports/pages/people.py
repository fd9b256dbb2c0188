"""Who a line names: mode words and markers ("(In Person, waitlist 2)"), name-likeness, and proposers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from exports.pages.wording import meaning_of, wordings

IN_PERSON_WORDS = {
    "in person",
    "in-person",
    "inperson",
    "on site",
    "onsite",
    "on-site",
    "f2f",
    "face to face",
    "local",
    "attending",
    "physical",
    "present",
    "yes",
    "y",
}
REMOTE_WORDS = {
    "remote",
    "remotely",
    "vc",
    "video",
    "online",
    "virtual",
    "dial-in",
    "dial in",
    "phone",
    "zoom",
    "webex",
    "hangout",
    "hangouts",
    "remote participation",
    "via vc",
    "meetecho",
}
UNDECIDED_WORDS = {"tbd", "maybe", "tentative", "undecided", "?", "unsure", "not sure", "possibly", "probably", "tbc"}
NOT_ATTENDING_WORDS = {"no", "n", "regrets", "not attending", "cannot attend", "can't attend", "unable"}

MAX_NAME_WORDS = 6
MAX_NAME_CHARS = 120

# An address starts where a run of its characters starts (the look-behind), so a long word is tried once, not at
# every letter.
_EMAIL = re.compile(
    r"<?(?<![^@\s<>\"',;:()\[\]\\])([^@\s<>\"',;:()\[\]\\]+@[^@\s<>\"',;:()\[\]\\]+\.[A-Za-z0-9-]{2,})>?"
)


def mode_of(word: str) -> str | None:
    """The mode a bracketed word names: 'in-person', 'remote', 'undecided', 'absent', or None."""
    word = " ".join(word.lower().replace("_", " ").split()).strip(" .!")
    if word in IN_PERSON_WORDS:
        return "in-person"
    if word in REMOTE_WORDS:
        return "remote"
    if word in UNDECIDED_WORDS:
        return "undecided"
    if word in NOT_ATTENDING_WORDS:
        return "absent"
    return None


# The modes headings give the names under them, the first found winning: "Remote (waitlist)" is a waitlist.
_HEADING_MODES = wordings(
    ("absent", r"regrets|not attending|cannot attend|can't attend|unable|declined"),
    ("waitlist", r"wait ?list"),
    ("remote", r"remote|vc\b|video|online|virtual|dial"),
    ("undecided", r"maybe|tentative|tbd|undecided|not sure"),
    ("in-person", r"in[ -]person|on[ -]?site|f2f|face to face|local"),
)


def heading_mode(text: str) -> str | None:
    """The mode a heading gives the names under it ("Will attend remotely")."""
    return meaning_of(_HEADING_MODES, text.lower())


_MARKER = re.compile(r"\(([^()]{1,60})\)|\[([^\[\]]{1,60})\]")
_WAITLIST = re.compile(r"^wait ?list(?:ed)?\s*(?:#|no\.?|position)?\s*(\d{1,6})?$")


@dataclass
class Marker:
    start: int
    end: int
    mode: str
    waitlist: int | None
    waitlisted: bool


def markers_in(text: str) -> list[Marker]:
    found = []
    for match in _MARKER.finditer(text):
        if match.group(2) is not None and text[match.end() : match.end() + 1] == "(":
            continue  # "[Meetecho](http://...)" is a link's text, not a mode
        content = match.group(1) if match.group(1) is not None else match.group(2)
        parts = [p.strip() for p in content.split(",")]
        mode = mode_of(parts[0])
        if mode is None:
            continue
        waitlist, waitlisted = None, False
        for part in parts[1:]:
            wait = _WAITLIST.match(part.lower())
            if wait:
                waitlisted = True
                waitlist = int(wait.group(1)) if wait.group(1) else None
        found.append(Marker(match.start(), match.end(), mode, waitlist, waitlisted))
    return found


def looks_like_name(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and len(text) <= MAX_NAME_CHARS
        and any(map(str.isalpha, text))
        and "://" not in text
        and not text.endswith(":")
    )


# A run of spaces is tried once, from its start (the look-behind), and taken whole (the possessive `*+`): no
# pattern here re-scans the same spaces from every position.
_NAME_SEPARATORS = re.compile(r"(?<!\s)\s*+(?:,|;|(?<=\s)&(?=\s)|\band\b|(?<=\s)/(?=\s))\s*+")
_REMARK_SEPARATOR = re.compile(r"(?<!\s)\s++[-–—]+\s+|:\s+")


def _strip_separators(text: str) -> str:
    return re.sub(r"^(?:[,;:/&\s\-–—]|and\s)+", "", text).strip()


# Trailing brackets that time or document a topic, never name its presenter: "(1 hour)", "(#1372)", "(slides)".
_NOISE_WORDS = r"slides?|pr|spec|keynote|file|pdf|video|recording|deck|explainer|repo|link|issue|notes|as time permits"
_DURATION = r"~?\d[\d.]{0,4}\s?(?:m|mins?|minutes?|h|hrs?|hours?)\b"
# The inside of such a bracket; matched whole, once per bracket, so a long title is not scanned from every position.
_NOISE = re.compile(
    rf"{_DURATION}[^(),]{{0,30}}|#\d[^()]{{0,30}}|(?:{_NOISE_WORDS})(?:[ ,;]{{1,3}}(?:{_NOISE_WORDS}))*",
    re.IGNORECASE,
)
_NUMBERED_SLOT = re.compile(r"^(?:session|part|day|track|block|slot|topic|item|room|workshop)\s{0,3}[\d.]{1,6}$", re.I)


def strip_trailing_noise(text: str) -> str:
    """'HTTP (Mike) (1 hour)' without its '(1 hour)', 'ECN (1 hour) (Magnus) (#1372)' without '(#1372)'."""
    for _ in range(4):
        opening = text.rfind("(")
        if not text.endswith(")") or opening <= 0 or not _NOISE.fullmatch(text[opening + 1 : -1].strip()):
            break
        text = text[:opening].rstrip()
    return text


def split_proposer(text: str) -> tuple[str | None, str]:
    """'Jeremy Eder: Performance' and 'Nodespec standardization (Dawn)' both name a proposer.

    A trailing "(Name)" wins over a leading "Name:", so "Gamepad: status (Marcos)" is
    Marcos's topic; the renderer writes titles that end in brackets that way round.
    Brackets that only time or document the topic ("(1 hour)", "(slides)") are passed over to find it.
    """
    bare = strip_trailing_noise(text)
    match = re.match(r"^(.*\S)\s*\(([^()]+)\)$", bare)
    if match:
        parts = [p.strip() for p in match.group(2).split(",")]
        names = [p for p in parts if not re.search(r"\d", p) and _proposer_like(p)]
        numbered = _NUMBERED_SLOT.match(match.group(1).strip())  # "Session 6 (Future)": the bracket names the slot
        if names and not numbered and len(names) == len([p for p in parts if not re.search(r"\d", p)]):
            return names[0], strip_trailing_noise(match.group(1).strip())
    prefix, colon, rest = text.partition(": ")
    if colon and _proposer_like(prefix) and rest.strip():
        return prefix.strip(), rest.strip()
    return None, text.strip()


def presenter_in(cell: str) -> str | None:
    """The first person a presenter cell names: 'Leo Balter, Rick Waldron' or 'Matteo Collina @mcollina'."""
    cell = re.sub(r"\(?@[\w-]{1,40}\)?", " ", cell)
    for part in re.split(r",|;|&|\+|/|\band\b", cell):
        name = " ".join(part.split())
        if _proposer_like(name):
            return name
    return None


def _proposer_like(text: str) -> bool:
    text = text.strip()
    words = text.split()
    return (
        0 < len(words) <= 5
        and len(text) <= 60
        and bool(re.fullmatch(r"[^\W\d_][\w .'’@\-]*", text))
        and mode_of(text) is None
        and all(w[:1].isupper() or w.lower() in _PARTICLES for w in words)
        and not (len(words) == 1 and text.lower().strip(".") in _NOT_PEOPLE)
    )


# Words in brackets or before a colon that read as a name but name no one.
_PARTICLES = {"van", "de", "von", "der", "da", "di", "la", "le", "bin", "del", "du", "y"}
_NOT_PEOPLE = {
    "optional",
    "wip",
    "tbd",
    "note",
    "notes",
    "update",
    "updates",
    "todo",
    "fyi",
    "re",
    "slides",
    "slide",
    "list",
    "presenter",
    "presenters",
    "topic",
    "topics",
    "session",
    "sessions",
    "introduction",
    "introductions",
    "agenda",
    "details",
    "lunch",
    "break",
    "room",
    "track",
    "part",
    "host",
    "dates",
    "date",
    "location",
    "wifi",
    "dinner",
    "name",
    "email",
    "phone",
    "contact",
    "time",
    "times",
    "where",
    "when",
    "schedule",
    "welcome",
    "demo",
    "pr",
    "discord",
    "street",
    "address",
    "commuting",
    "form",
    "link",
    "minutes",
    "all",
    "everyone",
    "cont'd",
    "cont",
    "continued",
    "tba",
    "tbc",
    "none",
    "other",
    "misc",
    "video",
    "recording",
    "registration",
}
