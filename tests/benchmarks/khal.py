"""`khal new`, the peer CLI calendar the write bar compares with, in its own virtualenv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class KhalUnavailable(Exception):
    """khal could not be installed or configured; the bar is reported as SKIPPED with this reason."""


def ensure_khal(cache: Path) -> Path:
    """khal from PyPI in `cache/khal-venv` (created once, reused by later runs)."""
    venv = cache / "khal-venv"
    khal = venv / "bin" / "khal"
    if khal.exists():
        return khal
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "khal"], check=True, capture_output=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        raise KhalUnavailable(f"cannot install khal: {error} {detail.decode(errors='replace')[-300:]}") from None
    if not khal.exists():
        raise KhalUnavailable("pip installed khal but no khal executable appeared")
    return khal


def configure(home: Path) -> tuple[list[str], dict[str, str]]:
    """A temp config with one vdir calendar; returns the argv prefix and the environment."""
    calendar = home / "calendars" / "bench"
    calendar.mkdir(parents=True, exist_ok=True)
    config = home / "khal.conf"
    config.write_text(
        "[calendars]\n"
        "[[bench]]\n"
        f"path = {calendar}\n"
        "type = calendar\n"
        "[locale]\n"
        "timeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\n"
        "longdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\n"
        "longdatetimeformat = %Y-%m-%d %H:%M\n"
        "local_timezone = America/Los_Angeles\n"
        "default_timezone = America/Los_Angeles\n"
        "[default]\n"
        "default_calendar = bench\n",
        encoding="utf-8",
    )
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    return ["-c", str(config)], env


def new_event_argv(khal: Path, prefix: list[str], index: int) -> list[str]:
    return [
        str(khal),
        *prefix,
        "new",
        "-a",
        "bench",
        f"2031-01-{1 + index % 28:02d} 10:00",
        "11:00",
        f"Benchmark event {index}",
    ]
