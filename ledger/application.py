"""The Ledger application: commands that load a meeting, apply a rule, and append its events."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application

from ledger import people, snapshots, text
from ledger.access import AccessCommands
from ledger.accounts import Directory
from ledger.agenda import Agenda
from ledger.agenda_commands import AgendaCommands
from ledger.attendance import Roster
from ledger.attendance_commands import AttendanceCommands
from ledger.batching import BatchCommands
from ledger.chain import Digest, verify_ledger
from ledger.erasure import ErasureCommands
from ledger.errors import BadInputError, NotFoundError, RuleError, StorageError
from ledger.import_commands import ImportCommands
from ledger.kinds import ACTIONS
from ledger.meeting import Meeting
from ledger.muting import MuteCommands
from ledger.notes_commands import NotesCommands
from ledger.people import name_key
from ledger.roles import Subject
from ledger.series_commands import SeriesCommands
from ledger.steps import Saved, Step
from ledger.storage import open_ledger as open_database
from ledger.storage import resolve as resolve_database
from ledger.storage.adapter import (
    FEED_TOKENS,
    DatabaseLocked,
    Storage,
    WriteConflict,
    appending,
    best_effort,
    is_storage_error,
)
from ledger.streams import DIRECTORY_ID, SNAPSHOT_INTERVAL
from ledger.transcoding import AsDict, LedgerTranscoder
from ledger.transfer import copy_events
from ledger.update_commands import UpdateCommands
from ledger.vocabulary import check_attendee_list

if TYPE_CHECKING:  # pytz is imported only by the commands that read a time
    from eventsourcing.persistence import JSONTranscoder

    from ledger.timing import Fold

T = TypeVar("T")


# A write that loses a race against another writer is re-run on fresh state. Sixty
# processes contending for one meeting need many short, jittered attempts.
RETRY_ATTEMPTS = 400
RETRY_WAIT = 0.01
DIRECTORY_STREAM = DIRECTORY_ID.hex  # the stream of accounts and admins, as the read side names streams


class Ledger(
    BatchCommands,
    SeriesCommands,
    NotesCommands,
    ImportCommands,
    UpdateCommands,
    AccessCommands,
    MuteCommands,
    ErasureCommands,
    AttendanceCommands,
    AgendaCommands,
    Application[UUID],
):
    """Meetings and series as event streams, one stream per meeting, series and started occurrence."""

    name = "Ledger"
    # Snapshots are taken by `_save` itself, of the state already in memory (eventsourcing's
    # intervals would re-read the meeting for every multiple of the interval a save crosses).
    is_snapshotting_enabled = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (meeting id, section, revision) -> text: older notes revisions already read.
        self._revision_texts: dict[tuple[Any, str, int], str] = {}

    def construct_transcoder(self) -> LedgerTranscoder:
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        transcoder.keyring = self.keyring
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(AsDict(Roster, "roster"))
        transcoder.register(AsDict(Agenda, "agenda"))

    # ----- plumbing --------------------------------------------------------------------

    def get_meeting(self, slug: str) -> Meeting:
        if "/" in slug:  # an occurrence of a series
            return self.get_occurrence(slug)
        text.check("slug", slug)
        # Not `repository.get`: it would decode any snapshot, whatever type it names.
        meeting = snapshots.load(self, Meeting.create_id(slug))
        if meeting is None:
            raise NotFoundError(f"no meeting {slug!r}")
        return meeting

    def take_snapshot(self, aggregate_id: Any, version: int | None = None, projector_func: Any = None) -> None:
        """eventsourcing's `take_snapshot`, taking the sealed snapshot that loads trust."""
        meeting = snapshots.load(self, aggregate_id, version)
        if meeting is not None:
            snapshots.take(self, meeting)

    @functools.cached_property
    def storage(self) -> Storage:
        """The ledger's database, for the read side and the audit (no SQL outside the adapter)."""
        return Storage(self)

    def _save(self, meeting: Meeting | Directory, summary: str) -> Saved:
        recordings = self._append(meeting)
        return Saved(recordings[-1].notification.id if recordings else 0, summary)

    def _append(self, meeting: Meeting | Directory) -> list[Any]:
        """Append the meeting's new events in one transaction; their recordings, in order."""
        self.mapper.reset()  # type: ignore[attr-defined,unused-ignore]  # notes lines' authors are read anew
        with appending():
            recordings = list(self.save(meeting))
        if recordings and isinstance(meeting, Meeting):  # the directory is small: always replayed
            versions = [r.domain_event.originator_version for r in recordings]
            # A snapshot each time a save crosses a multiple of the interval: a load then
            # replays at most SNAPSHOT_INTERVAL - 1 events.
            if (min(versions) - 1) // SNAPSHOT_INTERVAL != max(versions) // SNAPSHOT_INTERVAL:
                best_effort(lambda: self._snapshot(meeting))
        return recordings

    def _save_new(self, meeting: Meeting, summary: str, refused: str = "") -> Saved:
        """Append a new meeting's events; a slug already taken is refused, with `refused` added."""
        try:
            return self._save(meeting, summary)
        except WriteConflict:
            # The id derives from the slug, so a collision means the slug is taken.
            raise RuleError(f"a meeting {meeting.slug!r} already exists{refused}") from None
        except DatabaseLocked as error:
            raise StorageError(f"database error: {error}") from None

    def _snapshot(self, meeting: Meeting) -> None:
        """Snapshot the state in memory and keep only that newest one.

        Each older snapshot is a whole copy of the meeting's state (a 10,000-event meeting
        kept 500 copies of a 220 KB state). Snapshots are a cache: the events are committed
        already, so failing here must not fail, or through the retry repeat, the command.
        """
        if snapshots.take(self, meeting):
            self.storage.prune_snapshots(meeting.id, meeting.version)

    def _retrying(self, command: Callable[[], T]) -> T:
        """Re-run a command that lost an optimistic-concurrency race, on fresh state."""
        # SQLite already waited its lock timeout before saying "locked"; retrying is for the
        # snapshot conflicts it reports at once, not for a lock another process keeps holding.
        patience = float(self.env.get("SQLITE_LOCK_TIMEOUT") or 30)
        started = time.monotonic()
        for attempt in range(RETRY_ATTEMPTS):
            try:
                with appending():  # a read inside the command may also meet the lock
                    return command()
            except WriteConflict:
                pass  # another writer appended first: reload and decide again
            except DatabaseLocked:
                if time.monotonic() - started >= patience:
                    raise StorageError(
                        f"the database is locked by another process (waited {patience:g} s);"
                        " nothing was written, try again"
                    ) from None
            time.sleep(RETRY_WAIT * (1 + random.random()) * min(attempt + 1, 10))  # noqa: S311
        raise StorageError("the meeting is too busy right now; nothing was written, try again")

    def _update(
        self,
        slug: str,
        action: str,
        change: Callable[[Meeting], str],
        subject: Callable[[Meeting], Subject] | None = None,
    ) -> Saved:
        """Load the meeting, check the account may do `action` (to `subject`), change it, append."""

        step = Step(action, change, subject)

        def attempt() -> Saved:
            meeting = self.get_meeting(slug)
            return self._save(meeting, self._apply(meeting, step))

        return self._retrying(attempt)

    def _run(self, slug: str, step: Step) -> Saved:
        return self._update(slug, step.action, step.change, step.subject)

    def _apply(self, meeting: Meeting, step: Step) -> str:
        """Check the account may take the step on this meeting, then take it (nothing is saved here)."""
        self._authorize(step.action, meeting, step.subject(meeting) if step.subject is not None else None)
        return step.change(meeting)

    # ----- meetings --------------------------------------------------------------------

    def create_meeting(
        self,
        slug: str,
        title: str,
        start: str,
        end: str,
        zone: str,
        location: str = "",
        video_url: str = "",
        description: str = "",
        capacity: int | None = None,
        fold: Fold | None = None,
    ) -> Saved:
        from ledger.timing import Schedule

        slug = text.check("slug", slug)
        title = text.check("title", title)
        schedule = Schedule.from_input(start, end, zone, fold)
        details = text.Details.checked(location, video_url, description, capacity)
        self._authorize("create")  # before the meeting's first event, which records who acts
        meeting = Meeting.schedule(slug, title, schedule, details)
        return self._save_new(meeting, f"created {meeting.slug}")

    def edit_meeting(self, slug: str, **changes: Any) -> Saved:
        return self._run(slug, self.edit_meeting_step(slug, **changes))

    def edit_meeting_step(self, slug: str, **changes: Any) -> Step:
        cleaned = {k: _edited_value(k, v) for k, v in changes.items() if v is not None}
        if not cleaned:
            raise BadInputError("give at least one of --title, --location, --video-url, --description, --attendee-list")

        def change(meeting: Meeting) -> str:
            meeting.edit(**cleaned)
            return f"edited {slug}"

        return Step("edit", change)

    def reschedule(self, slug: str, start: str, end: str, zone: str | None, fold: Fold | None = None) -> Saved:
        return self._run(slug, self.reschedule_step(slug, start, end, zone, fold))

    def reschedule_step(self, slug: str, start: str, end: str, zone: str | None, fold: Fold | None = None) -> Step:
        from ledger.timing import Schedule

        def change(meeting: Meeting) -> str:
            meeting.reschedule(Schedule.from_input(start, end, zone or meeting.timezone, fold))
            return f"rescheduled {slug}"

        return Step("reschedule", change)

    def cancel(self, slug: str, reason: str = "") -> Saved:
        reason = text.check("reason", reason)

        def change(meeting: Meeting) -> str:
            meeting.cancel(reason)
            return f"cancelled {slug}"

        return self._update(slug, "cancel", change)

    def reinstate(self, slug: str) -> Saved:
        def change(meeting: Meeting) -> str:
            meeting.reinstate()
            return f"reinstated {slug}"

        return self._update(slug, "reinstate", change)


