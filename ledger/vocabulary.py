"""The words the product uses, said once: attendance modes and their labels, and how a time span reads.

Every edge (the CLI's choices, the wiki page, the audit's sentences, calendars) takes them from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ledger.errors import BadInputError

Mode = Literal["in-person", "remote", "undecided"]
MODES: tuple[Mode, ...] = ("in-person", "remote", "undecided")
# How the meeting page writes each mode: "1. Dawn Chen (In Person)".
MODE_LABELS: dict[str, str] = {"in-person": "In Person", "remote": "Remote", "undecided": "TBD"}
# How a sentence says it: "signed up for sig-node (in person)".
MODE_WORDS: dict[str, str] = {"in-person": "in person", "remote": "remote", "undecided": "undecided"}


# How much of the attendee list public feeds, pages and exports show (PRODUCT.md section 10).
# full: names, modes and remarks; names: names and modes; counts: only how many; hidden: nothing.
# Emails are never public, whatever the level.
AttendeeListLevel = Literal["full", "names", "counts", "hidden"]
ATTENDEE_LISTS: tuple[AttendeeListLevel, ...] = ("full", "names", "counts", "hidden")
DEFAULT_ATTENDEE_LIST: AttendeeListLevel = "names"


def check_attendee_list(level: str) -> str:
    if level not in ATTENDEE_LISTS:
        raise BadInputError(f"unknown attendee list {level!r}; use one of {', '.join(ATTENDEE_LISTS)}")
    return level


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise BadInputError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def format_when(start: str, end: str, zone: str) -> str:
    """'2016-11-07 13:00-16:00 America/Los_Angeles', with the end's date when it differs."""
    starts, ends = datetime.fromisoformat(start), datetime.fromisoformat(end)
    end_text = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    return f"{starts:%Y-%m-%d %H:%M}-{end_text} {zone}"


def sub_letter(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: sub-topic letters as the page writes them (4a, 4b)."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = "abcdefghijklmnopqrstuvwxyz"[rem] + label
    return label


# Past tenses a summary may start with that do not end in "-ed".
IRREGULAR_VERBS = frozenset({"withdrew", "sent", "made", "gave", "took", "set", "put", "wrote", "rebuilt", "kept"})


def sentence(summary: str) -> str:
    """A command's summary as a sentence: "Signed up Ann for m." A summary that starts with a slug or a
    name ("sig-node capacity is now 5") keeps its first word as typed: only a leading verb is capitalised."""
    first = summary.split(" ", 1)[0]
    verb = first.isascii() and first.isalpha() and first.islower()
    verb = verb and (first.endswith("ed") or first in IRREGULAR_VERBS)
    return (summary[:1].upper() + summary[1:] if verb else summary) + "."
