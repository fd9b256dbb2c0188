"""The audit trail: every event as a record (time, actor, meeting, person, action, details) and a sentence.

Events are read a batch at a time in position order and written out as they are read,
so memory stays flat however long the ledger is. The only state kept while streaming
is each meeting's slug and, with diffs, the last text of each notes section.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ledger import text
from ledger.application import ACTIONS, DIRECTORY_STREAM, name_key
from ledger.vocabulary import MODE_WORDS, format_when
from projections.events import LedgerEvent
from projections.events import stream_events as stream_events  # the audit command reads through here

FORMATS = ("text", "json", "csv")
CSV_FIELDS = ("position", "time", "actor", "principal", "meeting", "person", "action", "details", "sentence")

# Shown as their own fields (or internal); the rest of the data is the event's details.
_COMMON = frozenset({"timestamp", "actor", "principal", "originator_topic", "person", "person_key"})


@dataclass(frozen=True)
class Entry:
    """One audited event: who did what to whom in which meeting, when, and in a sentence."""

    position: int
    time: str  # UTC ISO 8601
    actor: str
    principal: str
    meeting: str  # slug
    person: str  # whom the event is about (attendee, proposer), else ""
    action: str
    details: dict[str, Any]
    sentence: str
    diff: str | None = field(default=None)
    # Whom the notifier did not mail about this event, and why ("no email", "muted"): from its outbox.
    not_notified: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        # By hand, in field order: `asdict` deep-copies the details (half the time of `audit --format json`).
        data: dict[str, Any] = {
            "position": self.position,
            "time": self.time,
            "actor": self.actor,
            "principal": self.principal,
            "meeting": self.meeting,
            "person": self.person,
            "action": self.action,
            "details": self.details,
            "sentence": self.sentence,
        }
        if self.diff is not None:
            data["diff"] = self.diff
        if self.not_notified:
            data["not_notified"] = [{"person": p, "reason": r} for p, r in self.not_notified]
        return data


@dataclass(frozen=True)
class Filters:
    """Which entries to keep: all given conditions must hold."""

    actor: str | None = None
    person: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # inclusive

    def keep(self, entry: Entry) -> bool:
        if self.actor is not None and (entry.principal or entry.actor).casefold() != self.actor.strip().casefold():
            return False
        if self.person is not None and name_key(entry.person) != name_key(self.person):
            return False
        if self.since is not None or self.until is not None:
            moment = datetime.fromisoformat(entry.time)
            if self.since is not None and moment < self.since:
                return False
            if self.until is not None and moment > self.until:
                return False
        return True


# ----- what each reader may see ---------------------------------------------------------------

ATTENDANCE = frozenset({"SignedUp", "Withdrew", "AttendanceChanged", "Promoted", "EmailChanged"})
# Person keys may be emails: only an admin reads them.
PERSON_KEYS = frozenset({"person_key", "previous_key"})


def without_emails(events: Iterable[LedgerEvent]) -> Iterator[LedgerEvent]:
    """The events as anyone but an admin reads them: no email field, and addresses written into
    free text masked (the person key, which may be an email, is dropped)."""
    for event in events:
        data = {k: _masked(v) for k, v in event.data.items() if k not in PERSON_KEYS}
        if "email" in data:
            data["email"] = None
        yield event._replace(data=data)


def published(events: Iterable[LedgerEvent], level: str) -> Iterator[LedgerEvent]:
    """The events as the public may read them at an `--attendee-list` level: sign-ups only from
    level names on, their remarks and reasons only at level full; emails never."""
    for event in without_emails(events):
        if event.kind in ATTENDANCE:
            if level in ("counts", "hidden"):
                continue
            if level != "full":
                event.data.update({k: "" for k in ("remark", "reason") if k in event.data})
        yield event


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return text.mask_emails(value)
    if isinstance(value, dict):
        return {k: None if k == "email" else _masked(v) for k, v in value.items()}
    return value


# ----- reading -------------------------------------------------------------------------------


def entries(
    events: Iterable[LedgerEvent],
    filters: Filters,
    diffs: bool = False,
    persons: Mapping[str, str] | None = None,
    not_notified: Mapping[int, list[tuple[str, str]]] | None = None,
) -> Iterator[Entry]:
    """Turn events into entries, keeping those the filters allow.

    `persons` maps accounts to the person each one is, so that an account acting as its own
    person reads "dawn signed up" and one acting for someone else "dawn (for Brandon) ...".
    """
    slugs: dict[str, str] = {DIRECTORY_STREAM: "the ledger"}
    notes: dict[tuple[str, str], str] = {}  # (meeting, section) -> last text, only for diffs
    for event in events:
        if event.kind in ("Scheduled", "SeriesScheduled"):
            slugs[event.meeting_id] = str(event.data["slug"])
        slug = slugs.get(event.meeting_id, event.meeting_id)
        diff = None
        if diffs and event.kind == "NotesEdited":
            key = (event.meeting_id, str(event.data["section"]))
            before, after = notes.get(key, ""), str(event.data["text"])
            notes[key] = after
            diff = unified_diff(before, after, event.data["revision"])
        entry = to_entry(event, slug, diff, persons or {})
        if not_notified and event.position in not_notified:
            entry = replace(entry, not_notified=tuple(not_notified[event.position]))
        if filters.keep(entry):
            yield entry


def unified_diff(before: str, after: str, revision: int) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"revision {revision - 1}",
        tofile=f"revision {revision}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def to_entry(event: LedgerEvent, slug: str, diff: str | None = None, persons: Mapping[str, str] | None = None) -> Entry:
    data = event.data
    details = {k: v for k, v in data.items() if k not in _COMMON}
    person = str(data.get("person") or "")
    principal = str(data.get("principal", ""))
    return Entry(
        position=event.position,
        time=event.timestamp,
        actor=event.actor,
        principal=principal,
        meeting=slug,
        person=person,
        action=ACTIONS.get(event.kind, event.kind),
        details=details,
        sentence=sentence(event.kind, agent(principal, event.actor, persons or {}), slug, data, event.actor),
        diff=diff,
    )


def agent(account: str, actor: str, persons: Mapping[str, str]) -> str:
    """Who acted, as an audit line says it: the account, and the person it acted for if not its own."""
    if not account:
        return actor or "someone"
    own = persons.get(account, account)
    if actor and name_key(actor) not in (name_key(own), name_key(account)):
        return f"{account} (for {actor})"
    return account


def sentence(kind: str, who: str, slug: str, data: dict[str, Any], actor: str = "") -> str:
    """One readable sentence naming who did what to whom in which meeting.

    `who` is the agent as `agent()` words it; `actor` is the person acted as, so that an entry
    about that person reads "signed up" rather than "signed up Dawn Chen".
    """
    person = str(data.get("person") or "")
    told = _Told(data, who, slug, person, themselves=bool(person) and name_key(person) == name_key(actor or who))
    wording = _SENTENCES.get(kind)
    if wording is None:
        return f"{who} recorded {kind} on {slug}"
    return wording.format_map(told) if isinstance(wording, str) else wording(told)


class _Told(dict[str, Any]):
    """What a sentence may name: the event's fields, `who`, `slug`, `person` (the event's, or
    ""), and the phrases of `_PHRASES`, each worded only when named (not every event has a time)."""

    def __init__(self, data: dict[str, Any], who: str, slug: str, person: str, themselves: bool) -> None:
        super().__init__(data, who=who, slug=slug, person=person)
        self.data = data
        self.themselves = themselves  # the agent acted as the person the event is about

    def __getitem__(self, name: str) -> Any:
        phrase = _PHRASES.get(name)
        return super().__getitem__(name) if phrase is None else phrase(self)


def _attendance(told: _Told) -> str:
    words = MODE_WORDS.get(str(told["mode"]), str(told["mode"]))
    if told.get("waitlisted"):
        words += ", waitlisted"
    if told.get("remark"):
        words += f"; remark: {told.data['remark']}"
    return words


# The phrases sentences share. A phrase is worded in place of an event field of its name
# (`changes`: the changed fields as words, not the recorded dict).
_PHRASES: dict[str, Callable[[_Told], str]] = {
    "when": lambda told: _when(told.data),
    "why": lambda told: f": {told.data['reason']}" if told.data.get("reason") else "",
    "attendance": _attendance,
    "changes": lambda told: ", ".join(_change(k, v) for k, v in told.data["changes"].items()),
    # whom the event is about, unless the agent acted as that person
    "them": lambda told: "" if told.themselves else f" {told['person']}",
    "whose": lambda told: "their" if told.themselves else f"{told['person']}'s",
    "as_person": lambda told: f" as {told['person']}" if told["person"] else "",
    "limit": lambda told: "no capacity limit" if told.data["capacity"] is None else f"capacity {told.data['capacity']}",
    "under": lambda told: f" under topic {told.data['parent_id']}" if told.data.get("parent_id") is not None else "",
    "on_behalf": lambda told: "" if told.themselves else f" on behalf of {told['person']}",
}


def _capacity_changed(told: _Told) -> str:
    if told["capacity"] is None:
        return "{who} removed the capacity limit of {slug}".format_map(told)
    return "{who} set the capacity of {slug} to {capacity}".format_map(told)


def _email_changed(told: _Told) -> str:
    had = str(told.get("previous_key") or "").startswith("email:")
    changed = "changed the email of" if had else "added an email to"
    return f"{told['who']} {changed} {told['whose']} sign-up for {told['slug']}"


def _erased(told: _Told) -> str:
    count = len(told.get("key_ids") or ())
    return f"{told['who']} erased a person's personal data ({count} key{'s' if count != 1 else ''}){told['why']}"


def _notes_edited(told: _Told) -> str:
    section = str(told["section"])
    where = "the general notes" if section == "general" else f"the notes of topic {section.removeprefix('topic-')}"
    merged = f", merged from revision {told['base_revision']}" if told.get("merged") else ""
    return f"{told['who']} edited {where} of {told['slug']} (revision {told['revision']}{merged})"


def _series_scheduled(told: _Told) -> str:
    end = f"until {told['until']}" if told["until"] else (f"{told['count']} times" if told["count"] else "no end")
    split = f", continuing {told['split_from']}" if told["split_from"] else ""
    return '{who} created series {slug} "{title}" every {every} from {when}, '.format_map(told) + end + split


def _occurrence_moved(told: _Told) -> str:
    # An occurrence keeps its series' zone: the new time is said without it.
    when = _when({**told.data, "timezone": ""}).strip()
    return f"{told['who']} moved {told['slug']}/{told['day']} to {when}"


# What each kind of event says: a template over `_Told`'s names, or a function where the
# sentence takes more than a template. A kind missing here "recorded" itself.
_SENTENCES: dict[str, str | Callable[[_Told], str]] = {
    "Scheduled": '{who} created {slug} "{title}" for {when} ({limit})',
    "Edited": "{who} edited {slug}: {changes}",
    "Rescheduled": "{who} rescheduled {slug} to {when}",
    "Cancelled": "{who} cancelled {slug}{why}",
    "Reinstated": "{who} reinstated {slug}",
    "CapacityChanged": _capacity_changed,
    "SignedUp": "{who} signed up{them} for {slug} ({attendance})",
    "Withdrew": "{who} withdrew{them} from {slug}{why}",
    "AttendanceChanged": "{who} changed {whose} attendance at {slug} to {attendance}",
    "EmailChanged": _email_changed,
    "Promoted": "{person} was promoted from the waitlist of {slug} (after {who}'s change)",
    "TopicProposed": '{who} proposed topic {topic_id} "{title}" for {slug}{under}{on_behalf}',
    "TopicRetitled": '{who} retitled topic {topic_id} of {slug} to "{title}"',
    "TopicMoved": "{who} moved topic {topic_id} of {slug} to position {position}",
    "TopicWithdrawn": "{who} withdrew topic {topic_id} from {slug}{why}",
    "NotesEdited": _notes_edited,
    "OrganizerAdded": "{who} made {account} an organizer of {slug}",
    "OrganizerRemoved": "{who} removed {account} from the organizers of {slug}",
    "Opened": "{who} opened the ledger's directory of accounts ({founder} is its first admin)",
    "AccountAdded": "{who} added the account {name}{as_person}",
    "AccountRevoked": "{who} revoked the account {name}",
    "AdminGranted": "{who} made {name} an admin of the ledger",
    "AdminRevoked": "{who} revoked {name}'s admin role",
    "Muted": "{who} muted mail to {person}",
    "Unmuted": "{who} unmuted mail to {person}",
    "PersonErased": _erased,
    "Migrated": (
        "{who} started this ledger from a ledger of {from_events} events whose head was {from_digest} ({change})"
    ),
    # A series' own events: its rule and the exceptions of single dates.
    "SeriesScheduled": _series_scheduled,
    "SeriesEdited": "{who} edited series {slug}: {changes}",
    "SeriesEnded": "{who} ended series {slug} after {until}",
    "SeriesSplit": "{who} split series {slug} at {day}: from then on it is {into}",
    "SeriesOrganizerAdded": "{who} made {account} an organizer of series {slug}",
    "SeriesOrganizerRemoved": "{who} removed {account} from the organizers of series {slug}",
    "OccurrenceCancelled": "{who} cancelled {slug}/{day}{why}",
    "OccurrenceMoved": _occurrence_moved,
    "OccurrenceChanged": "{who} changed {slug}/{day}: {changes}",
}


def _when(data: dict[str, Any]) -> str:
    return format_when(str(data["start"]), str(data["end"]), str(data["timezone"]))


def _changes(data: dict[str, Any]) -> str:
    return ", ".join(_change(k, v) for k, v in data["changes"].items())


def _change(name: str, value: Any) -> str:
    if name == "publish_emails":
        return "emails published in calendars" if value else "emails hidden from calendars"
    label = name.replace("_", " ")
    if name == "description":
        return f"{label} changed"
    return f'{label} to "{value}"' if value else f"{label} cleared"


# ----- formats ---------------------------------------------------------------------------------


def render(found: Iterable[Entry], fmt: str, diffs: bool = False) -> Iterator[str]:
    """The entries as text lines, a JSON array or CSV rows, one chunk per entry."""
    if fmt == "json":
        yield from _json(found)
    elif fmt == "csv":
        yield from _csv(found, diffs)
    else:
        for entry in found:
            yield f"{entry.time[:19].replace('T', ' ')}Z  {entry.sentence}\n"
            if entry.diff:
                yield "".join(f"    {line}\n" for line in entry.diff.splitlines())
            for person, reason in entry.not_notified:
                yield f"    not notified: {reason}: {person}\n"


def _json(found: Iterable[Entry]) -> Iterator[str]:
    first = True
    yield "["
    for entry in found:
        yield ("\n  " if first else ",\n  ") + json.dumps(entry.as_dict(), ensure_ascii=False, sort_keys=False)
        first = False
    yield "]\n" if first else "\n]\n"


def _csv(found: Iterable[Entry], diffs: bool) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow((*CSV_FIELDS, "diff") if diffs else CSV_FIELDS)
    yield flush()
    for entry in found:
        row = [getattr(entry, name) for name in CSV_FIELDS]
        row[CSV_FIELDS.index("details")] = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)
        writer.writerow((*row, entry.diff or "") if diffs else row)
        yield flush()
