"""The Series aggregate: a recurring meeting's rule, details, organizers and exceptions.

Occurrences are computed from the rule (`ledger.recurrence`), never stored one by one: the
series' stream holds its creation and one event per exception or change, so a ten-year weekly
series costs what its exceptions cost. Each occurrence's attendance, agenda and notes live in a
Meeting stream of its own (slug `SERIES/2026-12-08`), started by the first command that acts on it.

Public methods check the rules, then call a private `@event` method that only changes state.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from ledger import edits, roles, text
from ledger.attributed import LedgerAggregate
from ledger.errors import NotFoundError, RuleError
from ledger.recurrence import Recurrence, place

if TYPE_CHECKING:
    from ledger.timing import Schedule

SERIES_TOPIC = "meeting-ledger:Series"
SEPARATOR = "/"  # SERIES/2026-12-08 names an occurrence
DETAILS = ("title", "location", "video_url", "description", "capacity")
OCCURRENCE_DETAILS = ("location", "video_url")


def occurrence_slug(series_slug: str, day: date) -> str:
    return f"{series_slug}{SEPARATOR}{day.isoformat()}"


class Series(LedgerAggregate):
    """A recurring meeting: its rule from the first occurrence, and what differs on single dates."""

    TOPIC = SERIES_TOPIC

    @staticmethod
    def create_id(slug: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/series/{slug}")

    @event("SeriesScheduled", topic=f"{SERIES_TOPIC}.SeriesScheduled")
    def __init__(
        self,
        slug: str,
        title: str,
        start: str,
        end: str,
        timezone: str,
        every: str,
        by: str,
        until: str | None,
        count: int | None,
        location: str,
        video_url: str,
        description: str,
        capacity: int | None,
        calendar_uid: str,
        organizers: list[str],
        split_from: str,
    ) -> None:
        self.slug, self.title, self.start, self.end, self.timezone = slug, title, start, end, timezone
        self.every, self.by, self.until, self.count = every, by, until, count
        self.location, self.video_url, self.description, self.capacity = location, video_url, description, capacity
        self.calendar_uid = calendar_uid
        self.organizers = list(organizers)
        self.split_from = split_from
        self.split_into = ""
        self.sequence = 0  # raised by every change of the rule or the shared details
        self.cancelled: dict[str, str] = {}  # day -> reason
        self.moved: dict[str, dict[str, str]] = {}  # day -> {"start", "end"}
        self.changed: dict[str, dict[str, str]] = {}  # day -> {"location"?, "video_url"?}
        self.revisions: dict[str, int] = {}  # day -> SEQUENCE of that occurrence's override

    @classmethod
    def schedule(
        cls,
        slug: str,
        title: str,
        schedule: Schedule,
        recurrence: Recurrence,
        organizers: list[str],
        details: text.Details,
        split_from: str = "",
    ) -> Series:
        return cls(
            slug=slug,
            title=title,
            **schedule.stored(),
            every=recurrence.every,
            by=recurrence.by,
            until=recurrence.until.isoformat() if recurrence.until else None,
            count=recurrence.count,
            **details._asdict(),
            calendar_uid=str(uuid4()),
            organizers=[name for name in organizers if name],
            split_from=split_from,
        )

    # ----- the rule ---------------------------------------------------------------------

    @property
    def recurrence(self) -> Recurrence:
        return recurrence_of(self.__dict__)

    def rule_start(self, day: date) -> datetime:
        """The rule's local start on `day`; refuses a day the series does not meet."""
        found = self.recurrence.occurs_on(day)
        if found is None:
            raise NotFoundError(f"series {self.slug!r} has no occurrence on {day.isoformat()}")
        return found

    def occurrence(self, day: date) -> dict[str, Any]:
        """What the occurrence on `day` inherits: the series' details with that day's exceptions."""
        return occurrence_details(self.__dict__, day, self.rule_start(day))

    # ----- shared details --------------------------------------------------------------------

    def edit(self, changes: dict[str, Any]) -> None:
        self._edit(changes=edits.effective(vars(self), changes, self.slug))

    @event("SeriesEdited", topic=f"{SERIES_TOPIC}.SeriesEdited")
    def _edit(self, changes: dict[str, Any]) -> None:
        edits.apply(self, changes)
        self.sequence += 1

    def end_on(self, last_day: date) -> None:
        """No occurrences after `last_day`; those before are untouched."""
        first = datetime.fromisoformat(self.start).date()
        if last_day < first:
            raise RuleError(f"{self.slug} starts on {first}; it cannot end before that")
        current = last_occurrence(self.__dict__)
        if current is not None and current.date() <= last_day:
            raise RuleError(f"{self.slug} already ends by {current.date()}")
        self._end(until=last_day.isoformat())

    @event("SeriesEnded", topic=f"{SERIES_TOPIC}.SeriesEnded")
    def _end(self, until: str) -> None:
        self.until, self.count = until, None
        self.sequence += 1

    def split_at(self, day: date, into: str) -> None:
        """End this series the day before `day`: the new series `into` takes over from there."""
        self.rule_start(day)
        if day <= datetime.fromisoformat(self.start).date():
            raise RuleError(f"{day} is the first occurrence of {self.slug}: edit the series instead of splitting it")
        self._split(day=day.isoformat(), into=into)

    @event("SeriesSplit", topic=f"{SERIES_TOPIC}.SeriesSplit")
    def _split(self, day: str, into: str) -> None:
        self.until, self.count = (date.fromisoformat(day) - timedelta(days=1)).isoformat(), None
        self.split_into = into
        self.sequence += 1

    # ----- single occurrences ------------------------------------------------------------------

    def cancel_occurrence(self, day: date, reason: str) -> None:
        self.rule_start(day)
        if day.isoformat() in self.cancelled:
            raise RuleError(f"{occurrence_slug(self.slug, day)} is already cancelled")
        self._cancel_occurrence(day=day.isoformat(), reason=reason)

    @event("OccurrenceCancelled", topic=f"{SERIES_TOPIC}.OccurrenceCancelled")
    def _cancel_occurrence(self, day: str, reason: str) -> None:
        self.cancelled[day] = reason
        self.revisions[day] = self.revisions.get(day, 0) + 1

    def move_occurrence(self, day: date, schedule: Schedule) -> None:
        self.rule_start(day)
        if day.isoformat() in self.cancelled:
            raise RuleError(f"{occurrence_slug(self.slug, day)} is cancelled")
        current = self.occurrence(day)
        if (current["start"], current["end"]) == (schedule.start_iso, schedule.end_iso):
            raise RuleError(f"{occurrence_slug(self.slug, day)} is already at that time")
        self._move_occurrence(day=day.isoformat(), start=schedule.start_iso, end=schedule.end_iso)

    @event("OccurrenceMoved", topic=f"{SERIES_TOPIC}.OccurrenceMoved")
    def _move_occurrence(self, day: str, start: str, end: str) -> None:
        self.moved[day] = {"start": start, "end": end}
        self.revisions[day] = self.revisions.get(day, 0) + 1

    def change_occurrence(self, day: date, changes: dict[str, str]) -> None:
        self.rule_start(day)
        effective = edits.effective(self.occurrence(day), changes, occurrence_slug(self.slug, day))
        self._change_occurrence(day=day.isoformat(), changes=effective)

    @event("OccurrenceChanged", topic=f"{SERIES_TOPIC}.OccurrenceChanged")
    def _change_occurrence(self, day: str, changes: dict[str, str]) -> None:
        self.changed[day] = {**self.changed.get(day, {}), **changes}
        self.revisions[day] = self.revisions.get(day, 0) + 1

    # ----- organizers -------------------------------------------------------------------------

    def add_organizer(self, account: str) -> None:
        if account in self.organizers:
            raise RuleError(f"{account} already organizes {self.slug}")
        self._add_organizer(account=account)

    @event("SeriesOrganizerAdded", topic=f"{SERIES_TOPIC}.SeriesOrganizerAdded")
    def _add_organizer(self, account: str) -> None:
        self.organizers.append(account)

    def remove_organizer(self, account: str) -> None:
        roles.organizers(self.slug).check_take(self.organizers, account)
        self._remove_organizer(account=account)

    @event("SeriesOrganizerRemoved", topic=f"{SERIES_TOPIC}.SeriesOrganizerRemoved")
    def _remove_organizer(self, account: str) -> None:
        self.organizers.remove(account)


