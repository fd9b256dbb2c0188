"""Every write command of the CLI as a verb the web can run: its fields, how to read them, which command it calls.

The forms and the JSON API share this table, so a field means the same in both and is checked once. A verb's
fields carry the CLI's option names (`--video-url` is `video_url` or `video-url`); form values arrive as
text and JSON values as JSON, and both are turned into the types the Ledger's commands take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.errors import BadInputError

MODES = ("in-person", "remote", "undecided")


@dataclass(frozen=True)
class Field:
    """One argument or option of a command: its name, how its value is read, and whether it must be given."""

    name: str
    kind: str = "text"  # text | lines | int | seats | mode | bool | fold
    required: bool = False
    default: Any = None


@dataclass(frozen=True)
class Verb:
    """A write command: its fields, the Ledger call, and which part of the meeting it changes."""

    name: str
    fields: tuple[Field, ...]
    run: Callable[[Any, str, dict[str, Any]], Any]
    state: str  # meeting | attendees | agenda | notes | series: what the API answers with afterwards
    creates: bool = False  # 201 rather than 200
    person_field: str | None = None  # defaults to the signed-in account's person
    # The command as a Ledger step, for verbs many visitors send to one meeting at once (sign-ups):
    # such writes are committed together (`Ledger.run_together`), each still as its own account.
    step: Callable[[Any, str, dict[str, Any]], Any] | None = None

    def write(self, app: Any, slug: str, arguments: dict[str, Any]) -> Any:
        """Run the command as the account acting in this context; what it saved."""
        if self.step is not None:
            return app.run_together(slug, self.step(app, slug, arguments))
        return self.run(app, slug, arguments)

    def parse(self, data: Mapping[str, Any], person: str | None) -> dict[str, Any]:
        """The command's arguments from a form or a JSON object; unknown or malformed fields are refused."""
        known = {f.name: f for f in self.fields}
        given = {key.replace("-", "_"): value for key, value in data.items()}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise BadInputError(f"{self.name} takes no field {unknown[0]!r} (it takes: {', '.join(known) or 'none'})")
        values: dict[str, Any] = {}
        for field in self.fields:
            raw = given.get(field.name)
            value = None if raw is None or (raw == "" and field.kind != "lines") else convert(field, raw)
            if value is None and field.name == self.person_field:
                value = person
            if value is None and field.required:
                raise BadInputError(f"{self.name} needs {field.name!r}")
            values[field.name] = field.default if value is None else value
        return values


def convert(field: Field, raw: Any) -> Any:
    """One field's value in the type its command takes, from form text or a JSON value."""
    kind = field.kind
    if kind in ("text", "lines"):
        if not isinstance(raw, str):
            raise BadInputError(f"{field.name!r} must be text")
        # Browsers send a textarea's lines with CRLF; the ledger keeps LF, as the CLI reads files.
        return raw.replace("\r\n", "\n") if kind == "lines" else raw
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
            return raw.lower() in ("true", "on", "yes", "1")
        raise BadInputError(f"{field.name!r} must be true or false")
    if kind == "seats" and isinstance(raw, str) and raw.strip().lower() in ("none", "unlimited"):
        return "none"
    if kind in ("int", "seats"):
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise BadInputError(f"{field.name!r} must be a whole number")
        try:
            return int(raw)
        except ValueError:
            raise BadInputError(f"{field.name!r} must be a whole number, not {raw!r}") from None
    choices = MODES if kind == "mode" else ("first", "second")
    if raw not in choices:
        raise BadInputError(f"unknown {field.name} {raw!r}; use one of {', '.join(choices)}")
    return raw


def _seats(value: Any) -> int | None:
    return None if value == "none" else int(value)


TIME_FIELDS = (Field("start", required=True), Field("end", required=True), Field("tz"), Field("fold", "fold"))
DETAIL_FIELDS = (
    Field("location", default=""),
    Field("video_url", default=""),
    Field("description", "lines", default=""),
)