def open_ledger(db: str | None, *, pool_size: int = 1, create: bool = True) -> Ledger:
    """The ledger named by `--db` (else MEETINGS_DB, else the user's default file), opened (made if `create`)."""
    from ledger import storage

    app: Ledger = storage.open_ledger(storage.resolve(db), pool_size=pool_size, create=create)
    return app


def _edited_value(name: str, value: Any) -> Any:
    if name == "publish_emails":
        return bool(value)
    if name == "attendee_list":
        return check_attendee_list(str(value))
    return text.check(name, value)


def resolve_person(explicit: str | None) -> str | None:
    """The person acted for: `--as NAME`, else MEETINGS_ACTOR, else None (the account's own)."""
    return people.resolve_actor(explicit)


# What the edges may use: the commands and what they need of the layers below. `exports/`
# imports ledger only through this module and errors, vocabulary, text, timing and importing
# (the words, limits, times and plans a command takes): import-linter's "ledger-boundary".
__all__ = [
    "ACTIONS",
    "DIRECTORY_STREAM",
    "FEED_TOKENS",
    "Digest",
    "Ledger",
    "Saved",
    "copy_events",
    "is_storage_error",
    "name_key",
    "open_database",
    "open_ledger",
    "people",
    "resolve_database",
    "resolve_person",
    "text",
    "verify_ledger",
]
