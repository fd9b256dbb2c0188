"""Running whole processes: wall time and the child's own peak memory (from wait4's rusage)."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """One finished process."""

    wall: float  # seconds
    peak_rss_kib: int
    code: int
    out: str
    err: str


# The `meetings` every bar runs: set by `use_installed` to a fresh, non-editable install.
_MEETINGS: list[str] | None = None


def meetings_command() -> list[str]:
    """The `meetings` executable under measurement: the fresh install, else the one beside this Python."""
    if _MEETINGS is not None:
        return list(_MEETINGS)
    found = shutil.which("meetings", path=str(Path(sys.executable).parent)) or shutil.which("meetings")
    return [found] if found else [sys.executable, "-m", "exports.cli"]


def install_package(venv: Path) -> Path:
    """`pip install .` of this checkout into VENV, as a user installs it: built as a wheel,
    copied and byte-compiled, not linked to the checkout. Returns its `meetings` executable.

    The venv and the dependencies in it are reused between runs; the package itself is
    reinstalled every time, so the figures are the checkout's as it is now.
    """
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=600)
        subprocess.run([*pip, str(REPO)], check=True, timeout=1800)
    else:
        subprocess.run([*pip, "--force-reinstall", "--no-deps", str(REPO)], check=True, timeout=1800)
    return venv / "bin" / "meetings"


def install_package_alone(venv: Path) -> Path:
    """`pip install --no-deps .` of this checkout into a new VENV, built as a wheel and byte-compiled as
    `install_package` does, whose dependencies are the ones installed beside this Python (a `.pth` line
    after the package is in). Returns its `meetings` executable.
    """
    import sysconfig

    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=600)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", str(REPO)], check=True, timeout=1800)
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    )
    # Plain path lines: the editable install of this checkout beside this Python (its own .pth) stays out.
    here = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(found.stdout.strip()) / "_dependencies_beside.pth").write_text("".join(f"{p}\n" for p in here))
    return venv / "bin" / "meetings"


def use_installed(executable: Path) -> None:
    global _MEETINGS
    _MEETINGS = [str(executable)]


def run(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 900, stdin: str | None = None) -> Run:
    """Run argv to completion; wall time from fork to exit, peak RSS of that child alone.

    A child's ru_maxrss counts the memory it shared with this (large) benchmark process
    between fork and exec, so where GNU time exists it runs the command and reports the
    peak of a process forked from time itself, which is small.
    """
    gnu_time = shutil.which("time", path="/usr/bin")
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(mode="r") as peak,
    ):
        command = [gnu_time, "-q", "-f", "%M", "-o", peak.name, *argv] if gnu_time else list(argv)
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=err,
            cwd=REPO,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        )
        if stdin is not None:
            assert process.stdin is not None
            process.stdin.write(stdin.encode())
            process.stdin.close()
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.001)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        out.seek(0)
        err.seek(0)
        measured = peak.read().strip().splitlines()
        peak_kib = int(measured[-1]) if gnu_time and measured and measured[-1].isdigit() else usage.ru_maxrss
        return Run(
            wall, peak_kib, process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")
        )


def checked(result: Run, what: str) -> Run:
    if result.code != 0:
        raise RuntimeError(f"{what} exited {result.code}: {result.err.strip()[-500:]}")
    return result


def medians(
    commands: dict[str, Callable[[int], Sequence[str]]], runs: int, env: dict[str, str], warmups: int = 1
) -> dict[str, float]:
    """Median wall seconds per command; runs interleave so drift hits each command alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(-warmups, runs):
        for name, argv in commands.items():
            result = checked(run(argv(index + warmups), env), name)
            if index >= 0:
                times[name].append(result.wall)
    return {name: statistics.median(values) for name, values in times.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start_serving(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """`meetings serve` on loopback, as a user runs it, once it listens."""
    server = subprocess.Popen(
        [*meetings_command(), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    wait_for_port(port)
    return server


def stop(servers: Sequence[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
