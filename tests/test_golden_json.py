"""Golden files: every `--json` output of the seed meeting, byte for byte, on both backends.

The seed meeting is recreated by the commands of its script run through the real CLI in this
process, then changed by one notes edit per section, an organizer's withdrawal with a reason
and a change of mode; each of the last two promotes someone from the waitlist. The outputs are
compared with `tests/golden/` exactly (key order, indentation, unicode escaping), after
`normalize` has replaced only the values that differ from run to run (see PLACEHOLDERS); the
audit's JSON and CSV, which hold every name and line end, as the bytes a real process writes.

To regenerate after a deliberate change of a `--json` shape: `MEETINGS_WRITE_GOLDEN=1 pytest
tests/test_golden_json.py -k sqlite`, then review the diff of `tests/golden/`.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli, meetings_executable
from tests.test_cli_core import SLUG

GOLDEN = Path(__file__).resolve().parent / "golden"
SEED_SCRIPT = REPO / "tests" / "fixtures" / "sig-node-f2f-2016.sh"

pytestmark = pytest.mark.in_process

# (pattern, replacement), applied in order. Only run-to-run values are replaced:
PLACEHOLDERS: list[tuple[re.Pattern[str], str]] = [
    # when an event was recorded (UTC, isoformat; microseconds are omitted when zero). The
    # meeting's own start and end carry the meeting's offset (-08:00) and are compared as is.
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?\+00:00"), "<TIME>"),
    # the calendar UID, a random UUID chosen when the meeting is created
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<UUID>"),
    # the storage principal: the OS login on SQLite, the session user on PostgreSQL (JSON)
    (re.compile(r'"principal": "[^"]*"'), '"principal": "<PRINCIPAL>"'),
    # ... and the fourth CSV column (position,time,actor,principal,...; no field before it has a comma)
    (re.compile(r"^(\d+,<TIME>,[^,\r\n]*,)[^,\r\n]*,", re.MULTILINE), r"\1<PRINCIPAL>,"),
    # ... and the account named in audit sentences when it acted for someone: "root (for alice) withdrew"
    (re.compile(r"[\w.-]+(?= \(for )"), "<PRINCIPAL>"),
]

OUTPUTS: dict[str, tuple[str, ...]] = {
    "show.json": ("show", SLUG, "--json"),
    "attendees.json": ("attendees", SLUG, "--json"),
    "agenda.json": ("agenda", SLUG, "--json"),
    "notes-show-general.json": ("notes", "show", SLUG, "--json"),
    "notes-show-topic-2.json": ("notes", "show", SLUG, "--topic", "2", "--json"),
    "notes-history-general.json": ("notes", "history", SLUG, "--json"),
    "notes-history-topic-2.json": ("notes", "history", SLUG, "--topic", "2", "--json"),
    "audit.json": ("audit", "--format", "json"),
    "audit.csv": ("audit", "--format", "csv"),
}
# Compared as the bytes a shell reads from a real `meetings` (every name in UTF-8, the CSV's CRLF line ends).
THROUGH_A_PROCESS = ("audit.json", "audit.csv")


def normalize(text: str) -> str:
    for pattern, replacement in PLACEHOLDERS:
        text = pattern.sub(replacement, text)
    return text


def raw_output(cli: Cli, *args: str) -> bytes:
    """Stdout exactly as written: `Cli` reads text, which would turn the CSV's CRLF into LF."""
    proc = subprocess.run([*meetings_executable(), *args], env=cli.env, capture_output=True, timeout=120)
    assert proc.returncode == 0, f"meetings {' '.join(args)} exited {proc.returncode}: {proc.stderr!r}"
    return proc.stdout


def seed_script_commands(folder: Path) -> list[list[str]]:
    """The arguments of each `meetings` command the seed script runs, in order: bash runs the script itself
    with a stand-in for `meetings` that writes down its arguments."""
    stand_in = folder / "meetings-stand-in"
    stand_in.write_text('#!/bin/sh\nprintf "%s\\0" "$@" >> "$0.args"\nprintf "\\n" >> "$0.args"\n')
    stand_in.chmod(0o755)
    done = subprocess.run(["bash", str(SEED_SCRIPT), str(stand_in)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    recorded = Path(f"{stand_in}.args").read_bytes().decode("utf-8")
    return [command.split("\0") for command in recorded.split("\0\n") if command]


def build_story(cli: Cli, folder: Path) -> None:
    commands = seed_script_commands(folder)
    assert len(commands) == 31 and commands[0][:2] == ["new", SLUG]
    for command in commands:
        cli.ok(*command)
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"):
        cli.ok("signup", SLUG, name, actor="dave")  # the last two wait
    cli.ok(
        "notes", "edit", SLUG, "--file", "-", input="# Notes\n\nCRI first — then nodespec (Jędrzej).\n", actor="carol"
    )
    cli.ok("notes", "edit", SLUG, "--topic", "2", "--file", "-", input="Brandon: CRI “v1” by 1.6\n", actor="bob")
    cli.ok("withdraw", SLUG, "Brandon Philips", "--reason", "needs the room")  # alice, the organizer; promotes
    cli.ok("change", SLUG, "Dawn Chen", "--mode", "remote", actor="bob")  # frees a seat; promotes


def test_json_outputs_match_the_golden_files(cli: Cli, tmp_path: Path) -> None:
    build_story(cli, tmp_path)
    write = os.environ.get("MEETINGS_WRITE_GOLDEN") == "1"
    mismatches: list[str] = []
    for name, args in OUTPUTS.items():
        written = raw_output(cli, *args).decode("utf-8") if name in THROUGH_A_PROCESS else cli.ok(*args).out
        actual = normalize(written)
        path = GOLDEN / name
        if write:
            path.write_bytes(actual.encode("utf-8"))
            continue
        expected = path.read_bytes().decode("utf-8")
        if actual != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True), f"golden/{name}", "actual"
            )
            mismatches.append("".join(diff))
    assert not mismatches, "\n".join(mismatches)


def test_placeholders_replace_only_run_to_run_values() -> None:
    line = (
        '{"position": 3, "time": "2026-12-01T20:35:47.729493+00:00", "principal": "root", '
        '"start": "2016-11-07T13:00:00-08:00", "calendar_uid": "ec96c586-2668-4869-81de-0837a01b0b67"}\n'
        "3,2026-12-01T20:35:47+00:00,alice,postgres,sig-node-f2f-2016,Dawn Chen,withdrew,{},a, b\n"
    )
    assert normalize(line) == (
        '{"position": 3, "time": "<TIME>", "principal": "<PRINCIPAL>", '
        '"start": "2016-11-07T13:00:00-08:00", "calendar_uid": "<UUID>"}\n'
        "3,<TIME>,alice,<PRINCIPAL>,sig-node-f2f-2016,Dawn Chen,withdrew,{},a, b\n"
    )
