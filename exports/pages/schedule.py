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
