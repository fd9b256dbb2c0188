"""Several feed servers on one database all see what any CLI process writes."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import meetings_executable
from tests.test_feed_server import Server, free_port


def start_server(cli: Any, log: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [*meetings_executable(), "serve", "--port", str(port)],
        env=cli.env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"meetings serve exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Server(port, process)
        except OSError:
            time.sleep(0.05)
    pytest.fail("meetings serve did not start listening")


def test_two_servers_show_a_write_made_by_a_third_process(cli: Any, tmp_path: Path) -> None:
    cli.ok(
        "new", "shared", "--title", "Shared", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00", "--tz", "UTC"
    )
    servers = [start_server(cli, tmp_path / f"server{i}.log") for i in range(2)]
    try:
        before = [s.request("/meetings/shared.ics") for s in servers]
        assert before[0].body == before[1].body, "both render the same bytes for the same ledger state"
        cli.ok("reschedule", "shared", "--start", "2099-05-02T10:00", "--end", "2099-05-02T11:00")
        for server, old in zip(servers, before, strict=True):
            after = server.request("/meetings/shared.ics", If_None_Match=old.headers["etag"])
            assert after.status == 200
            assert b"20990502T100000" in after.body, "the new start time is served"
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(timeout=30)
