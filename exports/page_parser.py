"""Reading a wiki meeting page: page text in, a `ParsedPage` out, with no I/O.

Real pages are written by many hands: numbered, bulleted or tabled sign-up lists, modes in
brackets or implied by a heading, schedules in several date styles, HTML mixed into the
Markdown. The parser keeps what it understands and reports every line it had to leave
out as a `Problem`, instead of guessing. It never raises: any text gives a page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, time

from ledger.errors import BadInputError
from ledger.timing import ZONE_ALIASES, zone_name

# ----- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A line the parser could not understand, and why; it was left out."""

    line: int
    text: str
    reason: str


@dataclass
class ParsedAttendee:
    """One sign-up as the page wrote it. `waitlist` is the place on the waitlist, when given."""

    name: str
    mode: str
    remark: str
    line: int
    email: str | None = None
    waitlist: int | None = None


@dataclass
class ParsedTopic:
    """A proposed topic; `proposer` is None when the page names nobody."""

    title: str
    proposer: str | None
    line: int
    subtopics: list[ParsedTopic] = field(default_factory=list)


@dataclass
class NoteSection:
    """Notes under a heading that names a topic: `topic` is (index, sub-index or None)."""

    heading: str
    text: str
    line: int
    topic: tuple[int, int | None]


@dataclass
class ParsedPage:
    """Everything a meeting page says, in the page's own terms."""

    title: str | None = None
    description: str = ""
    schedule_text: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    zone: str | None = None
    location: str | None = None
    video_url: str | None = None
    limit: int | None = None
    over_capacity: bool = False  # the page says more people hold seats than the limit allows
    attendees: list[ParsedAttendee] = field(default_factory=list)
    topics: list[ParsedTopic] = field(default_factory=list)
    notes: list[NoteSection] = field(default_factory=list)
    general_notes: str = ""
    problems: list[Problem] = field(default_factory=list)


# ----- vocabulary ----------------------------------------------------------------------------

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

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

MAX_NAME_WORDS = 6
MAX_NAME_CHARS = 120


# ----- lines ---------------------------------------------------------------------------------


@dataclass
class Line:
    """A source line: its number, the raw text (kept for notes) and a cleaned form for reading."""

    number: int
    raw: str
    text: str


_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>")
_HEADING_TAG = re.compile(r"<h([1-6])(?:\s[^<>]*)?>(.*?)</h\1\s*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<a\s[^<>]*?href\s*=\s*[\"']([^\"'<>]*)[\"'][^<>]*>(.*?)</a\s*>", re.IGNORECASE)


def _html_to_markdown(text: str) -> str:
    """The common tags of wiki pages turned into the Markdown they stand for."""
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
        return ""

    text = _TAG.sub(tag, text)
    return html.unescape(text)


