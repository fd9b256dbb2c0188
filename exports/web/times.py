"""Times as people read them on a page: in the meeting's own zone, with the instants a script may show locally."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ledger.errors import BadInputError
from ledger.timing import parse_moment


@dataclass(frozen=True)
class When:
    """A meeting's time span: the text in its zone, and both ends in UTC for the viewer's-zone script."""

    text: str
    zone: str
    start_utc: str
    end_utc: str
    utc_text: str


def when(start: str, end: str, zone: str) -> When:
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    same_day = begin.date() == finish.date()
    end_text = f"{finish:%H:%M}" if same_day else f"{finish:%a %d %b %Y, %H:%M}"
    ub, uf = begin.astimezone(UTC), finish.astimezone(UTC)
    utc_end = f"{uf:%H:%M}" if ub.date() == uf.date() else f"{uf:%a %d %b %Y, %H:%M}"
    return When(
        text=f"{begin:%A %d %B %Y, %H:%M}–{end_text}",
        zone=zone,
        start_utc=ub.isoformat(),
        end_utc=uf.isoformat(),
        utc_text=f"{ub:%a %d %b %Y, %H:%M}–{utc_end} UTC",
    )


def as_of(value: str | None, zone: str | None = None) -> datetime | None:
    """`?as-of=TIME`: ISO 8601; without an offset it is read in the meeting's zone (else UTC)."""
    if not value:
        return None
    if len(value) > 64:
        raise BadInputError("as-of is too long")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"as-of {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone) if zone else UTC)
    return parse_moment(parsed.isoformat(), "as-of")


def moment(iso: str) -> str:
    """An event's UTC time, shortened for a table."""
    return iso[:19].replace("T", " ") + " UTC"
