"""What the read side answers about series: a series, its occurrences, and the list of series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.results import Counts, _plain


@dataclass(frozen=True)
class OccurrenceRow:
    """One occurrence of a series: its address, when (local and UTC), whether it is off or moved, who comes."""

    date: str  # the rule's date, the occurrence's address even when moved
    slug: str
    start: str
    end: str
    start_utc: str
    end_utc: str
    status: str  # "scheduled" or "cancelled"
    moved: bool
    location: str
    video_url: str
    counts: Counts

    def to_json(self) -> dict[str, Any]:
        return {**_plain(self, leave_out=("counts",)), "counts": self.counts.to_json()}


@dataclass(frozen=True)
class SeriesView:
    """A series: its rule, shared details, calendar identity, and its occurrences in rule order."""

    slug: str
    title: str
    start: str  # the first occurrence
    end: str
    timezone: str
    every: str
    by: str
    until: str | None
    count: int | None
    location: str
    video_url: str
    description: str
    capacity: int | None
    calendar_uid: str
    sequence: int
    organizers: tuple[str, ...]
    split_from: str
    split_into: str
    created_at: str
    updated_at: str
    occurrences: tuple[OccurrenceRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **_plain(self, leave_out=("organizers", "occurrences")),
            "organizers": list(self.organizers),
            "occurrences": [o.to_json() for o in self.occurrences],
        }


@dataclass(frozen=True)
class SeriesRow:
    """One line of `meetings series list`."""

    slug: str
    title: str
    timezone: str
    every: str
    start: str
    until: str | None
    count: int | None
    next: str | None  # the next occurrence's date, None when none is left

    def to_json(self) -> dict[str, Any]:
        return _plain(self)