def _split_lines(text: str) -> list[Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    # HTML comments may span lines: blank them out but keep the line count.
    lines: list[Line] = []
    in_comment = False
    pending_row: tuple[int, str, str] | None = None
    for number, raw in enumerate(raw_lines, start=1):
        visible = ""
        rest = raw
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
                lines.append(Line(first, raw_so_far, _html_to_markdown(joined)))
                pending_row = None
            else:
                pending_row = (first, raw_so_far, joined)
            lines.append(Line(number, raw, ""))
            continue
        if "<tr" in lowered and "</tr" not in lowered:
            pending_row = (number, raw, visible)
            lines.append(Line(number, raw, ""))
            continue
        converted = _html_to_markdown(visible)
        for piece in re.split(r"<br\s*/?>", converted, flags=re.IGNORECASE) if "<br" in converted else [converted]:
            lines.append(Line(number, raw, piece))
    if pending_row is not None:
        first, raw_so_far, joined = pending_row
        lines.append(Line(first, raw_so_far, _html_to_markdown(joined)))
    return lines


def inline_text(text: str) -> str:
    """Markdown emphasis, links and code marks removed: the words a reader sees."""
    text = re.sub(r"!?\[([^\]]*)\]\(([^)\s]*)\)", r"\1", text)
    text = re.sub(r"<((?:https?://|mailto:)[^<>\s]+)>", r"\1", text)
    text = text.replace("**", "").replace("__", "").replace("~~", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*]*?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)([^_]*?)(?<=\S)_(?![\w_])", r"\1", text)
    return " ".join(text.split())


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*?)\s*#*\s*$")
_BOLD_LABEL = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
_LIST_ITEM = re.compile(r"^(\s*)([-*+•]|\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,3}\))(?:\s+(.*))?$")
_INNER_MARKER = re.compile(r"^(\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,3}\))(?:\s+(.*))?$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FIELD = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*([^:*_|\[\]()]{1,40}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$")
_LIMIT = re.compile(
    r"(?:\[\s*|\(\s*|\b)(?:limit(?:ed)?(?:\s+to)?|capacity|max(?:imum)?(?:\s+of)?|seats)\s*[:=]?\s*(\d{1,7})\b",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_EMAIL = re.compile(r"<?([^@\s<>\"',;:()\[\]\\]+@[^@\s<>\"',;:()\[\]\\]+\.[A-Za-z0-9-]{2,})>?")


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


# ----- modes and names ---------------------------------------------------------------------


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


def heading_mode(text: str) -> str | None:
    """The mode a heading gives the names under it ("Will attend remotely")."""
    lowered = text.lower()
    if re.search(r"regrets|not attending|cannot attend|can't attend|unable|declined", lowered):
        return "absent"
    if re.search(r"wait ?list", lowered):
        return "waitlist"
    if re.search(r"remote|vc\b|video|online|virtual|dial", lowered):
        return "remote"
    if re.search(r"maybe|tentative|tbd|undecided|not sure", lowered):
        return "undecided"
    if re.search(r"in[ -]person|on[ -]?site|f2f|face to face|local", lowered):
        return "in-person"
    return None


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
        and any(c.isalpha() for c in text)
        and "://" not in text
        and not text.endswith(":")
    )


_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|\s&\s|\band\b|\s/\s)\s*")
_REMARK_SEPARATOR = re.compile(r"\s+[-–—]+\s+|:\s+")


def _strip_separators(text: str) -> str:
    return re.sub(r"^(?:[,;:/&\s\-–—]|and\s)+", "", text).strip()


# ----- schedules -----------------------------------------------------------------------------


@dataclass
class SchedulePieces:
    start_date: date | None = None
    end_date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    zone: str | None = None
    problems: list[str] = field(default_factory=list)


def _year(text: str) -> int:
    value = int(text)
    if value < 100:
        value += 2000 if value < 70 else 1900
    return value


def _make_date(year: int, month: int, day: int, problems: list[str]) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        problems.append(f"{year}-{month}-{day} is not a date")
        return None


_SHORT_ALIASES = {k for k in ZONE_ALIASES if len(k) <= 3}
_ZONE_IANA = re.compile(r"\b([A-Za-z][A-Za-z_]+(?:/[A-Za-z][A-Za-z0-9_+\-]+)+)")
_ZONE_OFFSET = re.compile(r"\(?\b(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?\)?", re.IGNORECASE)


def _find_zone(text: str, pieces: SchedulePieces) -> str:
    """Find the zone, record it, and return the text without it."""
    for match in _ZONE_IANA.finditer(text):
        try:
            pieces.zone = zone_name(match.group(1))
        except BadInputError:
            continue
        return text[: match.start()] + " " + text[match.end() :]
    aliases = sorted(ZONE_ALIASES, key=len, reverse=True)
    for alias in aliases:
        if alias in ("z", "utc", "gmt"):
            continue  # "UTC+2" is an offset, read below
        flags = 0 if alias in _SHORT_ALIASES else re.IGNORECASE
        wanted = alias.upper() if alias in _SHORT_ALIASES else re.escape(alias)
        found = re.search(rf"(?<![\w/]){wanted}(?![\w/])", text, flags)
        if found:
            pieces.zone = ZONE_ALIASES[alias]
            text = text[: found.start()] + " " + text[found.end() :]
            # "PDT (UTC-7)": the offset only repeats the zone.
            return _ZONE_OFFSET.sub(" ", text)
    offset = _ZONE_OFFSET.search(text)
    if offset:
        match = offset
        sign, hours, minutes = match.group(1), int(match.group(2)), match.group(3)
        if (minutes and minutes != "00") or hours > 14:
            pieces.problems.append(f"offset {match.group(0).strip('()')} names no zone; give --tz")
        elif hours == 0:
            pieces.zone = "UTC"
        else:
            # POSIX-style names invert the sign: UTC-7 is Etc/GMT+7.
            pieces.zone = f"Etc/GMT{'+' if sign in '-−' else '-'}{hours}"
        return text[: match.start()] + " " + text[match.end() :]
    if re.search(r"(?<![\w/])(UTC|GMT)(?![\w/])", text):
        pieces.zone = "UTC"
        return re.sub(r"(?<![\w/])(UTC|GMT)(?![\w/])", " ", text)
    return text


