"""The Ledger application: commands that load a meeting, apply a rule, and append its events."""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from ledger import people, snapshots, text
from ledger.access import AccessCommands
from ledger.accounts import DIRECTORY_ID, Directory
from ledger.agenda import Agenda
from ledger.attendance import Roster
from ledger.erasure import ErasureCommands
from ledger.errors import BadInputError, NotFoundError, RuleError, StorageError
from ledger.importing import ImportCommands
from ledger.meeting import TOPIC_PREFIX, Meeting
from ledger.privacy import reveal
from ledger.roles import Subject
from ledger.storage.adapter import DatabaseLocked, Storage, WriteConflict, appending, best_effort
from ledger.transcoding import AsDict, LedgerTranscoder
from ledger.vocabulary import check_mode

if TYPE_CHECKING:  # pytz is imported only by the commands that read a time
    from ledger.timing import Fold

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Saved:
    """What a command appended: the global position of its last event, and what happened."""

    position: int
    summary: str


# A write that loses a race against another writer is re-run on fresh state. Sixty
# processes contending for one meeting need many short, jittered attempts.
RETRY_ATTEMPTS = 400
RETRY_WAIT = 0.01
DIRECTORY_STREAM = DIRECTORY_ID.hex  # the stream of accounts and admins, as the read side names streams
SNAPSHOT_INTERVAL = 10  # a load replays at most 9 events after the newest snapshot


