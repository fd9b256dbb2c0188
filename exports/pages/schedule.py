"""Reading a schedule line: dates in several styles, times and ranges, and the time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time

from exports.pages.lines import inline_text
from ledger.errors import BadInputError
from ledger.timing import ZONE_ALIASES, zone_name

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


@dataclass
class SchedulePieces:
    start_date: date | None = None
    end_date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    zone: str | None = None
    abbreviation: str | None = None  # a seasonal zone abbreviation, as written
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
_ZONE_IANA = re.compile(r"\b([A-Za-z][A-Za-z_]{1,30}(?:/[A-Za-z][A-Za-z0-9_+\-]{0,30}){1,2})")
_ZONE_OFFSET = re.compile(r"\(?\b(?:UTC|GMT)\s?([+\-−])\s?(\d{1,2})(?::?(\d{2}))?\)?", re.IGNORECASE)
_ALIAS = re.compile(
    r"(?<![\w/])(?:"
    + "|".join(re.escape(a) for a in sorted(ZONE_ALIASES, key=len, reverse=True) if a not in ("z", "utc", "gmt"))
    + r")(?![\w/])",
    re.IGNORECASE,
)
# Abbreviations that name one half of the year: "PST in July" contradicts itself.
_SUMMER = {"pdt", "mdt", "cdt", "edt", "cest", "bst"}
_WINTER = {"pst", "mst", "cst", "est", "cet"}


def _find_zone(text: str, pieces: SchedulePieces) -> str:
    """Find the zone the text names first, record it, and return the text without it."""
    for match in _ZONE_IANA.finditer(text):
        try:
            pieces.zone = zone_name(match.group(1))
        except BadInputError:
            continue
        return text[: match.start()] + " " + text[match.end() :]
    alias = next(
        (f for f in _ALIAS.finditer(text) if f.group(0).lower() not in _SHORT_ALIASES or f.group(0).isupper()), None
    )
    offset = _ZONE_OFFSET.search(text)
    bare = re.search(r"(?<![\w/])(UTC|GMT)(?![\w/])", text)
    # The zone written first is the meeting's; a second one ("(9am Pacific Time)") only converts it.
    first = min((m for m in (alias, offset, bare) if m is not None), key=lambda m: m.start(), default=None)
    if first is None:
        return text
    if first is alias:
        name = alias.group(0).lower()
        pieces.zone = ZONE_ALIASES[name]
        pieces.abbreviation = name if name in _SUMMER | _WINTER else None
        text = text[: alias.start()] + " " + text[alias.end() :]
        return _ZONE_OFFSET.sub(" ", text)  # "PDT (UTC-7)": the offset only repeats the zone.
    if first is offset and offset is not None:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), offset.group(3)
        if (minutes and minutes != "00") or hours > 14:
            pieces.problems.append(f"offset {offset.group(0).strip('()')} names no zone; give --tz")
        elif hours == 0:
            pieces.zone = "UTC"
        else:
            # POSIX-style names invert the sign: UTC-7 is Etc/GMT+7.
            pieces.zone = f"Etc/GMT{'+' if sign in '-−' else '-'}{hours}"
        return text[: offset.start()] + " " + text[offset.end() :]
    pieces.zone = "UTC"
    return re.sub(r"(?<![\w/])(UTC|GMT)(?![\w/])", " ", text)


_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_RANGE = r"\s{0,3}(?:-|–|and|to|till|until|through)\s{0,3}"
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\s{0,3}(?:to|–|-)\s{0,3}(\d{1,2})-(\d{1,2})\b(?!-)"), "iso-range"),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:T(?=\d))?"), "iso"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), "us"),
    (re.compile(rf"\b{_DAY}(?:{_RANGE}{_DAY})?\s{{1,3}}(?:of\s{{1,3}})?{_MONTH},?\s{{1,3}}(\d{{4}})\b", re.I), "dmy"),
    (re.compile(rf"\b{_MONTH}\s{{1,3}}{_DAY}(?:{_RANGE}{_DAY})?,?\s{{1,3}}(\d{{4}})\b", re.I), "mdy"),
    # Without a year: the year is taken from elsewhere in the text ("2015: Aug 6-7").
    (re.compile(rf"\b{_DAY}(?:{_RANGE}{_DAY})?\s{{1,3}}(?:of\s{{1,3}})?{_MONTH}\b", re.I), "dm"),
    (re.compile(rf"\b{_MONTH}\s{{1,3}}{_DAY}(?:{_RANGE}{_DAY})?\b(?!:)", re.I), "md"),
]
_YEAR = re.compile(r"(?<![\d-])((?:19|20)\d\d)(?![\d-])")


def _find_dates(text: str, pieces: SchedulePieces) -> str:
    found: list[tuple[int, date | None]] = []
    year_match = _YEAR.search(text)
    for pattern, style in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            g = match.groups()
            first: date | None
            second: date | None = None
            if style == "iso-range":
                first = _make_date(int(g[0]), int(g[1]), int(g[2]), pieces.problems)
                second = _make_date(int(g[0]), int(g[3]), int(g[4]), pieces.problems)
            elif style == "iso":
                first = _make_date(int(g[0]), int(g[1]), int(g[2]), pieces.problems)
            elif style == "us":
                first = _make_date(_year(g[2]), int(g[0]), int(g[1]), pieces.problems)
            else:
                if style in ("dm", "md") and (found or year_match is None):
                    continue
                year = int(g[3]) if style in ("dmy", "mdy") else int(year_match.group(1)) if year_match else 0
                if style in ("dmy", "dm"):
                    month, day, last = MONTHS[g[2].lower()], g[0], g[1]
                else:
                    month, day, last = MONTHS[g[0].lower()], g[1], g[2]
                first = _make_date(year, month, int(day), pieces.problems)
                if last:
                    second = _make_date(year, month, int(last), pieces.problems)
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


_TIME = r"(\d{1,2})(?:[:.](\d{2}))?(?:\s?([ap])\.?\s?m\b\.?|([ap])\b)?"
_SEPARATOR = (
    r"\s{0,3}(?:-+|–|—|to|until|till|through|and end(?:s|ing)?(?: at)?(?: approximately| about| around)?)\s{0,3}"
)
_TIME_RANGE = re.compile(rf"(?<![\d:.]){_TIME}{_SEPARATOR}{_TIME}", re.IGNORECASE)
_TIME_SINGLE = re.compile(rf"(?<![\d:.]){_TIME}", re.IGNORECASE)
_COMPACT_RANGE = re.compile(
    r"(?<![\d:.-])([01]\d|2[0-3])([0-5]\d)\s{0,3}(?:-|–|to)\s{0,3}([01]\d|2[0-3])([0-5]\d)(?![\d-])"
)


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
    compact = _COMPACT_RANGE.search(text)
    match = _TIME_RANGE.search(text)
    if compact and (match is None or compact.start() <= match.start()):
        start = _clock(compact.group(1), compact.group(2), None, pieces.problems)
        end = _clock(compact.group(3), compact.group(4), None, pieces.problems)
        times = [t for t in (start, end) if t is not None]
    elif match and any(match.group(i) for i in (2, 3, 4, 6, 7, 8)):
        h1, m1, h2, m2 = match.group(1), match.group(2), match.group(5), match.group(6)
        p1, p2 = match.group(3) or match.group(4), match.group(7) or match.group(8)
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
            if single.group(2) or single.group(3) or single.group(4):
                clock = _clock(single.group(1), single.group(2), single.group(3) or single.group(4), pieces.problems)
                if clock is not None:
                    times.append(clock)
    if times:
        pieces.start_time = times[0]
    if len(times) > 1:
        pieces.end_time = times[1]


def season_problem(pieces: SchedulePieces) -> str | None:
    """'PST in July': an abbreviation for the other half of the year is flagged, the zone's own rules apply."""
    if pieces.abbreviation is None or pieces.start_date is None or pieces.zone is None:
        return None
    from datetime import datetime

    import pytz

    moment = pytz.timezone(pieces.zone).localize(datetime.combine(pieces.start_date, pieces.start_time or time(12)))
    summer = bool(moment.dst())
    if (pieces.abbreviation in _WINTER and summer) or (pieces.abbreviation in _SUMMER and not summer):
        actual = moment.tzname() or ""
        return (
            f"{pieces.abbreviation.upper()} does not hold on {pieces.start_date.isoformat()} "
            f"({pieces.zone} keeps {actual} then); read as {pieces.zone}, give --tz if another zone is meant"
        )
    return None


SCHEDULE_MAX = 500


def parse_schedule(text: str) -> SchedulePieces:
    """Read "11/7/16; 1 pm to 4 pm Pacific Time" or "23 May, 2011, 9am - 6pm PDT (UTC-7)"."""
    pieces = SchedulePieces()
    # A schedule is a phrase: the dates and times of a longer line are in its first sentences.
    cleaned = inline_text(text[:SCHEDULE_MAX]).replace("−", "-")
    cleaned = re.sub(
        r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|sday|urday)?\b,?",
        " ",
        cleaned,
        flags=re.IGNORECASE,
    )
    cleaned = _find_zone(cleaned, pieces)
    cleaned = _find_dates(cleaned, pieces)
    _find_times(cleaned, pieces)
    flagged = season_problem(pieces)
    if flagged:
        pieces.problems.append(flagged)
    return pieces