VERBS: dict[str, Verb] = {
    verb.name: verb
    for verb in (
        Verb(
            "new",
            (
                Field("title", required=True),
                *TIME_FIELDS[:2],
                Field("tz", required=True),
                *DETAIL_FIELDS,
                Field("capacity", "seats"),
                TIME_FIELDS[3],
            ),
            lambda app, slug, a: app.create_meeting(
                slug,
                a["title"],
                a["start"],
                a["end"],
                a["tz"],
                a["location"],
                a["video_url"],
                a["description"],
                _seats(a["capacity"]) if a["capacity"] is not None else None,
                a["fold"],
            ),
            "meeting",
            creates=True,
        ),
        Verb(
            "edit",
            (
                Field("title"),
                Field("location"),
                Field("video_url"),
                Field("description", "lines"),
                Field("publish_emails", "bool"),
                Field("attendee_list"),  # full | names | counts | hidden, checked by the Ledger
            ),
            lambda app, slug, a: app.edit_meeting(slug, **a),
            "meeting",
        ),
        Verb(
            "reschedule",
            TIME_FIELDS,
            lambda app, slug, a: app.reschedule(slug, a["start"], a["end"], a["tz"], a["fold"]),
            "meeting",
        ),
        Verb("cancel", (Field("reason", default=""),), lambda app, slug, a: app.cancel(slug, a["reason"]), "meeting"),
        Verb("reinstate", (), lambda app, slug, a: app.reinstate(slug), "meeting"),
        Verb(
            "capacity",
            (Field("seats", "seats", required=True),),
            lambda app, slug, a: app.change_capacity(slug, _seats(a["seats"])),
            "attendees",
        ),
        Verb(
            "signup",
            (Field("name"), Field("mode", "mode", default="in-person"), Field("email"), Field("remark", default="")),
            lambda app, slug, a: app.sign_up(slug, a["name"], a["mode"], a["email"], a["remark"]),
            "attendees",
            creates=True,
            person_field="name",
            step=lambda app, slug, a: app.sign_up_step(slug, a["name"], a["mode"], a["email"], a["remark"]),
        ),
        Verb(
            "withdraw",
            (Field("name"), Field("reason", default="")),
            lambda app, slug, a: app.withdraw(slug, a["name"], a["reason"]),
            "attendees",
            person_field="name",
            step=lambda app, slug, a: app.withdraw_step(slug, a["name"], a["reason"]),
        ),
        Verb(
            "change",
            (Field("name"), Field("mode", "mode"), Field("remark")),
            lambda app, slug, a: app.change_attendance(slug, a["name"], a["mode"], a["remark"]),
            "attendees",
            person_field="name",
        ),
        Verb(
            "topic-propose",
            (Field("title", required=True), Field("by"), Field("under", "int")),
            lambda app, slug, a: app.propose_topic(slug, a["title"], a["by"], a["under"]),
            "agenda",
            creates=True,
            person_field="by",
        ),
        Verb(
            "topic-retitle",
            (Field("topic", "int", required=True), Field("title", required=True)),
            lambda app, slug, a: app.retitle_topic(slug, a["topic"], a["title"]),
            "agenda",
        ),
        Verb(
            "topic-move",
            (Field("topic", "int", required=True), Field("position", "int", required=True)),
            lambda app, slug, a: app.move_topic(slug, a["topic"], a["position"]),
            "agenda",
        ),
        Verb(
            "topic-withdraw",
            (Field("topic", "int", required=True), Field("reason", default="")),
            lambda app, slug, a: app.withdraw_topic(slug, a["topic"], a["reason"]),
            "agenda",
        ),
        Verb(
            "notes-edit",
            (Field("topic", "int"), Field("text", "lines", required=True), Field("base", "int")),
            lambda app, slug, a: app.edit_notes(slug, a["topic"], a["text"], a["base"]),
            "notes",
        ),
        # A series' exceptions: posted to the series (`/meetings/SERIES/occurrence-cancel`), naming the date.
        Verb(
            "occurrence-cancel",
            (Field("day", required=True), Field("reason", default="")),
            lambda app, slug, a: app.cancel_occurrence(slug, a["day"], a["reason"]),
            "series",
        ),
        Verb(
            "occurrence-move",
            (Field("day", required=True), *TIME_FIELDS),
            lambda app, slug, a: app.move_occurrence(slug, a["day"], a["start"], a["end"], a["tz"], a["fold"]),
            "series",
        ),
        Verb(
            "occurrence-change",
            (Field("day", required=True), Field("location"), Field("video_url")),
            lambda app, slug, a: app.change_occurrence(slug, a["day"], a["location"], a["video_url"]),
            "series",
        ),
        Verb(
            "notes-restore",
            (Field("topic", "int"), Field("revision", "int", required=True)),
            lambda app, slug, a: app.restore_notes(slug, a["topic"], a["revision"]),
            "notes",
        ),
    )
}
