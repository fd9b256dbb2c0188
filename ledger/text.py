"""Checks on every piece of text a user can type: length limits and forbidden characters.

`FIELDS` says, for each field a command takes, what kind of text it is and its limit; the
commands check every value through `check`, so no write path can forget a limit.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, NamedTuple

from ledger.errors import BadInputError

# Documented limits (README, "Limits"). Generous for real use, small enough that a
# pasted file cannot bloat every event and feed that repeats the value.
NAME_MAX = 120
TITLE_MAX = 200
SHORT_TEXT_MAX = 500  # remarks, reasons, locations
DESCRIPTION_MAX = 10_000
NOTES_MAX = 200_000
URL_MAX = 2_000
SLUG_MAX = 64

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
EMAIL_PATTERN = re.compile(r"[^@\s<>\"',;:()\[\]\\]+@[^@\s<>\"',;:()\[\]\\]+\.[A-Za-z0-9-]{2,}")
URL_PATTERN = re.compile(r"https?://[^\s\"<>\\^`{|}]+", re.IGNORECASE)
# Spaces and byte-order marks at either end: a BOM pasted in front of a name is invisible, and
# calendar libraries drop it, so it is trimmed like a space rather than kept.
OUTER_SPACE = re.compile(r"^[\s\ufeff]+|[\s\ufeff]+$")


# Cc (C0 and C1 controls), Cs (lone surrogates, which cannot be encoded as UTF-8) and
# Zl/Zp (Unicode line and paragraph separators: newlines in disguise), as one regex so
# that checking a long text runs at C speed.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_EXCEPT_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


# Bidirectional controls (marks, embeddings, overrides, isolates) reorder how the text around
# them reads: in a name they can make an audit line say something else. Refused in names.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Invisible characters with no part in how a name reads (zero-width space, word joiner, an inner
# byte-order mark, soft hyphen, Mongolian vowel separator): dropped from names as typed.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u2060\ufeff]")
# Zero-width joiners shape some scripts and emoji, so a name keeps them; comparing ignores them.
_JOINERS = re.compile("[\u200c\u200d]")


def person_name(value: str, what: str, limit: int) -> str:
    """A person's name as stored: NFC, one line, invisible characters dropped, spaces collapsed.

    Bidirectional controls are refused. NFC makes "José" typed precomposed or with a combining
    accent the same string, so the same person cannot hold two entries.
    """
    value = unicodedata.normalize("NFC", _INVISIBLE.sub("", value))
    value = " ".join(single_line(value, what, limit).split())
    if _BIDI.search(value):
        raise BadInputError(f"{what} must not contain bidirectional control characters (they reorder the text)")
    return value


def name_key(name: str) -> str:
    """How names compare: NFC, without invisible characters or joiners, case and repeated spaces ignored."""
    plain = _JOINERS.sub("", _INVISIBLE.sub("", name))
    return " ".join(unicodedata.normalize("NFC", plain).split()).casefold()


# ----- emails written into free text ----------------------------------------------------------

EMAIL_MASK = "[email hidden]"
# A run of characters an address may be made of; what surrounds it (spaces, brackets, quotes)
# ends it. One pass of a single character class: linear in the text, whatever it holds.
_ADDRESS_RUN = re.compile("[^\\s<>\"',;:()\\[\\]\\\\]+")
_RUN_PUNCTUATION = ".!?*_~`"  # sentence and Markdown marks around an address, not part of it


def _address_span(run: str) -> tuple[int, int] | None:
    """Where in a run the address is, if the run holds one (local@domain.tld)."""
    if "@" not in run:
        return None
    start = len(run) - len(run.lstrip(_RUN_PUNCTUATION))
    end = len(run.rstrip(_RUN_PUNCTUATION))
    core = run[start:end]
    local, _, domain = core.rpartition("@")
    tld = domain.rpartition(".")[2]
    if not local or "." not in domain or len(tld) < 2 or not tld.replace("-", "").isalnum():
        return None
    return start, end


def find_emails(text: str) -> list[str]:
    """The email addresses written into a text ("Bob Smith (bob@example.org)")."""
    found = []
    for match in _ADDRESS_RUN.finditer(text):
        span = _address_span(match.group())
        if span is not None:
            found.append(match.group()[span[0] : span[1]])
    return found


def mask_emails(text: str) -> str:
    """The text with every email address in it replaced by EMAIL_MASK, for public output."""
    if "@" not in text:
        return text

    def masked(match: re.Match[str]) -> str:
        run = match.group()
        span = _address_span(run)
        return run if span is None else run[: span[0]] + EMAIL_MASK + run[span[1] :]

    return _ADDRESS_RUN.sub(masked, text)


def _has_control(text: str, *, allow_newlines: bool) -> bool:
    pattern = _CONTROL_EXCEPT_NEWLINES if allow_newlines else _CONTROL
    return pattern.search(text) is not None


def single_line(value: str, what: str, limit: int, *, required: bool = True) -> str:
    """Return the value with outer spaces trimmed, or refuse it with a one-line reason."""
    value = OUTER_SPACE.sub("", value)
    if required and not value:
        raise BadInputError(f"{what} must not be empty")
    if len(value) > limit:
        raise BadInputError(f"{what} is {len(value)} characters long; the limit is {limit}")
    if _has_control(value, allow_newlines=False):
        raise BadInputError(f"{what} must be one line without control characters")
    return value


def multi_line(value: str, what: str, limit: int) -> str:
    """Free text (descriptions, notes): newlines and tabs allowed, other controls not.

    A byte-order mark at either end is dropped, as in one-line text: it is invisible, and
    calendar parsers (ical.js) drop it, so keeping it would make the feed disagree with the page.
    """
    value = value.replace("\r\n", "\n").strip("\ufeff")
    if len(value) > limit:
        raise BadInputError(f"{what} is {len(value)} characters long; the limit is {limit}")
    if _has_control(value, allow_newlines=True):
        raise BadInputError(f"{what} must not contain control characters")
    return value


def slug(value: str) -> str:
    """Slugs appear in URLs and file names, so they keep to a safe alphabet."""
    if not value:
        raise BadInputError("slug must not be empty")
    if len(value) > SLUG_MAX:
        raise BadInputError(f"slug is {len(value)} characters long; the limit is {SLUG_MAX}")
    if not SLUG_PATTERN.fullmatch(value):
        raise BadInputError(
            f"slug {value!r} may hold only lower-case letters, digits, '.', '_' and '-',"
            " starting and ending with a letter or digit"
        )
    return value


Kind = Literal["line", "text", "url", "email", "name", "slug"]


class Field(NamedTuple):
    """What a field holds: `what` names it in messages, `kind` says which checks apply."""

    what: str
    kind: Kind  # line: one line; text: newlines allowed; name: one line, runs of spaces collapsed
    limit: int
    required: bool = False


FIELDS: dict[str, Field] = {
    "slug": Field("slug", "slug", SLUG_MAX, required=True),
    "title": Field("title", "line", TITLE_MAX, required=True),
    "topic_title": Field("topic title", "line", TITLE_MAX, required=True),
    "location": Field("location", "line", SHORT_TEXT_MAX),
    "remark": Field("remark", "line", SHORT_TEXT_MAX),
    "reason": Field("reason", "line", SHORT_TEXT_MAX),
    "video_url": Field("video URL", "url", URL_MAX),
    "description": Field("description", "text", DESCRIPTION_MAX),
    "notes": Field("notes", "text", NOTES_MAX),
    "name": Field("name", "name", NAME_MAX, required=True),
    "actor": Field("actor name", "name", NAME_MAX, required=True),
    "email": Field("email", "email", NAME_MAX, required=True),
    "account": Field("account name", "line", NAME_MAX, required=True),
}


def check(field: str, value: str) -> str:
    """The value of `field` as stored (trimmed, spaces collapsed in names), or a one-line refusal."""
    spec = FIELDS[field]
    if spec.kind == "name":
        return person_name(value, spec.what, spec.limit)
    if spec.kind == "slug":
        return slug(value)
    if spec.kind == "text":
        return multi_line(value, spec.what, spec.limit)
    value = single_line(value, spec.what, spec.limit, required=spec.required)
    if spec.kind == "url" and value and not URL_PATTERN.fullmatch(value):
        raise BadInputError(f"{spec.what} must be an http:// or https:// URL without spaces")
    if spec.kind == "email" and not EMAIL_PATTERN.fullmatch(value):
        raise BadInputError(f"{value!r} is not an email address")
    if field == "account" and _BIDI.search(value):
        raise BadInputError(f"{spec.what} must not contain bidirectional control characters (they reorder the text)")
    return value


class Details(NamedTuple):
    """What a new meeting or series holds besides its name and time: place, link, description, capacity."""

    location: str = ""
    video_url: str = ""
    description: str = ""
    capacity: int | None = None

    @classmethod
    def checked(cls, location: str, video_url: str, description: str, capacity: int | None) -> Details:
        """The details as typed, each checked (in this order) as its field in `FIELDS` says."""
        return cls(
            check("location", location),
            check("video_url", video_url),
            check("description", description),
            check_capacity(capacity),
        )


def check_capacity(capacity: int | None) -> int | None:
    """An in-person limit: none, or a whole number from 0 to a million."""
    if capacity is not None and capacity < 0:
        raise BadInputError(f"capacity must be zero or more, not {capacity}")
    if capacity is not None and capacity > 1_000_000:
        raise BadInputError("capacity must be at most 1000000")
    return capacity
