"""Independent iCalendar readers for the calendar tests: ical.js, libical, `ical`, vobject and icalendar.

Each reader returns, per VEVENT, the UID and the UTC start and end it understood. A missing tool fails
the test in CI (CI=true, where .ci/install.d/calendar-tools.sh installs it) and skips it locally.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
ICALJS = TESTS / "js" / "node_modules" / "ical.js" / "package.json"
SYSTEM_PYTHON = "/usr/bin/python3"
VDIRSYNCER = REPO / ".venv-vdirsyncer" / "bin" / "vdirsyncer"


def missing(reason: str) -> None:
    """Fail loudly in CI, where every tool must be installed; skip with the reason elsewhere."""
    message = f"{reason} (run .ci/install.d/calendar-tools.sh)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def require_icaljs() -> None:
    if not shutil.which("node") or not ICALJS.exists():
        missing("ical.js is not installed in tests/js/node_modules")


def require_libical() -> None:
    probe = (
        subprocess.run(
            [
                SYSTEM_PYTHON,
                "-c",
                "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib",
            ],
            capture_output=True,
        )
        if Path(SYSTEM_PYTHON).exists()
        else None
    )
    if probe is None or probe.returncode != 0:
        missing("libical GObject bindings (gir1.2-ical-3.0, python3-gi) are not installed")


def require_vdirsyncer() -> str:
    found = str(VDIRSYNCER) if VDIRSYNCER.exists() else shutil.which("vdirsyncer")
    if not found:
        missing("vdirsyncer is not installed")
    return str(found)


@dataclass(frozen=True)
class Seen:
    """What one parser understood of one event."""

    uid: str
    start: datetime
    end: datetime


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def as_utc(value: Any) -> datetime:
    assert isinstance(value, datetime) and value.tzinfo is not None, f"floating or date-only time: {value!r}"
    return value.astimezone(UTC)


def icaljs(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(TESTS / "js" / "read-ics.mjs"), str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def read_icaljs(path: Path) -> list[Seen]:
    return [Seen(e["uid"], utc(e["start"]), utc(e["end"])) for e in icaljs(path)["events"]]


def libical(path: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(TESTS / "libical_read.py"), str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def read_libical(path: Path) -> list[Seen]:
    return [Seen(e["uid"], utc(e["start"]), utc(e["end"])) for e in libical(path)["events"]]


def read_icalendar(path: Path) -> list[Seen]:
    import icalendar

    cal = icalendar.Calendar.from_ical(path.read_bytes())
    for component in cal.walk():
        assert not component.errors, component.errors
    return [Seen(str(e["UID"]), as_utc(e.start), as_utc(e.end)) for e in cal.walk("VEVENT")]


def read_ical(path: Path) -> list[Seen]:
    from ical.calendar_stream import IcsCalendarStream

    cal = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    return [Seen(str(e.uid), as_utc(e.dtstart), as_utc(e.dtend)) for e in cal.events]


def read_vobject(path: Path) -> list[Seen]:
    import vobject

    cal = vobject.readOne(path.read_text(encoding="utf-8"), validate=True)
    return [
        Seen(str(e.uid.value), as_utc(e.dtstart.value), as_utc(e.dtend.value)) for e in getattr(cal, "vevent_list", [])
    ]


READERS = {
    "ical.js": read_icaljs,
    "libical": read_libical,
    "icalendar": read_icalendar,
    "ical": read_ical,
    "vobject": read_vobject,
}


def check_framing(data: bytes) -> None:
    """RFC 5545 3.1 byte for byte: CRLF only, lines of at most 75 octets, whole UTF-8 characters."""
    assert data.endswith(b"\r\n")
    assert b"\r" not in data.replace(b"\r\n", b""), "bare CR"
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, f"line of {len(line)} octets: {line!r}"
        line.decode("utf-8")  # raises when a fold split a character
        assert line, "empty line"