def _find_dates(text: str, pieces: SchedulePieces) -> str:
    found: list[tuple[int, date | None]] = []
    patterns: list[tuple[re.Pattern[str], str]] = [
        (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:T(?=\d))?"), "iso"),
        (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), "us"),
        (
            re.compile(
                rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(\d{{1,2}})(?:st|nd|rd|th)?)?\s+{_MONTH},?\s+(\d{{4}})\b",
                re.IGNORECASE,
            ),
            "dmy",
        ),
        (
            re.compile(
                rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(\d{{1,2}})(?:st|nd|rd|th)?)?,?\s+(\d{{4}})\b",
                re.IGNORECASE,
            ),
            "mdy",
        ),
    ]
    for pattern, style in patterns:
        for match in pattern.finditer(text):
            g = match.groups()
            second: date | None = None
            if style == "iso":
                first = _make_date(int(g[0]), int(g[1]), int(g[2]), pieces.problems)
            elif style == "us":
                first = _make_date(_year(g[2]), int(g[0]), int(g[1]), pieces.problems)
            elif style == "dmy":
                month = MONTHS[g[2].lower()]
                first = _make_date(int(g[3]), month, int(g[0]), pieces.problems)
                if g[1]:
                    second = _make_date(int(g[3]), month, int(g[1]), pieces.problems)
            else:
                month = MONTHS[g[0].lower()]
                first = _make_date(int(g[3]), month, int(g[1]), pieces.problems)
                if g[2]:
                    second = _make_date(int(g[3]), month, int(g[2]), pieces.problems)
            found.append((match.start(), first))
            if second is not None:
                found.append((match.start() + 1, second))
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    found.sort(key=lambda item: item[0])
    dates = [d for _, d in found if d is not None]
    if dates:
        pieces.start_date = dates[0]
    if len(dates) > 1:
        pieces.end_date = dates[-1]
    return text


_TIME = r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?\s?m\b\.?)?"
_TIME_RANGE = re.compile(rf"(?<![\d:.]){_TIME}\s*(?:-+|–|—|to|until|till|through)\s*{_TIME}", re.IGNORECASE)
_TIME_SINGLE = re.compile(rf"(?<![\d:.]){_TIME}", re.IGNORECASE)


def _clock(hour: str, minute: str | None, meridiem: str | None, problems: list[str]) -> time | None:
    h, m = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            problems.append(f"{hour} {meridiem}m is not a time")
            return None
        h = h % 12 + (12 if meridiem.lower() == "p" else 0)
    if h > 23 or m > 59:
        problems.append(f"{hour}:{minute or '00'} is not a time")
        return None
    return time(h, m)


def _find_times(text: str, pieces: SchedulePieces) -> None:
    text = re.sub(r"\bnoon\b", "12 pm", text, flags=re.IGNORECASE)
    text = re.sub(r"\bmidnight\b", "12 am", text, flags=re.IGNORECASE)
    times: list[time] = []
    match = _TIME_RANGE.search(text)
    if match and (match.group(2) or match.group(3) or match.group(5) or match.group(6)):
        h1, m1, p1, h2, m2, p2 = match.groups()
        if p1 is None and p2 is not None:
            # "1-4 pm": the start shares the end's half of the day, unless that would put it after the end.
            p1 = p2
            if int(h1) % 12 > int(h2) % 12:
                p1 = "a" if p2.lower() == "p" else "p"
        start = _clock(h1, m1, p1, pieces.problems)
        end = _clock(h2, m2, p2, pieces.problems)
        if start is not None and end is not None:
            times = [start, end]
    else:
        for single in _TIME_SINGLE.finditer(text):
            if single.group(2) or single.group(3):
                clock = _clock(single.group(1), single.group(2), single.group(3), pieces.problems)
                if clock is not None:
                    times.append(clock)
    if times:
        pieces.start_time = times[0]
    if len(times) > 1:
        pieces.end_time = times[1]