class Ledger(ImportCommands, AccessCommands, ErasureCommands, Application):
    """Meetings as event streams, one stream per meeting."""

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
        self.mapper.reset()  # type: ignore[attr-defined,unused-ignore]  # notes lines' authors are read anew
        with appending():
            recordings = self.save(meeting)
        if recordings and isinstance(meeting, Meeting):  # the directory is small: always replayed
            versions = [r.domain_event.originator_version for r in recordings]
            # A snapshot each time a save crosses a multiple of the interval: a load then
            # replays at most SNAPSHOT_INTERVAL - 1 events.
            if (min(versions) - 1) // SNAPSHOT_INTERVAL != max(versions) // SNAPSHOT_INTERVAL:
                best_effort(lambda: self._snapshot(meeting))
        return Saved(recordings[-1].notification.id if recordings else 0, summary)

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

        def attempt() -> Saved:
            meeting = self.get_meeting(slug)
            self._authorize(action, meeting, subject(meeting) if subject is not None else None)
            summary = change(meeting)
            return self._save(meeting, summary)

        return self._retrying(attempt)

    def _notes_history(self, meeting: Meeting) -> Callable[[str, int], str]:
        """Looks up an older notes revision's text in the meeting's stored notes events."""
        return lambda section, revision: self._notes_revision_text(meeting, section, revision)

    def _notes_revision_text(self, meeting: Meeting, section: str, revision: int) -> str:
        # A stored revision never changes: a retried command asks once. Only notes events are read, newest first.
        key = (meeting.id, section, revision)
        if key not in self._revision_texts:
            topic = f"{TOPIC_PREFIX}.NotesEdited"
            for state in self.storage.select_states(meeting.id, topic, meeting.version):
                edited = reveal(orjson.loads(state), self.keyring)  # plain fields only: no custom types
                if edited["section"] == section and edited["revision"] == revision:
                    self._revision_texts[key] = str(edited["text"])
                    break
            else:
                raise NotFoundError(f"{meeting.slug} {section} notes have no revision {revision}")
        return self._revision_texts[key]

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
        location, video_url = text.check("location", location), text.check("video_url", video_url)
        description, capacity = text.check("description", description), check_capacity(capacity)
        self._authorize("create")  # before the meeting's first event, which records who acts
        meeting = Meeting.schedule(slug, title, schedule, location, video_url, description, capacity)
        return self._save_new(meeting, f"created {meeting.slug}")

    def edit_meeting(self, slug: str, **changes: Any) -> Saved:
        cleaned = {
            k: bool(v) if k == "publish_emails" else text.check(k, v) for k, v in changes.items() if v is not None
        }
        if not cleaned:
            raise BadInputError("give at least one of --title, --location, --video-url, --description")

        def change(meeting: Meeting) -> str:
            meeting.edit(**cleaned)
            return f"edited {slug}"

        return self._update(slug, "edit", change)

    def reschedule(self, slug: str, start: str, end: str, zone: str | None, fold: Fold | None = None) -> Saved:
        from ledger.timing import Schedule

        def change(meeting: Meeting) -> str:
            meeting.reschedule(Schedule.from_input(start, end, zone or meeting.timezone, fold))
            return f"rescheduled {slug}"

        return self._update(slug, "reschedule", change)

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

    def change_capacity(self, slug: str, capacity: int | None) -> Saved:
        capacity = check_capacity(capacity)

        def change(meeting: Meeting) -> str:
            meeting.change_capacity(capacity)
            return f"{slug} capacity is now {'unlimited' if capacity is None else capacity}"

        return self._update(slug, "capacity", change)

    # ----- attendance --------------------------------------------------------------------

    def sign_up(
        self, slug: str, name: str, mode: str = "in-person", email: str | None = None, remark: str = ""
    ) -> Saved:
        name = people.display_name(name)
        mode = check_mode(mode)
        email = text.check("email", email) if email else None
        remark = text.check("remark", remark)

        def change(meeting: Meeting) -> str:
            meeting.sign_up(name, mode, email, remark)
            attendee = meeting.find_attendee(email or name)
            return f"signed up {name} for {slug} {meeting.roster.describe(attendee)}"

        return self._update(slug, "signup", change, lambda _: Subject(name, email))

    def withdraw(self, slug: str, name: str, reason: str = "") -> Saved:
        name = people.display_name(name)
        reason = text.check("reason", reason)

        def change(meeting: Meeting) -> str:
            waiting = list(meeting.roster.waitlist)
            attendee = meeting.withdraw(name, reason)
            seated_now = meeting.roster.attendees
            promoted = [seated_now[k].name for k in waiting if k in seated_now and k not in meeting.roster.waitlist]
            suffix = f"; promoted {', '.join(promoted)}" if promoted else ""
            return f"withdrew {attendee.name} from {slug}{suffix}"

        return self._update(slug, "withdraw", change, lambda meeting: entry_of(meeting, name))

    def change_attendance(self, slug: str, name: str, mode: str | None, remark: str | None) -> Saved:
        name = people.display_name(name)
        mode = check_mode(mode) if mode is not None else None
        if remark is not None:
            remark = text.check("remark", remark)
        if mode is None and remark is None:
            raise BadInputError("give --mode or --remark")

        def change(meeting: Meeting) -> str:
            attendee = meeting.change(name, mode, remark)
            return f"{attendee.name} is now {meeting.roster.describe(attendee)}"

        return self._update(slug, "change", change, lambda meeting: entry_of(meeting, name))

    # ----- agenda ----------------------------------------------------------------------

    def propose_topic(self, slug: str, title: str, proposer: str | None, parent_id: int | None = None) -> Saved:
        """Add a topic; its proposer is the person named, else whoever is acting."""
        title = text.check("topic_title", title)
        named = people.display_name(proposer) if proposer else None

        def change(meeting: Meeting) -> str:
            topic_id = meeting.propose_topic(title, named or people.actor_var.get(), parent_id)
            return f"proposed topic {topic_id} for {slug}"

        return self._update(slug, "topic-propose", change)

    def retitle_topic(self, slug: str, topic_id: int, title: str) -> Saved:
        title = text.check("topic_title", title)

        def change(meeting: Meeting) -> str:
            meeting.retitle_topic(topic_id, title)
            return f"retitled topic {topic_id} of {slug}"

        return self._update(
            slug, "topic-retitle", change, lambda meeting: Subject(meeting.find_topic(topic_id).proposer)
        )

    def move_topic(self, slug: str, topic_id: int, position: int) -> Saved:
        def change(meeting: Meeting) -> str:
            meeting.move_topic(topic_id, position)
            return f"moved topic {topic_id} of {slug} to position {position}"

        return self._update(slug, "topic-move", change)

    def withdraw_topic(self, slug: str, topic_id: int, reason: str = "") -> Saved:
        reason = text.check("reason", reason)

        def change(meeting: Meeting) -> str:
            meeting.withdraw_topic(topic_id, reason)
            return f"withdrew topic {topic_id} from {slug}"

        return self._update(
            slug, "topic-withdraw", change, lambda meeting: Subject(meeting.find_topic(topic_id).proposer)
        )

    # ----- notes -----------------------------------------------------------------------

    def edit_notes(self, slug: str, topic_id: int | None, new_text: str, base_revision: int | None = None) -> Saved:
        new_text = text.check("notes", new_text)

        def change(meeting: Meeting) -> str:
            revision = meeting.edit_notes(topic_id, new_text, base_revision, self._notes_history(meeting))
            return f"saved notes revision {revision} of {slug}"

        return self._update(slug, "notes-edit", change)

    def restore_notes(self, slug: str, topic_id: int | None, revision: int) -> Saved:
        """A restore is a new edit whose text is an old revision's."""

        def change(meeting: Meeting) -> str:
            section = meeting.check_section(topic_id)
            old = meeting.notes_text(section, revision, self._notes_history(meeting))
            new_revision = meeting.edit_notes(topic_id, old, None)
            return f"restored revision {revision} of {slug} notes as revision {new_revision}"

        return self._update(slug, "notes-restore", change)


def open_ledger(db: str | None, *, pool_size: int = 1) -> Ledger:
    """The ledger named by `--db` (else MEETINGS_DB, else the user's default file), opened."""
    from ledger import storage

    app: Ledger = storage.open_ledger(storage.resolve(db), pool_size=pool_size)
    return app


def resolve_person(explicit: str | None) -> str | None:
    """The person acted for: `--as NAME`, else MEETINGS_ACTOR, else None (the account's own)."""
    return people.resolve_actor(explicit)


def entry_of(meeting: Meeting, name: str) -> Subject:
    """Whose entry a command about NAME touches (the lookup also refuses an unknown name)."""
    attendee = meeting.find_attendee(name)
    return Subject(attendee.name, attendee.email)


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and capacity < 0:
        raise BadInputError(f"capacity must be zero or more, not {capacity}")
    if capacity is not None and capacity > 1_000_000:
        raise BadInputError("capacity must be at most 1000000")
    return capacity


__all__ = ["DIRECTORY_STREAM", "Ledger", "Saved", "open_ledger", "people", "resolve_person"]
