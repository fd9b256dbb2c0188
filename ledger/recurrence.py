"""A series' recurrence rule: RFC 5545 RRULE parts, expanded with `dateutil.rrule` (never by hand).

The rule runs on local wall-clock times, as RFC 5545 says a DTSTART with a TZID does: a weekly
10:00 meeting stays at 10:00 across daylight-saving changes. Each local time is then placed in the
zone with the standard library's rules; one that falls in a spring-forward gap moves forward by the
gap, and one that happens twice is the first of the two (RFC 5545 3.3.5), which is what
`zoneinfo` gives with fold=0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ledger.errors import BadInputError

if TYPE_CHECKING:
    from dateutil.rrule import rrule

EVERY = ("week", "2weeks", "month")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def parse_day(value: str, what: str = "date") -> date:
    """An occurrence's date, as its address writes it (2026-12-08)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{what} {value!r} is not a date like 2026-12-08") from None


@dataclass(frozen=True)
class Recurrence:
    """How often a series meets, from its first occurrence's local start, until a date or a count."""

    start: datetime  # the first occurrence, local time in `zone` (aware)
    every: str  # "week", "2weeks" or "month"
    by: str  # for "month": "weekday" (the 2nd Tuesday) or "date" (the 8th); "weekday" otherwise
    until: date | None = None  # the last day an occurrence may fall on (inclusive)
    count: int | None = None

    def __post_init__(self) -> None:
        if self.every not in EVERY:
            raise BadInputError(f"--every must be one of {', '.join(EVERY)}, not {self.every!r}")
        if self.until is not None and self.count is not None:
            raise BadInputError("give --until or --count, not both")
        if self.count is not None and not 1 <= self.count <= 10_000:
            raise BadInputError("--count must be from 1 to 10000")
        if self.until is not None and self.until < self.start.date():
            raise BadInputError(f"--until {self.until} is before the first occurrence {self.start.date()}")

    @property
    def local_start(self) -> datetime:
        return self.start.replace(tzinfo=None)

    def _nth_weekday(self) -> int:
        """Which weekday of its month the first occurrence is: 1..4, or -1 for a fifth (the last)."""
        day = self.local_start.day
        nth = (day - 1) // 7 + 1
        return -1 if nth == 5 else nth

    def rule(self) -> rrule:
        from dateutil import rrule as rr

        start = self.local_start
        until = datetime.combine(self.until, datetime.max.time()).replace(microsecond=0) if self.until else None
        common: dict[str, Any] = {"dtstart": start, "until": until, "count": self.count, "cache": False}
        if self.every == "month":
            weekday = rr.weekday(start.weekday())
            if self.by == "weekday":
                return rr.rrule(rr.MONTHLY, byweekday=weekday(self._nth_weekday()), **common)
            # A 31st meets only in months that have one, as RFC 5545 says (BYMONTHDAY=31).
            return rr.rrule(rr.MONTHLY, bymonthday=start.day, **common)
        return rr.rrule(rr.WEEKLY, interval=2 if self.every == "2weeks" else 1, **common)

    def local_starts(self, after: datetime | None = None) -> Iterator[datetime]:
        """Every occurrence's rule start (naive local), from the first (or from `after`, inclusive)."""
        rule = self.rule()
        if after is None:
            yield from rule
            return
        first = rule.after(after, inc=True)
        while first is not None:
            yield first
            first = rule.after(first)

    def occurs_on(self, day: date) -> datetime | None:
        """The rule's local start on that day, if the series meets then."""
        return _occurs_on(self, day)

    def ical(self, zone_key: str | None) -> dict[str, Any]:
        """The RRULE's parts for icalendar's vRecur; UNTIL in UTC, as RFC 5545 requires with a TZID."""
        parts: dict[str, Any] = {}
        if self.every == "month":
            parts["FREQ"] = "MONTHLY"
            if self.by == "weekday":
                parts["BYDAY"] = f"{self._nth_weekday()}{ICAL_DAYS[self.local_start.weekday()]}"
            else:
                parts["BYMONTHDAY"] = self.local_start.day
        else:
            parts["FREQ"] = "WEEKLY"
            if self.every == "2weeks":
                parts["INTERVAL"] = 2
            parts["BYDAY"] = ICAL_DAYS[self.local_start.weekday()]
        if self.count is not None:
            parts["COUNT"] = self.count
        if self.until is not None:
            # UNTIL bounds the rule inclusively (RFC 5545 3.3.10): the end of the last day, in UTC with a
            # TZID, says the same as the last occurrence's start without expanding the rule to find it.
            last = datetime.combine(self.until, datetime.max.time()).replace(microsecond=0)
            parts["UNTIL"] = place(last, zone_key).astimezone(UTC) if zone_key else last
        return parts


@lru_cache(maxsize=8192)
def _occurs_on(recurrence: Recurrence, day: date) -> datetime | None:
    # A page or feed asks about the same few dates many times: each answer is kept (a rule never changes).
    midnight = datetime.combine(day, datetime.min.time())
    found = recurrence.rule().after(midnight, inc=True)
    return found if found is not None and found.date() == day else None


def place(local: datetime, zone: str | None) -> datetime:
    """A rule's local time in its zone (fold=0: RFC 5545's reading of gaps and repeated hours)."""
    from ledger.timing import zone_of

    return local.replace(tzinfo=zone_of(zone or "UTC"), fold=0)


def from_options(
    start: datetime, every: str, on: str | None, by_date: bool, until: str | None, count: int | None
) -> Recurrence:
    """The rule from the command's options: `--on WEEKDAY` must be the first occurrence's weekday."""
    if every not in EVERY:
        raise BadInputError(f"--every must be one of {', '.join(EVERY)}, not {every!r}")
    weekday = WEEKDAYS[start.weekday()]
    if on is not None and on.strip().lower() != weekday:
        raise BadInputError(f"--on {on} does not match the start, which is a {weekday}")
    if by_date and every != "month":
        raise BadInputError("--by-date is for --every month")
    if by_date and on is not None:
        raise BadInputError("give --on or --by-date, not both")
    by = "weekday" if every != "month" or on is not None else "date"
    last = parse_day(until, "--until") if until else None
    return Recurrence(start, every, by, last, count)
