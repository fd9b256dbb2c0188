"""What the read side answers: small frozen values, each producing its own `--json` shape.

The `to_json()` methods are the CLI's JSON contract (README, "JSON output"), in one place:
keys, their order and their values are relied on by scripts, so they change only on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ledger.text import mask_emails
from ledger.vocabulary import DEFAULT_ATTENDEE_LIST


def _plain(result: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """A result's own fields in declaration order: the JSON keys and their order follow the class."""
    return {f.name: getattr(result, f.name) for f in fields(result) if f.name not in leave_out}


View = TypeVar("View")


def from_document(view: type[View], doc: Mapping[str, Any], **derived: Any) -> View:
    """A view of a read-model document: each field without a default is the document's value of that
    name, except those given in `derived` (counts, tuples, values with a fallback)."""
    stored = {
        f.name: doc[f.name]
        for f in fields(view)  # type: ignore[arg-type]
        if f.name not in derived and f.default is MISSING and f.default_factory is MISSING
    }
    return view(**stored, **derived)


class Plain:
    """A result whose `--json` shape is its own fields, in declaration order."""

    def to_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Counts(Plain):
    """How many people come in each way, and whether the room is over its limit."""

    seated: int | None  # None only in a public answer whose attendee list is hidden
    free: int | None  # None: no in-person limit
    waitlisted: int | None
    remote: int | None
    undecided: int | None
    total: int | None
    over_capacity: bool | None

    @classmethod
    def hidden(cls) -> Counts:
        """What a public answer says of a meeting whose attendee list is hidden: nothing."""
        return cls(None, None, None, None, None, None, None)


@dataclass(frozen=True)
class AttendeeEntry:
    """One sign-up as the page numbers it: position in sign-up order, mode and standing."""

    position: int
    name: str
    mode: str
    remark: str
    email: str | None
    status: str  # "seated", "waitlisted", "remote" or "undecided"
    waitlist_position: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = _plain(self, leave_out=("waitlist_position",))
        if self.waitlist_position is not None:
            data["waitlist_position"] = self.waitlist_position
        return data


@dataclass(frozen=True)
class Withdrawal(Plain):
    """Someone's latest withdrawal: why, by whom and when."""

    name: str
    reason: str
    by: str
    at: str  # UTC ISO 8601


@dataclass(frozen=True)
class AttendeeList:
    """A meeting's attendees in sign-up order, its waitlist in joining order, and who withdrew."""

    slug: str
    capacity: int | None
    attendees: tuple[AttendeeEntry, ...]
    waitlist: tuple[AttendeeEntry, ...]
    withdrawn: tuple[Withdrawal, ...]
    counts: Counts
    published: str | None = None  # the level of a public answer (None: the whole list)

    def public(self, level: str, own: Callable[[AttendeeEntry], bool] | None = None) -> AttendeeList:
        """The list as the public sees it at an `--attendee-list` level; emails never, and the
        remarks shown (level full) with their emails masked. `own` picks the viewer's own entry,
        which they always see in full."""

        def shown(entry: AttendeeEntry) -> AttendeeEntry | None:
            if own is not None and own(entry):
                return replace(entry, email=None)
            if level == "full":
                return replace(entry, email=None, remark=mask_emails(entry.remark))
            return replace(entry, email=None, remark="") if level == "names" else None

        kept = {e.position: p for e in self.attendees if (p := shown(e)) is not None}
        withdrawn = self.withdrawn if level == "full" else ()
        return replace(
            self,
            attendees=tuple(kept.values()),
            waitlist=tuple(kept[e.position] for e in self.waitlist if e.position in kept),
            withdrawn=tuple(replace(w, reason=mask_emails(w.reason)) for w in withdrawn),
            counts=Counts.hidden() if level == "hidden" else self.counts,
            published=level,
        )

    @property
    def seated(self) -> tuple[AttendeeEntry, ...]:
        return tuple(e for e in self.attendees if e.status == "seated")

    @property
    def remote(self) -> tuple[AttendeeEntry, ...]:
        return tuple(e for e in self.attendees if e.mode == "remote")

    @property
    def undecided(self) -> tuple[AttendeeEntry, ...]:
        return tuple(e for e in self.attendees if e.mode == "undecided")

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "capacity": self.capacity,
            "seated": [e.to_json() for e in self.seated],
            "waitlist": [e.to_json() for e in self.waitlist],
            "remote": [e.to_json() for e in self.remote],
            "undecided": [e.to_json() for e in self.undecided],
            "attendees": [e.to_json() for e in self.attendees],
            "withdrawn": [w.to_json() for w in self.withdrawn],
            "counts": self.counts.to_json(),
            **({} if self.published is None else {"attendee_list": self.published}),
        }


