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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
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
        data = asdict(self)
        if self.diff is None:
            del data["diff"]
        if self.not_notified:
            data["not_notified"] = [{"person": p, "reason": r} for p, r in self.not_notified]
        else:
            del data["not_notified"]
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
    themselves = bool(person) and name_key(person) == name_key(actor or who)
    if kind == "Scheduled":
        limit = "no capacity limit" if data["capacity"] is None else f"capacity {data['capacity']}"
        return f'{who} created {slug} "{data["title"]}" for {_when(data)} ({limit})'
    if kind == "Edited":
        return f"{who} edited {slug}: " + ", ".join(_change(k, v) for k, v in data["changes"].items())
    if kind == "Rescheduled":
        return f"{who} rescheduled {slug} to {_when(data)}"
    if kind == "Cancelled":
        return f"{who} cancelled {slug}" + _reason(data)
    if kind == "Reinstated":
        return f"{who} reinstated {slug}"
    if kind == "CapacityChanged":
        if data["capacity"] is None:
            return f"{who} removed the capacity limit of {slug}"
        return f"{who} set the capacity of {slug} to {data['capacity']}"
    if kind == "SignedUp":
        subject = f"{who} signed up" if themselves else f"{who} signed up {person}"
        return f"{subject} for {slug} ({_attendance(data)})"
    if kind == "Withdrew":
        subject = f"{who} withdrew" if themselves else f"{who} withdrew {person}"
        return f"{subject} from {slug}" + _reason(data)
    if kind == "AttendanceChanged":
        whose = "their" if themselves else f"{person}'s"
        return f"{who} changed {whose} attendance at {slug} to {_attendance(data)}"
    if kind == "EmailChanged":
        whose = "their" if themselves else f"{person}'s"
        had = str(data.get("previous_key") or "").startswith("email:")
        return f"{who} {'changed the email of' if had else 'added an email to'} {whose} sign-up for {slug}"
    if kind == "Promoted":
        return f"{person} was promoted from the waitlist of {slug} (after {who}'s change)"
    if kind == "TopicProposed":
        under = f" under topic {data['parent_id']}" if data.get("parent_id") is not None else ""
        by = "" if themselves else f" on behalf of {person}"
        return f'{who} proposed topic {data["topic_id"]} "{data["title"]}" for {slug}{under}{by}'
    if kind == "TopicRetitled":
        return f'{who} retitled topic {data["topic_id"]} of {slug} to "{data["title"]}"'
    if kind == "TopicMoved":
        return f"{who} moved topic {data['topic_id']} of {slug} to position {data['position']}"
    if kind == "TopicWithdrawn":
        return f"{who} withdrew topic {data['topic_id']} from {slug}" + _reason(data)
    if kind == "OrganizerAdded":
        return f"{who} made {data['account']} an organizer of {slug}"
    if kind == "OrganizerRemoved":
        return f"{who} removed {data['account']} from the organizers of {slug}"
    if kind == "Opened":
        return f"{who} opened the ledger's directory of accounts ({data['founder']} is its first admin)"
    if kind == "AccountAdded":
        linked = f" as {data['person']}" if data.get("person") else ""
        return f"{who} added the account {data['name']}{linked}"
    if kind == "AccountRevoked":
        return f"{who} revoked the account {data['name']}"
    if kind == "AdminGranted":
        return f"{who} made {data['name']} an admin of the ledger"
    if kind == "AdminRevoked":
        return f"{who} revoked {data['name']}'s admin role"
    if kind == "Muted":
        return f"{who} muted mail to {person}"
    if kind == "Unmuted":
        return f"{who} unmuted mail to {person}"
    if kind.startswith(("Series", "Occurrence")):
        return series_sentence(kind, who, slug, data)
    if kind == "PersonErased":
        count = len(data.get("key_ids") or ())
        return f"{who} erased a person's personal data ({count} key{'s' if count != 1 else ''})" + _reason(data)
    if kind == "Migrated":
        return (
            f"{who} started this ledger from a ledger of {data['from_events']} events"
            f" whose head was {data['from_digest']} ({data['change']})"
        )
    if kind == "NotesEdited":
        section = str(data["section"])
        where = "the general notes" if section == "general" else f"the notes of topic {section.removeprefix('topic-')}"
        merged = f", merged from revision {data['base_revision']}" if data.get("merged") else ""
        return f"{who} edited {where} of {slug} (revision {data['revision']}{merged})"
    return f"{who} recorded {kind} on {slug}"


def _reason(data: dict[str, Any]) -> str:
    return f": {data['reason']}" if data.get("reason") else ""


def _attendance(data: dict[str, Any]) -> str:
    text = MODE_WORDS.get(str(data["mode"]), str(data["mode"]))
    if data.get("waitlisted"):
        text += ", waitlisted"
    if data.get("remark"):
        text += f"; remark: {data['remark']}"
    return text


def _when(data: dict[str, Any]) -> str:
    return format_when(str(data["start"]), str(data["end"]), str(data["timezone"]))


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


def series_sentence(kind: str, who: str, slug: str, data: dict[str, Any]) -> str:
    """What a series' own events say: its rule and the exceptions of single dates."""
    if kind == "SeriesScheduled":
        end = f"until {data['until']}" if data["until"] else (f"{data['count']} times" if data["count"] else "no end")
        split = f", continuing {data['split_from']}" if data["split_from"] else ""
        return f'{who} created series {slug} "{data["title"]}" every {data["every"]} from {_when(data)}, {end}{split}'
    if kind == "SeriesEdited":
        return f"{who} edited series {slug}: " + ", ".join(_change(k, v) for k, v in data["changes"].items())
    if kind == "SeriesEnded":
        return f"{who} ended series {slug} after {data['until']}"
    if kind == "SeriesSplit":
        return f"{who} split series {slug} at {data['day']}: from then on it is {data['into']}"
    if kind == "SeriesOrganizerAdded":
        return f"{who} made {data['account']} an organizer of series {slug}"
    if kind == "SeriesOrganizerRemoved":
        return f"{who} removed {data['account']} from the organizers of series {slug}"
    if kind == "OccurrenceCancelled":
        return f"{who} cancelled {slug}/{data['day']}" + _reason(data)
    if kind == "OccurrenceMoved":
        return f"{who} moved {slug}/{data['day']} to {_when({**data, 'timezone': ''}).strip()}"
    if kind == "OccurrenceChanged":
        return f"{who} changed {slug}/{data['day']}: " + ", ".join(_change(k, v) for k, v in data["changes"].items())
    return f"{who} recorded {kind} on {slug}"