def parse_schedule(text: str) -> SchedulePieces:
    """Read "11/7/16; 1 pm to 4 pm Pacific Time" or "23 May, 2011, 9am - 6pm PDT (UTC-7)"."""
    pieces = SchedulePieces()
    cleaned = inline_text(text).replace("−", "-")
    cleaned = re.sub(
        r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|sday|urday)?\b,?",
        " ",
        cleaned,
        flags=re.IGNORECASE,
    )
    cleaned = _find_zone(cleaned, pieces)
    cleaned = _find_dates(cleaned, pieces)
    _find_times(cleaned, pieces)
    return pieces


# ----- the parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.page = ParsedPage()
        self.lines = _split_lines(text)
        self.part = "header"  # header, attendees, topics, notes, other
        self.part_level = 0
        self.seen_field = False
        self.description: list[str] = []
        self.general: list[str] = []
        self.default_mode: str | None = None
        self.pending_field: tuple[str, Line] | None = None
        self.topic_indent: int | None = None
        self.sub_indent: int | None = None
        self.table_columns: list[str] | None = None
        self.notes_section: NoteSection | None = None
        self.notes_level = 7
        self.matched_topics: set[tuple[int, int | None]] = set()
        self.waitlist_count = 0
        self.raw_done = 0

    def raw(self, line: Line) -> str | None:
        """The line as written, once: a line split at <br> or joined into a table row is kept whole."""
        if line.number <= self.raw_done:
            return None
        self.raw_done = line.number
        return line.raw

    def keep(self, target: list[str], line: Line) -> None:
        """Free text outside the notes: read as the reader sees it, HTML tags turned into Markdown."""
        if self.raw(line) is not None or line.number == self.raw_done:
            target.append(line.text.rstrip())

    def problem(self, line: Line, reason: str) -> None:
        self.page.problems.append(Problem(line.number, line.raw.strip()[:200], reason))

    # ----- driving --------------------------------------------------------------------

    def run(self) -> ParsedPage:
        start = self._front_matter()
        for line in self.lines[start:]:
            self._line(line)
        self._finish()
        return self.page

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

    def _line(self, line: Line) -> None:
        if self.part == "notes":
            self._notes_line(line)
            return
        heading = heading_of(line)
        if heading is not None and self._heading(heading, line):
            return
        if not line.text.strip():
            self._blank()
            return
        if self.pending_field is not None and not _LIST_ITEM.match(line.text):
            key, _ = self.pending_field
            self.pending_field = None
            self._field(key, line.text, line)
            return
        if self.part == "attendees":
            self._attendee_line(line)
        elif self.part == "topics":
            self._topic_line(line)
        else:
            self._header_line(line)

    def _blank(self) -> None:
        if self.part in ("header", "other"):
            target = self.description if self._in_description() else self.general
            if target and target[-1] != "":
                target.append("")

    def _in_description(self) -> bool:
        return self.part == "header" and not self.seen_field

    # ----- headings -----------------------------------------------------------------------

    def _heading(self, heading: Heading, line: Line) -> bool:
        """Switch parts on a heading; False when the line is not a heading after all."""
        lowered = heading.text.lower()
        limit = _LIMIT.search(heading.text)
        bare = _LIMIT.sub("", lowered).strip(" :[]()")
        key = field_key(bare)
        label, colon, value = heading.text.partition(":")
        if heading.level == 7 and colon and value.strip() and limit is None and field_key(label) is not None:
            # "**Location: Seattle**" is a field written in bold.
            self._field(field_key(label) or "", value, line)
            return True
        if key is not None and key != "title" and limit is None:
            self.pending_field = (key, line)
            self.seen_field = True
            return True
        if PART_NOTES.match(bare):
            self.part, self.part_level = "notes", heading.level
            self.notes_level = heading.level
            self.notes_section = None
            return True
        if self.part == "attendees" and heading.level > self.part_level:
            mode = heading_mode(heading.text)
            if mode is not None or PART_ATTENDEES.search(bare):
                self.default_mode = mode
                self.table_columns = None
                return True
        if PART_TOPICS.search(bare) and not PART_ATTENDEES.search(bare):
            self.part, self.part_level = "topics", heading.level
            self.topic_indent = self.sub_indent = None
            self.table_columns = None
            self.seen_field = True
            return True
        if PART_ATTENDEES.search(bare) or limit is not None:
            self.part, self.part_level = "attendees", heading.level
            self.default_mode = heading_mode(heading.text)
            self.table_columns = None
            self.seen_field = True
            if limit is not None:
                self.page.limit = int(limit.group(1))
            self.page.over_capacity = self.page.over_capacity or "over capacity" in lowered
            return True
        if self.part in ("attendees", "topics") and heading.level > self.part_level:
            return True  # "### Day 1": a grouping inside the list
        if self.page.title is None and self.part == "header" and not self.seen_field and not self.description:
            self.page.title = heading.text
            return True
        if heading.level == 7:
            return False  # a bold line in running text
        self.part, self.part_level = "other", heading.level
        self.keep(self.general, line)
        return True

    # ----- header fields and free text ---------------------------------------------------

    def _header_line(self, line: Line) -> None:
        match = _FIELD.match(line.text)
        if match:
            key = field_key(match.group(1))
            if key is not None and match.group(2).strip():
                self._field(key, match.group(2), line)
                return
        limit = _LIMIT.search(line.text)
        if limit and re.search(r"\[\s*limit", line.text, re.IGNORECASE):
            self.page.limit = int(limit.group(1))
            return
        row = _TABLE_ROW.match(line.text)
        if row:
            cells = [c for c in row.group(1).split("|") if inline_text(c)]
            if len(cells) >= 2 and field_key(cells[0]) is not None:
                self._field(field_key(cells[0]) or "", " ".join(cells[1:]), line)
                return
        item = _LIST_ITEM.match(line.text)
        if item and self.part == "header" and markers_in(line.text):
            # A bare sign-up list: a page that holds only the list of a meeting described elsewhere.
            self._attendee_line(line)
            return
        self.keep(self.description if self._in_description() else self.general, line)

    def _field(self, key: str, value: str, line: Line) -> None:
        self.seen_field = True
        text = inline_text(value)
        page = self.page
        if key == "title":
            if text:
                page.title = text
        elif key == "description":
            self.description.append(value.strip())
        elif key == "location":
            page.location = text
        elif key == "video":
            url = _URL.search(value)
            if url:
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

    def _schedule(self, key: str, text: str, line: Line) -> None:
        pieces = parse_schedule(text)
        page = self.page
        for reason in pieces.problems:
            self.problem(line, reason)
        if pieces.zone and page.zone is None:
            page.zone = pieces.zone
        if key == "end":
            page.end_date = pieces.start_date or page.end_date
            page.end_time = pieces.start_time or page.end_time
            return
        if key == "schedule":
            page.schedule_text = text
        if pieces.start_date is None and pieces.start_time is None:
            self.problem(line, "no date or time found in the schedule")
            return
        page.start_date = pieces.start_date or page.start_date
        page.end_date = pieces.end_date or page.end_date
        page.start_time = pieces.start_time or page.start_time
        if key == "schedule":
            page.end_time = pieces.end_time or page.end_time
        elif pieces.end_time is not None:
            page.end_time = pieces.end_time

    # ----- attendees --------------------------------------------------------------------

    def _attendee_line(self, line: Line) -> None:
        limit = _LIMIT.search(line.text)
        if limit and re.search(r"^\s*[\[(]?\s*(limit|capacity|max)", line.text, re.IGNORECASE):
            self.page.limit = int(limit.group(1))
            return
        row = _TABLE_ROW.match(line.text)
        if row:
            self._attendee_row(row.group(1), line)
            return
        item = _LIST_ITEM.match(line.text)
        if item:
            content = item.group(3) or ""
            inner = _INNER_MARKER.match(content)
            if inner and re.match(r"^\d", inner.group(1)):
                content = inner.group(2) or ""
            if not inline_text(content):
                self.problem(line, "empty entry in the attendee list")
                return
            self._attendee_entries(content, line)
            return
        text = inline_text(line.text)
        if markers_in(text) or self._plain_names(text):
            self._attendee_entries(line.text, line)
        else:
            self.keep(self.general, line)

    def _plain_names(self, text: str) -> bool:
        names = [n for n in _NAME_SEPARATORS.split(text) if n]
        particles = {"van", "de", "von", "der", "da", "di", "la", "le", "bin", "del", "du"}
        return bool(names) and all(
            looks_like_name(n)
            and len(n.split()) <= 4
            and all(w[:1].isupper() or w.startswith("@") or w in particles for w in n.split())
            for n in names
        )

    def _attendee_entries(self, content: str, line: Line) -> None:
        text = inline_text(content)
        marks = markers_in(text)
        if not marks:
            remark = ""
            separator = _REMARK_SEPARATOR.search(text)
            aside = re.match(r"^([^()]+?)\s*\(([^()]+)\)$", text)
            if aside and looks_like_name(aside.group(1)):
                names, remark = [aside.group(1)], aside.group(2).strip()  # "Léonie Watson (chair)"
            elif separator and looks_like_name(text[: separator.start()]):
                names, remark = [text[: separator.start()]], text[separator.end() :].strip()
            else:
                names = [n for n in _NAME_SEPARATORS.split(text) if n]
            for name in names:
                self._add_attendee(name, self.default_mode, remark, None, False, line)
            return
        cursor = 0
        for index, mark in enumerate(marks):
            name = text[cursor : mark.start].strip()
            if index > 0:
                if not re.match(r"^\s*(?:[,;/&]|and\b)", text[cursor : mark.start]):
                    self.problem(line, "cannot tell where a remark ends and the next name begins")
                    return
                name = _strip_separators(name)
            end = marks[index + 1].start if index + 1 < len(marks) else len(text)
            remark = ""
            if index + 1 == len(marks):
                remark = re.sub(r"^[-–—:]+\s*", "", text[mark.end : end].strip())
            cursor = mark.end
            self._add_attendee(name, mark.mode, remark, mark.waitlist, mark.waitlisted, line)

    def _add_attendee(
        self, name: str, mode: str | None, remark: str, waitlist: int | None, waitlisted: bool, line: Line
    ) -> None:
        email = None
        found = _EMAIL.search(name)
        if found:
            email = found.group(1)
            name = (name[: found.start()] + name[found.end() :]).strip(" ,;-()")
        name = " ".join(name.split()).strip(" ,;")
        if mode == "absent" or self.default_mode == "absent":
            return  # regrets: understood, and not a sign-up
        if mode is None:
            mode = self.default_mode
        if mode == "waitlist" or (mode is None and self.default_mode == "waitlist"):
            mode, waitlisted = "in-person", True
        if mode is None:
            mode = "in-person"
        if not name:
            self.problem(line, "a sign-up without a name")
            return
        if not looks_like_name(name):
            self.problem(line, "does not read as a name")
            return
        if waitlisted and mode == "in-person":
            self.waitlist_count += 1
            waitlist = waitlist or self.waitlist_count
        else:
            waitlist = None
        self.page.attendees.append(ParsedAttendee(name, mode, remark, line.number, email, waitlist))

    def _attendee_row(self, body: str, line: Line) -> None:
        if _TABLE_RULE.match(line.text):
            return
        cells = [inline_text(c) for c in body.rstrip().rstrip("|").split("|")]
        lowered = [c.lower() for c in cells]
        if self.table_columns is None and any(
            re.search(r"\b(name|who|attendee|participant|person|github|handle)\b", c) for c in lowered
        ):
            self.table_columns = [self._column_kind(c) for c in lowered]
            return
        columns = self.table_columns or ["name"] + ["mode"] * (len(cells) - 1)
        name, handle, mode, remarks = "", "", None, []
        waitlisted = False
        for kind, cell in zip(columns, cells, strict=False):
            if not cell:
                continue
            if kind == "name" and not name:
                name = cell
            elif kind == "handle":
                handle = cell
            elif kind in ("mode", "in-person?", "remote?"):
                meaning = mode_of(cell)
                if kind == "remote?" and meaning in ("in-person", "absent"):
                    meaning = "remote" if meaning == "in-person" else "in-person"
                if meaning is None:
                    marks = markers_in(f"({cell})")
                    if marks:
                        meaning, waitlisted = marks[0].mode, marks[0].waitlisted
                if meaning is None:
                    remarks.append(cell)
                elif mode is None:
                    mode = meaning
            else:
                remarks.append(cell)
        if not name:
            name = handle
        elif handle:
            remarks.insert(0, handle)
        if not name:
            self.problem(line, "a table row without a name")
            return
        self._add_attendee(name, mode, "; ".join(remarks), None, waitlisted, line)

    @staticmethod
    def _column_kind(header: str) -> str:
        if re.search(r"github|handle|user ?name|irc|nick", header):
            return "handle"
        if re.search(r"\b(name|who|attendee|participant|person)\b", header):
            return "name"
        if re.search(r"remote\s*\?", header):
            return "remote?"
        if re.search(r"in[ -]person\s*\?|attending\s*\?", header):
            return "in-person?"
        if re.search(r"mode|attend|in[ -]person|remote|presence|how|participation", header):
            return "mode"
        return "remark"

    # ----- topics -------------------------------------------------------------------------

    def _topic_line(self, line: Line) -> None:
        item = _LIST_ITEM.match(line.text)
        if item is None:
            row = _TABLE_ROW.match(line.text)
            if row:
                self._topic_row(row.group(1), line)
                return
            self.keep(self.general, line)
            return
        indent = len(item.group(1).expandtabs(4))
        marker, content = item.group(2), item.group(3) or ""
        lettered = bool(re.match(r"^(?:[a-z][.)]|\([a-z]\))$", marker))
        inner = _INNER_MARKER.match(content)
        if inner:
            lettered = lettered or bool(re.match(r"^(?:[a-z][.)]|\([a-z]\))$", inner.group(1)))
            marker, content = inner.group(1), inner.group(2) or ""
        if self.topic_indent is None or (indent <= self.topic_indent and not lettered):
            self.topic_indent = indent if self.topic_indent is None else min(indent, self.topic_indent)
            self.sub_indent = None
            is_sub = False
        else:
            is_sub = True
            if self.sub_indent is None:
                self.sub_indent = indent
            elif indent > self.sub_indent and not lettered:
                self.problem(line, "nested deeper than a sub-topic; left out")
                return
        text = inline_text(content)
        number = marker.strip("().")
        if not text:
            self.problem(line, f"empty topic item {number}" if number not in "-*+•" else "empty topic item")
            return
        proposer, title = split_proposer(text)
        if not title:
            self.problem(line, "a topic without a title")
            return
        topic = ParsedTopic(title, proposer, line.number)
        if is_sub and self.page.topics:
            parent = self.page.topics[-1]
            if topic.proposer is None:
                topic.proposer = parent.proposer  # a sub-topic belongs to whoever raised the topic
            parent.subtopics.append(topic)
            self._title_index = None
        else:
            self.page.topics.append(topic)
            self._title_index = None

    def _topic_row(self, body: str, line: Line) -> None:
        if _TABLE_RULE.match(line.text):
            return
        cells = [inline_text(c) for c in body.rstrip().rstrip("|").split("|")]
        lowered = [c.lower() for c in cells]
        if self.table_columns is None and any(re.search(r"\b(topic|title|subject|item)\b", c) for c in lowered):
            self.table_columns = [
                "title"
                if re.search(r"\b(topic|title|subject|item)\b", c)
                else "proposer"
                if re.search(r"\b(proposer|presenter|who|lead|owner|speaker|by|name)\b", c)
                else "other"
                for c in lowered
            ]
            return
        columns = self.table_columns or ["title", "proposer"]
        title = proposer = ""
        for kind, cell in zip(columns, cells, strict=False):
            if kind == "title" and not title:
                title = cell
            elif kind == "proposer" and not proposer:
                proposer = cell
        if not title:
            self.problem(line, "a topic row without a title")
            return
        self.page.topics.append(ParsedTopic(title, proposer or None, line.number))
        self._title_index = None

    # ----- notes ----------------------------------------------------------------------------

    def _notes_line(self, line: Line) -> None:
        heading = heading_of(line)
        if heading is not None and heading.level <= 6:
            current = self.notes_section
            if current is not None and heading.level > self._section_level:
                self._note_text(line)
                return
            target = self._match_topic(heading.text)
            if target is not None:
                self.notes_section = NoteSection(heading.text, "", line.number, target)
                self._section_level = heading.level
                self.page.notes.append(self.notes_section)
                self.raw(line)
                return
            self.notes_section = None
            self.keep(self.general, line)
            return
        self._note_text(line)

    def _note_text(self, line: Line) -> None:
        # Notes keep the page's own spelling, trailing spaces (Markdown line breaks) included.
        raw = self.raw(line)
        if raw is None:
            return
        if self.notes_section is not None:
            self.notes_section.text += raw + "\n"
        else:
            self.general.append(raw)

    _section_level = 2

    def _match_topic(self, heading: str) -> tuple[int, int | None] | None:
        wanted = _title_key(re.sub(r"^\s*(?:topic\s*)?\d{1,3}[a-z]?[.):]?\s+", "", heading, flags=re.IGNORECASE))
        for key in self._topics_by_title().get(wanted, []):
            if key not in self.matched_topics:
                self.matched_topics.add(key)
                return key
        return None

    _title_index: dict[str, list[tuple[int, int | None]]] | None = None  # reset when a topic is added

    def _topics_by_title(self) -> dict[str, list[tuple[int, int | None]]]:
        """Topic and sub-topic positions by title key, in page order."""
        if self._title_index is None:
            index: dict[str, list[tuple[int, int | None]]] = {}
            for i, topic in enumerate(self.page.topics):
                index.setdefault(_title_key(topic.title), []).append((i, None))
                for j, sub in enumerate(topic.subtopics):
                    index.setdefault(_title_key(sub.title), []).append((i, j))
            self._title_index = index
        return self._title_index

    # ----- finishing ------------------------------------------------------------------------

    def _finish(self) -> None:
        page = self.page
        description = "\n".join(self.description).strip("\n")
        # Only a page that describes a meeting (a time or a place) has its opening sentence as a title.
        if page.title is None and description and (page.start_date or page.location):
            first = description.split("\n\n")[0]
            sentence = re.split(r"(?<=[.!?])\s", " ".join(first.split()), maxsplit=1)[0]
            title = inline_text(sentence).rstrip(".")
            if looks_like_title(title):
                page.title = title
        page.description = description
        for section in page.notes:
            section.text = _trim_block(section.text)
        page.notes = [s for s in page.notes if s.text]
        page.general_notes = re.sub(r"\n{3,}", "\n\n", _trim_block("\n".join(self.general)))
        if page.end_date is None and page.start_date is not None:
            page.end_date = None