@dataclass(frozen=True)
class MeetingView:
    """A meeting's details, its calendar identity and sequence, and its attendance counts."""

    slug: str
    title: str
    start: str  # ISO 8601 with the meeting zone's offset
    end: str
    timezone: str
    location: str
    video_url: str
    description: str
    capacity: int | None
    cancelled: bool
    cancel_reason: str
    sequence: int
    calendar_uid: str
    publish_emails: bool
    created_at: str
    updated_at: str
    created_by: str  # not in the JSON: calendars name it as the organizer
    counts: Counts
    attendee_list: str = DEFAULT_ATTENDEE_LIST  # in the JSON when not the default, or in a public answer
    public_answer: bool = False

    def public(self) -> MeetingView:
        """The details as the public sees them: emails in the free text masked, counts per the level."""
        return replace(
            self,
            description=mask_emails(self.description),
            cancel_reason=mask_emails(self.cancel_reason),
            counts=Counts.hidden() if self.attendee_list == "hidden" else self.counts,
            public_answer=True,
        )

    @property
    def status(self) -> str:
        return "cancelled" if self.cancelled else "scheduled"

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def ends(self) -> datetime:
        return datetime.fromisoformat(self.end)

    def to_json(self) -> dict[str, Any]:
        shown = self.public_answer or self.attendee_list != DEFAULT_ATTENDEE_LIST
        return {
            **_plain(self, leave_out=("created_by", "counts", "attendee_list", "public_answer")),
            "status": self.status,
            "counts": self.counts.to_json(),
            **({"attendee_list": self.attendee_list} if shown else {}),
        }


@dataclass(frozen=True)
class MeetingRow(Plain):
    """One line of `meetings list`: when, where, and whether it is upcoming, past or cancelled."""

    slug: str
    title: str
    start: str
    end: str
    timezone: str
    location: str
    capacity: int | None
    status: str  # "upcoming", "past" or "cancelled"


@dataclass(frozen=True)
class Topic(Plain):
    """A topic numbered as the page shows it ("4", "4a")."""

    id: int
    number: str
    title: str
    proposer: str


@dataclass(frozen=True)
class AgendaItem(Topic):
    """A top-level topic and its sub-topics, in order."""

    subtopics: tuple[Topic, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "subtopics": [s.to_json() for s in self.subtopics]}


@dataclass(frozen=True)
class AgendaView:
    """The active topics in agenda order."""

    items: tuple[AgendaItem, ...]

    def __iter__(self) -> Iterator[AgendaItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def topics(self) -> Iterator[Topic]:
        """Every topic, each top-level one followed by its sub-topics."""
        for item in self.items:
            yield item
            yield from item.subtopics

    def public(self) -> AgendaView:
        """The agenda with emails in the topics' titles masked."""
        return AgendaView(
            tuple(
                replace(
                    item,
                    title=mask_emails(item.title),
                    subtopics=tuple(replace(s, title=mask_emails(s.title)) for s in item.subtopics),
                )
                for item in self.items
            )
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [item.to_json() for item in self.items]


@dataclass(frozen=True)
class Revision:
    """One saved revision of a notes section: who saved it, when, and whether it was merged."""

    revision: int
    by: str
    at: str  # UTC ISO 8601
    base_revision: int | None
    merged: bool
    text: str  # not in the JSON: `notes show` prints the latest text, `notes diff` any two

    def to_json(self) -> dict[str, Any]:
        return _plain(self, leave_out=("text",))


@dataclass(frozen=True)
class NotesSection:
    """A notes section's current text and every revision, oldest first."""

    slug: str
    section: str  # "general" or "topic-N"
    topic_id: int | None
    revisions: tuple[Revision, ...]

    @property
    def revision(self) -> int:
        return self.revisions[-1].revision if self.revisions else 0

    @property
    def text(self) -> str:
        return self.revisions[-1].text if self.revisions else ""

    def public(self) -> NotesSection:
        """Every revision's text with its emails masked."""
        return replace(self, revisions=tuple(replace(r, text=mask_emails(r.text)) for r in self.revisions))

    def history_json(self) -> list[dict[str, Any]]:
        """`notes history --json`."""
        return [r.to_json() for r in self.revisions]

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "section": self.section,
            "topic_id": self.topic_id,
            "revision": self.revision,
            "text": self.text,
            "revisions": self.history_json(),
        }


@dataclass(frozen=True)
class Signup:
    """A person standing signed up for one meeting (what a personal feed needs)."""

    person_key: str
    name: str
    email: str | None
    mode: str
    meeting_id: str  # UUID hex


class Shaped(Protocol):
    """A result with a `--json` shape."""

    def to_json(self) -> Any: ...


def to_json(result: Shaped | Sequence[Shaped]) -> Any:
    """The `--json` shape of a result, or of a list of them (`meetings list`, `notes history`)."""
    if isinstance(result, Sequence):
        return [item.to_json() for item in result]
    return result.to_json()
