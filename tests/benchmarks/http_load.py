"""Requests per second against a loopback HTTP server: wrk when installed, else a Python client."""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time


def requests_per_second(
    port: int, path: str, headers: dict[str, str], expect: int, seconds: float, connections: int = 16
) -> tuple[float, str]:
    """Keep-alive GETs from `connections` clients for `seconds`; returns (requests/s, which tool)."""
    check(port, path, headers, expect)
    wrk = shutil.which("wrk")
    if wrk:
        argv = [wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        done = subprocess.run(
            [*argv, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60, check=True
        )
        if "Non-2xx or 3xx responses" in done.stdout:
            raise RuntimeError(f"errors under load: {done.stdout}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
        if not found:
            raise RuntimeError(f"cannot read wrk's output: {done.stdout}")
        return float(found.group(1)), "wrk"
    return python_load(port, path, headers, expect, seconds, connections), "python client"


def interleaved(
    ours: int, bare: int, path: str, headers: dict[str, str], expect: int, seconds: float, rounds: int = 2
) -> tuple[float, float, str]:
    """Median requests/s of our server and of the bare one, their runs interleaved so drift hits both alike."""
    rates: dict[int, list[float]] = {ours: [], bare: []}
    tool = ""
    for _ in range(rounds):
        for port in (ours, bare):
            rate, tool = requests_per_second(port, path, headers, expect, seconds)
            rates[port].append(rate)
    return statistics.median(rates[ours]), statistics.median(rates[bare]), tool


def check(port: int, path: str, headers: dict[str, str], expect: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != expect:
            raise RuntimeError(f"GET {path} answered {response.status}, expected {expect}")
    finally:
        connection.close()


def python_load(port: int, path: str, headers: dict[str, str], expect: int, seconds: float, connections: int) -> float:
    counts = [0] * connections
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < stop:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != expect:
                    failures.append(str(response.status))
                    return
                counts[slot] += 1
        finally:
            connection.close()

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError(f"unexpected answers under load: {failures[:3]}")
    return sum(counts) / (time.monotonic() - started)
