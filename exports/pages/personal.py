"""Personal data in the text an import cannot place: found, named and hidden before it reaches the public notes.

A page's leftover prose (the description, logistics blocks, lines no part understood) goes into the
meeting's description or general notes, which public feeds and pages show. Contact details there are
someone's email or phone, and a passcode opens a call: each is replaced by a mark saying what was there,
and the import report names its kind and line. Every pattern here is one pass without nested
quantifiers over the same characters, so screening stays linear in the page's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.text import EMAIL_MASK, find_emails, mask_emails

PHONE_MASK = "[phone hidden]"
PASSCODE_MASK = "[passcode hidden]"

_DIGIT = re.compile(r"\d")
# A run of digits with the separators phone numbers use; what it is, the checks in `_is_phone` decide.
# It starts where no word, address or number continues (the look-behind) and always matches once started
# (back to its last digit), so the runs found never overlap and each character is read a bounded number of times.
_NUMBER_RUN = re.compile(r"(?<![\w@/#=.+\-])\+?\(?\d(?:[\d(). \-]*[\d)])?")
# Runs that are addresses, not numbers to read: a map link's coordinates, an issue number.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]*+", re.IGNORECASE)
_SEPARATORS = frozenset({"", " ", "-", ".", "(", ")", ") ", " (", ")-", ")."})

# "event code: msevent454lj", "Passcode 123456", "password is hunter2".
_SECRET = re.compile(
    r"\b(?:pass ?code|password|passwd|pwd|pin|event code|access code|meeting code|meeting password)\b"
    r"[ \t]*+(:|=|\bis\b|-)?[ \t]*+([^\s,;()\[\]<>]{3,64})",
    re.IGNORECASE,
)
_NOT_SECRETS = frozenset({"none", "required", "needed", "provided", "below", "above", "tbd", "tba", "n/a", "the"})

# "czahedi *at* google *dot* com", "name at example dot com", "bob [at] example [dot] org".
_WORD = re.compile(r"[\w.+\-]++|[^\w\s]++")
_PART = re.compile(r"[\w.+\-]+")
_WRAPPERS = "*_[](){}<>"


@dataclass(frozen=True)
class Found:
    """One piece of personal data in a text: its kind ("email", "phone", "passcode") and where it is."""

    kind: str
    start: int
    end: int


def _is_phone(run: str) -> bool:
    """International ("+34 981 913991"), or grouped like a phone ("(408) 988-8411", "763.498.3633")."""
    groups = re.findall(r"\d++", run)
    digits = sum(len(g) for g in groups)
    separators = re.split(r"\d++", run.lstrip("+"))[1:-1]
    if any(s not in _SEPARATORS for s in separators):
        return False  # "2017 - 2018": a range, not one number
    if run.startswith("+"):
        return 8 <= digits <= 15
    # Three groups or more ending in four digits: not a date ("2018-05-31"), a range ("2017-2018") or a decimal.
    return 9 <= digits <= 13 and len(groups) >= 3 and len(groups[-1]) == 4 and len(groups[0]) <= 4


def _phones(text: str) -> list[Found]:
    links = [m.span() for m in _URL.finditer(text)]
    found = []
    for match in _NUMBER_RUN.finditer(text):
        run, start = match.group().rstrip(" (.-"), match.start()
        if run.startswith("(") and ")" not in run:
            run, start = run[1:], start + 1  # "(37.38, -121.96)": the bracket is the sentence's
        if any(a <= match.start() < b for a, b in links) or not _is_phone(run):
            continue
        found.append(Found("phone", start, start + len(run)))
    return found


def _secrets(text: str) -> list[Found]:
    # Without a colon or "is", only a code with a digit in it ("Passcode 123456", not "password reset").
    return [
        Found("passcode", m.start(2), m.end(2))
        for m in _SECRET.finditer(text)
        if m.group(2).lower().strip(".") not in _NOT_SECRETS and (m.group(1) or any(c.isdigit() for c in m.group(2)))
    ]


def _spelled_emails(text: str) -> list[Found]:
    """Addresses written out so that harvesters miss them: a name, "at", a domain, then "dot" and a part, repeated."""
    words = [(m.group().strip(_WRAPPERS), m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [(w.lower(), s, e) for w, s, e in words if w]
    found: list[Found] = []
    index = 1
    while index + 3 < len(words):
        end = index + 1  # the domain's first part
        while end + 2 < len(words) and words[end + 1][0] == "dot" and _PART.fullmatch(words[end + 2][0]):
            end += 2
        top_level = words[end][0]  # "com", "org": letters, as every top-level domain
        spelled = words[index][0] == "at" and end > index + 1 and top_level.isalpha() and len(top_level) >= 2
        if spelled and _PART.fullmatch(words[index - 1][0] + words[index + 1][0]):
            found.append(Found("email", words[index - 1][1], words[end][2]))
            index = end + 2
        else:
            index += 1
    return found


def find_personal_data(text: str) -> list[Found]:
    """Emails (plain or spelled out), phone numbers and passcodes in a text, in the order they appear."""
    found: list[Found] = []
    if "@" in text:
        links = [m.span() for m in _URL.finditer(text)]  # "maps/@37.41,-122.09,15z" is a place, not an address
        cursor = 0
        for email in find_emails(text):
            start = text.find(email, cursor)
            cursor = start + len(email)
            if not any(a <= start < b for a, b in links):
                found.append(Found("email", start, cursor))
    lowered = text.lower()
    if " at " in lowered or "at*" in lowered or "at]" in lowered or "at)" in lowered:
        found += _spelled_emails(text)
    if _DIGIT.search(text):  # a phone number needs a digit; the pattern looks in C, not a loop per character
        found += _phones(text)
    found += _secrets(text)
    found.sort(key=lambda f: f.start)
    kept: list[Found] = []
    for item in found:
        if not kept or item.start >= kept[-1].end:
            kept.append(item)  # a passcode's digits read as a phone too: the first reading wins
    return kept


_MASKS = {"email": EMAIL_MASK, "phone": PHONE_MASK, "passcode": PASSCODE_MASK}


def hide_personal_data(text: str) -> tuple[str, list[str]]:
    """The text with each piece of personal data replaced by a mark naming its kind, and the kinds found."""
    found = find_personal_data(text)
    if not found:
        return text, []
    pieces, cursor = [], 0
    for item in found:
        pieces += [text[cursor : item.start], _MASKS[item.kind]]
        cursor = item.end
    pieces.append(text[cursor:])
    return mask_emails("".join(pieces)), [item.kind for item in found]
