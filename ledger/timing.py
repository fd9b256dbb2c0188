"""Meeting times: local wall-clock times in an IANA zone, checked against DST gaps and overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.errors import BadInputError

# Common spellings people write on meeting pages, mapped to the zone they mean.
ZONE_ALIASES: dict[str, str] = {
    "pacific time": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "mountain time": "America/Denver",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "central time": "America/Chicago",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "eastern time": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central european time": "Europe/Berlin",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "british time": "Europe/London",
    "bst": "Europe/London",
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
}

Fold = Literal["first", "second"]


def zone_name(value: str) -> str:
    """Return the canonical IANA name for a zone or one of its common aliases."""
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > 64:
        raise BadInputError(f"unknown time zone {value!r}")
    alias = ZONE_ALIASES.get(cleaned.casefold())
    if alias:
        return alias
    name = _canonical_names().get(cleaned.casefold())
    if name is not None:
        return name
    raise BadInputError(f"unknown time zone {value!r} (use an IANA name such as America/Los_Angeles)")


@cache
def _canonical_names() -> dict[str, str]:
    import pytz  # its list of names (with the old aliases such as US/Pacific), imported only when asked

    names: list[str] = pytz.all_timezones  # pytz has no type hints
    return {name.casefold(): name for name in names}


@cache
def zone_of(name: str) -> ZoneInfo:
    """The zone's rules from the standard library: unlike pytz's tables (which end in 2037), they run on
    with the zone's current rule for every year, so a 2040 gap or fold is found like a 2026 one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInputError(f"unknown time zone {name!r}") from None


def parse_local(value: str, what: str) -> datetime:
    """Parse an ISO 8601 local time without offset, to the minute."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{what} {value!r} is not an ISO 8601 time like 2016-11-07T13:00") from None
    if parsed.tzinfo is not None:
        raise BadInputError(f"{what} {value!r} must be a local time; give the zone with --tz")
    if not any(sep in value.strip()[8:] for sep in "Tt "):  # a date alone would silently mean midnight
        raise BadInputError(f"{what} {value!r} has no time of day; give one, e.g. {parsed:%Y-%m-%d}T09:00")
    return parsed.replace(second=0, microsecond=0) if parsed.second == 0 else parsed.replace(microsecond=0)


# Meetings happen in years the time-zone database and calendar programs describe well;
# year 1 or 9999 is a typo, and either overflows once converted to UTC.
FIRST_YEAR = 1900
LAST_YEAR = 2999


def localize(local: datetime, zone_id: str, what: str, fold: Fold | None = None) -> datetime:
    """Attach the zone, refusing times that do not exist and ambiguous ones without a fold."""
    if not FIRST_YEAR <= local.year <= LAST_YEAR:
        raise BadInputError(f"{what} {local:%Y-%m-%d} must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    tz = zone_of(zone_id)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # The offsets differ at a change of clocks (PEP 495): a time that survives the round trip through UTC
    # happens twice (the fall-back hour); one that does not was skipped (the spring-forward gap).
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise BadInputError(f"{what} {local:%Y-%m-%d %H:%M} does not exist in {zone_id} (clocks skip it)")
    if fold is None:
        raise BadInputError(
            f"{what} {local:%Y-%m-%d %H:%M} happens twice in {zone_id}; say which with --fold first|second"
        )
    return first if fold == "first" else second


class StoredTime(TypedDict):
    """A start and end as events record them: ISO 8601 with the zone's offset, and the zone."""

    start: str
    end: str
    timezone: str


@dataclass(frozen=True)
class Schedule:
    """A meeting's start and end: aware datetimes in one zone, end after start."""

    start: datetime
    end: datetime
    zone: str

    @classmethod
    def from_input(cls, start: str, end: str, zone: str, fold: Fold | None = None) -> Schedule:
        name = zone_name(zone)
        start_at = localize(parse_local(start, "start"), name, "start", fold)
        end_at = localize(parse_local(end, "end"), name, "end", fold)
        if end_at <= start_at:
            raise BadInputError("end must be after start")
        return cls(start_at, end_at, name)

    @classmethod
    def from_stored(cls, start: str, end: str, zone: str) -> Schedule:
        tz = zone_of(zone)
        return cls(
            datetime.fromisoformat(start).astimezone(tz),
            datetime.fromisoformat(end).astimezone(tz),
            zone,
        )

    def stored(self) -> StoredTime:
        return {"start": self.start_iso, "end": self.end_iso, "timezone": self.zone}

    @property
    def start_iso(self) -> str:
        return self.start.isoformat()

    @property
    def end_iso(self) -> str:
        return self.end.isoformat()

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)


def parse_moment(value: str, what: str = "time", zone: str | None = None) -> datetime:
    """An ISO 8601 instant for --as-of/--since: with an offset, else in `zone` (a meeting's), else the user's."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"{what} {value!r} is not an ISO 8601 time") from None
    try:
        if parsed.tzinfo is None and zone:
            parsed = parsed.replace(tzinfo=zone_of(zone))  # as the meeting's page reads the clock
        elif parsed.tzinfo is None:
            parsed = parsed.astimezone()  # the machine's local zone, as the user reads the clock
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range by the offset
        raise BadInputError(f"{what} {value!r} is out of range") from None
