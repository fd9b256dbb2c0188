"""The Ledger's commands about series: create, edit, end, split, and one occurrence's exceptions.

An occurrence `SERIES/2026-12-08` is a Meeting whose stream starts with the first command that acts
on it (`get_occurrence`); its details, status and organizers always come from the series, so a change
to the series or to that one date shows on it whether or not its stream exists yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ledger import people, snapshots, text
from ledger.errors import BadInputError, NotFoundError, RuleError, StorageError
from ledger.meeting import Meeting
from ledger.roles import authorize
from ledger.storage.adapter import DatabaseLocked, WriteConflict, appending

if TYPE_CHECKING:  # the series modules (nine event classes, dateutil) load only when a series is used
    from ledger.application import Saved
    from ledger.roles import Subject
    from ledger.series import Series
    from ledger.timing import Fold

SEPARATOR = "/"  # SERIES/2026-12-08 names an occurrence (as ledger.series says)

# Meeting commands whose change belongs to the series on an occurrence, and the series command to use.
SERIES_OWNED = {"edit": "change", "reschedule": "move", "cancel": "cancel", "reinstate": "cancel"}


def parse_day(value: str, what: str) -> date:
    from ledger.recurrence import parse_day as parse

    return parse(value, what)


def series_id(slug: str) -> Any:
    from ledger.series import Series

    return Series.create_id(slug)


def split_occurrence(slug: str) -> tuple[str, date]:
    """`SERIES/2026-12-08` as the series' slug and the occurrence's date."""
    series_slug, _, day = slug.rpartition(SEPARATOR)
    return text.check("slug", series_slug), parse_day(day, "occurrence date")


class SeriesCommands:
    """Series and their occurrences: mixed into `Ledger`."""

    # Provided by Ledger.
    events: Any
    _retrying: Callable[..., Any]
    _save: Callable[..., Saved]
    current_account: Callable[..., Any]
    account: Callable[..., Any]
    _acting_for: Callable[..., Any]

    # ----- loading -----------------------------------------------------------------------

    def get_series(self, slug: str) -> Series:
        """The series, replayed from its events: it holds only its exceptions, so it is never snapshotted."""
        text.check("slug", slug)
        series: Any = None
        from ledger.series import Series

        for recorded in self.events.get(series_id(slug)):
            series = recorded.mutate(series)
        if series is None:
            raise NotFoundError(f"no series {slug!r}")
        assert isinstance(series, Series)
        return series

    def get_occurrence(self, slug: str) -> Meeting:
        """The occurrence's meeting: its stream if it started, else a new one with the series' details.

        What the series says of the date later (its time, place, a cancellation) is not copied into the
        meeting: the read side shows it from the series, and `_authorize` applies its cancellation.
        """
        series_slug, day = split_occurrence(slug)
        meeting = snapshots.load(self, Meeting.create_id(slug))
        series = self.get_series(series_slug)
        details = series.occurrence(day)  # also refuses a date the series does not meet
        if meeting is None:
            if not people.actor_var.get() and people.principal_var.get():  # its first event records who acts
                people.actor_var.set(self.current_account().person)
            meeting = Meeting(
                slug=slug,
                title=details["title"],
                start=details["start"],
                end=details["end"],
                timezone=details["timezone"],
                location=details["location"],
                video_url=details["video_url"],
                description=details["description"],
                capacity=details["capacity"],
                calendar_uid=details["calendar_uid"],
            )
        return meeting

    # ----- who may act -------------------------------------------------------------------

    def organizers_of(self, meeting: Meeting) -> list[str]:
        """An occurrence is organized by its series' organizers and any it was given itself."""
        own: list[str] = super().organizers_of(meeting)  # type: ignore[misc]
        if SEPARATOR not in meeting.slug:
            return own
        series = self.get_series(split_occurrence(meeting.slug)[0])
        extra = meeting.organizers or []
        return list(dict.fromkeys([*series.organizers, *extra]))

    def _authorize(self, action: str, meeting: Meeting | None = None, subject: Subject | None = None) -> None:
        if meeting is not None and SEPARATOR in meeting.slug and action in SERIES_OWNED:
            series_slug, day = split_occurrence(meeting.slug)
            raise RuleError(
                f"{meeting.slug} is an occurrence of the series {series_slug}: use"
                f" `meetings series {SERIES_OWNED[action]} {series_slug} {day}`"
            )
        super()._authorize(action, meeting, subject)  # type: ignore[misc]
        if meeting is not None and SEPARATOR in meeting.slug and action == "signup":
            series_slug, day = split_occurrence(meeting.slug)
            if day.isoformat() in self.get_series(series_slug).cancelled:
                raise RuleError(f"{meeting.slug} is cancelled; sign-ups are closed")

    def _authorize_series(self, action: str, series: Series | None) -> None:
        """The permission check of a series' commands (None: creating one, checked against the ledger's rules)."""
        account = self.current_account()
        if not people.actor_var.get():
            people.actor_var.set(account.person)
        where, organizers = ("the ledger", []) if series is None else (series.slug, series.organizers)
        authorize(action, account, where=where, organizers=organizers, acting_for=self._acting_for(account))

    def series_roles(self, slug: str, account: str) -> frozenset[str]:
        """The roles an account holds in a series (for showing the controls it may use)."""
        from ledger.roles import Account, roles_of

        found = self.account(account) or Account(account, None, account)
        return roles_of(found, self.get_series(slug).organizers)

    def _is_series(self, slug: str) -> bool:
        if SEPARATOR in slug or snapshots.load(self, Meeting.create_id(text.check("slug", slug))) is not None:
            return False
        return self._series_exists(slug)

    def meeting_organizers(self, slug: str) -> list[str]:
        """A meeting's, an occurrence's or a series' organizers."""
        if self._is_series(slug):
            return list(self.get_series(slug).organizers)
        found: list[str] = super().meeting_organizers(slug)  # type: ignore[misc]
        return found

    def add_organizer(self, slug: str, account: str) -> Saved:
        """Make an account an organizer of a meeting, or of a series and so of every occurrence."""
        if not self._is_series(slug):
            added: Saved = super().add_organizer(slug, account)  # type: ignore[misc]
            return added
        name = text.check("account", account)

        def change(series: Series) -> str:
            series.add_organizer(name)
            return f"{name} now organizes {slug}"

        return self._update_series(slug, "organizers", change)

    def remove_organizer(self, slug: str, account: str) -> Saved:
        if not self._is_series(slug):
            removed: Saved = super().remove_organizer(slug, account)  # type: ignore[misc]
            return removed

        def change(series: Series) -> str:
            series.remove_organizer(account)
            return f"{account} no longer organizes {slug}"

        return self._update_series(slug, "organizers", change)

    # ----- writing -----------------------------------------------------------------------

    def _update_series(self, slug: str, action: str, change: Callable[[Series], str]) -> Saved:
        def attempt() -> Saved:
            series = self.get_series(slug)
            self._authorize_series(action, series)
            summary = change(series)
            saved: Saved = self._save(series, summary)
            return saved

        result: Saved = self._retrying(attempt)
        return result

    def _save_new_series(self, summary: str, *series: Series) -> Saved:
        from ledger.application import Saved

        try:
            with appending():
                recordings = self.save(*series)
        except WriteConflict:
            raise RuleError(f"a series {series[-1].slug!r} already exists") from None
        except DatabaseLocked as error:
            raise StorageError(f"database error: {error}") from None
        return Saved(recordings[-1].notification.id, summary)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """eventsourcing's `save`, refusing a new meeting whose slug a series already has (meetings and
        series share one namespace of slugs, as their pages do)."""
        for obj in objs:
            if isinstance(obj, Meeting) and SEPARATOR not in obj.slug:
                pending = obj.pending_events
                if pending and type(pending[0]).__name__ == "Scheduled" and self._series_exists(obj.slug):
                    raise RuleError(f"a series {obj.slug!r} already exists")
        return super().save(*objs, **kwargs)  # type: ignore[misc]

    def _series_exists(self, slug: str) -> bool:
        return next(iter(self.events.get(series_id(slug), lte=1)), None) is not None

    def _check_new_slug(self, slug: str) -> None:
        if snapshots.load(self, Meeting.create_id(slug)) is not None:
            raise RuleError(f"a meeting {slug!r} already exists")
        if self._series_exists(slug):
            raise RuleError(f"a series {slug!r} already exists")

    def create_series(
        self,
        slug: str,
        title: str,
        start: str,
        end: str,
        zone: str,
        every: str,
        on: str | None = None,
        by_date: bool = False,
        until: str | None = None,
        count: int | None = None,
        location: str = "",
        video_url: str = "",
        description: str = "",
        capacity: int | None = None,
        fold: Fold | None = None,
    ) -> Saved:
        """A new series whose first occurrence is at `start`; its creator organizes it."""
        from ledger.recurrence import from_options
        from ledger.series import Series
        from ledger.timing import Schedule

        slug, title = text.check("slug", slug), text.check("title", title)
        schedule = Schedule.from_input(start, end, zone, fold)
        recurrence = from_options(schedule.start, every, on, by_date, until, count)
        details = text.Details.checked(location, video_url, description, capacity)
        self._authorize_series("create", None)
        self._check_new_slug(slug)
        series = Series.schedule(slug, title, schedule, recurrence, [people.principal_var.get()], details)
        return self._save_new_series(f"created series {slug}", series)

    def edit_series(self, slug: str, **changes: Any) -> Saved:
        """Change the title, place, link, description or capacity of every occurrence."""
        from ledger.series import DETAILS

        cleaned: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in DETAILS:
                raise BadInputError(f"cannot edit {name}")
            if value is not None:
                cleaned[name] = text.check_capacity(value) if name == "capacity" else text.check(name, value)
        if not cleaned:
            raise BadInputError("give at least one of --title, --location, --video-url, --description, --capacity")

        def change(series: Series) -> str:
            series.edit(cleaned)
            return f"edited series {slug}"

        return self._update_series(slug, "edit", change)

    def end_series(self, slug: str, last_day: str) -> Saved:
        day = parse_day(last_day, "--after")

        def change(series: Series) -> str:
            series.end_on(day)
            return f"series {slug} now ends by {day}"

        return self._update_series(slug, "cancel", change)

    def cancel_occurrence(self, slug: str, day: str, reason: str = "") -> Saved:
        when, reason = parse_day(day, "occurrence date"), text.check("reason", reason)

        def change(series: Series) -> str:
            series.cancel_occurrence(when, reason)
            return f"cancelled {slug}/{when}"

        return self._update_series(slug, "cancel", change)

    def move_occurrence(
        self, slug: str, day: str, start: str, end: str, zone: str | None = None, fold: Fold | None = None
    ) -> Saved:
        from ledger.timing import Schedule

        when = parse_day(day, "occurrence date")

        def change(series: Series) -> str:
            series.move_occurrence(when, Schedule.from_input(start, end, zone or series.timezone, fold))
            return f"moved {slug}/{when}"

        return self._update_series(slug, "reschedule", change)

    def change_occurrence(
        self, slug: str, day: str, location: str | None = None, video_url: str | None = None
    ) -> Saved:
        from ledger.series import OCCURRENCE_DETAILS

        when = parse_day(day, "occurrence date")
        wanted = {"location": location, "video_url": video_url}
        changes = {k: text.check(k, v) for k, v in wanted.items() if v is not None and k in OCCURRENCE_DETAILS}
        if not changes:
            raise BadInputError("give --location or --video-url")

        def change(series: Series) -> str:
            series.change_occurrence(when, changes)
            return f"changed {slug}/{when}"

        return self._update_series(slug, "edit", change)

    def split_series(
        self,
        slug: str,
        day: str,
        new_slug: str,
        start: str | None = None,
        end: str | None = None,
        fold: Fold | None = None,
        **changes: Any,
    ) -> Saved:
        """Change the series from the occurrence on `day` on: this series ends before it, and the
        new series `new_slug` runs from it with the changes; earlier occurrences are untouched."""
        from ledger.recurrence import Recurrence
        from ledger.series import DETAILS, Series
        from ledger.timing import Schedule

        when, new_slug = parse_day(day, "occurrence date"), text.check("slug", new_slug)
        details = {
            k: text.check_capacity(v) if k == "capacity" else text.check(k, v)
            for k, v in changes.items()
            if v is not None
        }

        def attempt() -> Saved:
            old = self.get_series(slug)
            self._authorize_series("edit", old)
            self._check_new_slug(new_slug)
            local = old.rule_start(when)
            first = datetime.fromisoformat(old.start)
            length = datetime.fromisoformat(old.end).replace(tzinfo=None) - first.replace(tzinfo=None)
            schedule = Schedule.from_input(
                start or local.isoformat(), end or (local + length).isoformat(), old.timezone, fold
            )
            remaining = None
            if old.count is not None:
                before = sum(1 for s in old.recurrence.local_starts() if s.date() < when)
                remaining = old.count - before
            recurrence = Recurrence(
                schedule.start, old.every, old.by, date.fromisoformat(old.until) if old.until else None, remaining
            )
            kept = {name: details.get(name, getattr(old, name)) for name in DETAILS}
            new = Series.schedule(
                new_slug,
                kept.pop("title"),
                schedule,
                recurrence,
                list(old.organizers) or [people.principal_var.get()],
                text.Details(**kept),
                split_from=slug,
            )
            old.split_at(when, new_slug)
            return self._save_new_series(f"split {slug} at {when}: from then on it is {new_slug}", old, new)

        result: Saved = self._retrying(attempt)
        return result
