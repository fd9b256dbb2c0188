"""Several feed servers on one database all see what any CLI process writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.test_feed_server import start_server


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