def looks_like_title(text: str) -> bool:
    return 0 < len(text) <= 200 and any(c.isalnum() for c in text)


def split_proposer(text: str) -> tuple[str | None, str]:
    """'Jeremy Eder: Performance' and 'Nodespec standardization (Dawn)' both name a proposer.

    A trailing "(Name)" wins over a leading "Name:", so "Gamepad: status (Marcos)" is
    Marcos's topic; the renderer writes titles that end in brackets that way round.
    """
    match = re.match(r"^(.*\S)\s*\(([^()]+)\)$", text)
    if match:
        parts = [p.strip() for p in match.group(2).split(",")]
        names = [p for p in parts if not re.search(r"\d", p) and _proposer_like(p)]
        if names and len(names) == len([p for p in parts if not re.search(r"\d", p)]):
            return names[0], match.group(1).strip()
    prefix, colon, rest = text.partition(": ")
    if colon and _proposer_like(prefix) and rest.strip():
        return prefix.strip(), rest.strip()
    return None, text.strip()


def _proposer_like(text: str) -> bool:
    text = text.strip()
    words = text.split()
    return (
        0 < len(words) <= 5
        and len(text) <= 60
        and bool(re.fullmatch(r"[^\W\d_][\w .'’@\-]*", text))
        and mode_of(text) is None
        and text.lower() not in {"optional", "wip", "tbd", "note", "notes", "update", "todo", "fyi", "re"}
    )


def _title_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", inline_text(title).casefold()).split())


def _trim_block(text: str) -> str:
    lines = text.split("\n")
    while lines and (not lines[0].strip() or _RULE.match(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def parse_page(text: str) -> ParsedPage:
    """Read a meeting page. Never raises; what it cannot read is in `problems`."""
    return _Parser(text).run()