# ----- the series as plain state: shared by the aggregate and the read model -------------------


def recurrence_of(state: dict[str, Any]) -> Recurrence:
    until = state.get("until")
    return Recurrence(
        start=datetime.fromisoformat(state["start"]),
        every=state["every"],
        by=state["by"],
        until=date.fromisoformat(until) if until else None,
        count=state.get("count"),
    )


def last_occurrence(state: dict[str, Any]) -> datetime | None:
    """The rule's last local start, or None for a series without an end."""
    if not state.get("until") and not state.get("count"):
        return None
    last = None
    for last in recurrence_of(state).local_starts():  # noqa: B007 - only the last one is wanted
        pass
    return last


def occurrence_details(state: dict[str, Any], day: date, local_start: datetime) -> dict[str, Any]:
    """The occurrence's own details: start and end (ISO, with offset), place, status, and revision."""
    key = day.isoformat()
    first_start, first_end = datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"])
    duration = first_end.replace(tzinfo=None) - first_start.replace(tzinfo=None)
    moved = state["moved"].get(key)
    if moved is not None:
        start, end = moved["start"], moved["end"]
    else:
        start = place(local_start, state["timezone"]).isoformat()
        end = place(local_start + duration, state["timezone"]).isoformat()
    changed = state["changed"].get(key, {})
    return {
        "day": key,
        "slug": occurrence_slug(state["slug"], day),
        "series": state["slug"],
        "title": state["title"],
        "start": start,
        "end": end,
        "recurrence_id": place(local_start, state["timezone"]).isoformat(),
        "timezone": state["timezone"],
        "location": changed.get("location", state["location"]),
        "video_url": changed.get("video_url", state["video_url"]),
        "description": state["description"],
        "capacity": state["capacity"],
        "calendar_uid": state["calendar_uid"],
        "cancelled": key in state["cancelled"],
        "cancel_reason": state["cancelled"].get(key, ""),
        "moved": moved is not None,
        "revision": state["revisions"].get(key, 0),
    }
