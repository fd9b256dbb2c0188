"""`meetings serve`: the real server in its own process, spoken to over HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.calendar_tools import require_vdirsyncer
from tests.conftest import meetings_executable


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A running `meetings serve` and a tiny HTTP client for it."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, path: str, method: str = "GET", **headers: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()


ANNOUNCEMENT = re.compile(rb"Serving calendar feeds on http://127\.0\.0\.1:(\d+)/ \(Ctrl-C to stop\)")


def start_server(cli: Any, log_path: Path, *options: str, env: dict[str, str] | None = None) -> Server:
    """Start `meetings serve --port 0` and take the port it announces; the announcement comes only once it listens."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        [*meetings_executable(), "serve", "--port", "0", *options],
        env={**cli.env, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()  # the child keeps its own descriptor
    for _ in range(600):
        if process.poll() is not None:
            pytest.fail(f"meetings serve exited: {log_path.read_text()}")
        found = ANNOUNCEMENT.search(log_path.read_bytes())
        if found:
            port = int(found.group(1))
            assert port != 0
            socket.create_connection(("127.0.0.1", port), timeout=5).close()  # already listening: no retry
            return Server(port, process)
        time.sleep(0.05)
    pytest.fail("meetings serve did not announce its URL")


# The server is always its own process. The tests marked `in_process` prepare and change the ledger with the
# command run in the test's process (for the server that is still a write by another process); the tests of
# a write by a separate `meetings` process, and of concurrent writers, start a process per command.


@pytest.fixture
def server(cli: Any, tmp_path: Path) -> Iterator[Server]:
    cli.ok(
        "new",
        "kickoff",
        "--title",
        "Kick-off",
        "--start",
        "2099-05-01T10:00",
        "--end",
        "2099-05-01T11:00",
        "--tz",
        "Europe/Berlin",
        "--video-url",
        "https://example.org/room",
    )
    running = start_server(cli, tmp_path / "server.log")
    yield running
    running.process.terminate()
    running.process.wait(timeout=30)
    assert_no_personal_path((tmp_path / "server.log").read_text())


def assert_no_personal_path(log: str) -> None:
    """Every personal feed path in the server's log is redacted (the token is a bearer secret)."""
    leaks = [line for line in log.splitlines() if re.search(r"/people/(?!\[redacted\])", line)]
    assert not leaks, leaks[:3]


@pytest.mark.in_process
def test_feed_is_served_with_validators_and_answers_conditional_requests(server: Server) -> None:
    first = server.request("/calendar.ics")
    assert first.status == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert parsedate_to_datetime(last_modified).tzinfo is not None
    [event] = icalendar.Calendar.from_ical(first.body).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Kick-off"

    unchanged = server.request("/calendar.ics", If_None_Match=etag)
    assert unchanged.status == 304 and unchanged.body == b"" and unchanged.headers["etag"] == etag
    assert server.request("/calendar.ics", If_None_Match=f'"other", W/{etag}').status == 304
    assert server.request("/calendar.ics", If_Modified_Since=last_modified).status == 304
    assert server.request("/calendar.ics", If_Modified_Since="yesterday-ish").status == 200
    assert server.request("/calendar.ics", If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT").status == 200
    # If-None-Match decides when both are sent.
    assert server.request("/calendar.ics", If_None_Match='"stale"', If_Modified_Since=last_modified).status == 200
    assert server.request("/calendar.ics", If_None_Match=etag, If_Modified_Since="garbage").status == 304

    head = server.request("/calendar.ics", "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["etag"] == etag and head.headers["content-length"] == str(len(first.body))
    assert server.request("/calendar.ics", "POST").status == 405
    assert server.request("/calendar.ics", "DELETE").headers.get("allow") == "GET, HEAD"

    one = server.request("/meetings/kickoff.ics")
    assert one.status == 200 and b"SUMMARY:Kick-off" in one.body
    for path in (
        "/meetings/nope.ics",
        "/meetings/Bad%20Slug.ics",
        "/meetings/UPPER.ics",
        "/people/not-a-token.ics",
        "/calendar",
        "/etc/passwd",
        "/meetings/.ics",
    ):
        assert server.request(path).status == 404, path


def test_a_write_by_another_process_shows_on_the_next_request(server: Server, cli: Any) -> None:
    before = server.request("/meetings/kickoff.ics")
    assert server.request("/meetings/kickoff.ics").headers["etag"] == before.headers["etag"]
    cli.ok("signup", "kickoff", "Dawn Chen")
    after = server.request("/meetings/kickoff.ics", If_None_Match=before.headers["etag"])
    assert after.status == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert b"Dawn Chen" in after.body
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(
        before.headers["last-modified"]
    )
    cli.ok("cancel", "kickoff")
    assert b"STATUS:CANCELLED" in server.request("/calendar.ics").body


@pytest.mark.in_process
def test_personal_feed_needs_a_live_token(server: Server, cli: Any) -> None:
    cli.ok(
        "new", "other", "--title", "Other", "--start", "2099-06-01T10:00", "--end", "2099-06-01T11:00", "--tz", "UTC"
    )
    cli.ok("signup", "kickoff", "Dawn Chen", "--email", "dawn@example.org")
    url = cli.ok("feed-token", "issue", "Dawn Chen", "--base-url", server.base).out.strip()
    assert url.startswith(f"{server.base}/people/") and url.endswith(".ics")
    path = url.removeprefix(server.base)
    token = path.removeprefix("/people/").removesuffix(".ics")
    assert len(token) >= 40

    mine = server.request(path)
    assert mine.status == 200 and b"Kick-off" in mine.body and b"SUMMARY:Other" not in mine.body
    assert b"dawn@example.org" not in mine.body
    assert server.request(path, If_None_Match=mine.headers["etag"]).status == 304
    assert server.request(f"/people/{token[:-1]}x.ics").status == 404

    cli.ok("feed-token", "revoke", "dawn@example.org")
    assert server.request(path).status == 404
    again = cli("feed-token", "revoke", "Dawn Chen")
    assert again.code == 1 and again.err.startswith("Error:")
    new_url = cli.ok("feed-token", "issue", "Dawn Chen", "--base-url", server.base).out.strip()
    assert new_url != url and server.request(new_url.removeprefix(server.base)).status == 200
    assert cli("feed-token", "issue", "Nobody").code == 1
    # Only hashes are stored.
    assert token not in dump_database(cli)


def dump_database(cli: Any) -> str:
    if cli.db.backend == "sqlite":
        import sqlite3

        with sqlite3.connect(cli.db.url) as conn:
            return "\n".join(conn.iterdump())
    import psycopg

    with psycopg.connect(cli.db.url) as conn:
        return repr(conn.execute("SELECT * FROM feed_tokens").fetchall())


@pytest.mark.in_process
def test_index_lists_feeds_with_subscribe_links(server: Server) -> None:
    listing = json.loads(server.request("/feeds.json").body)
    urls = {item["url"]: item for item in listing}
    meeting = urls[f"{server.base}/meetings/kickoff.ics"]
    assert meeting["webcal"] == f"webcal://127.0.0.1:{server.port}/meetings/kickoff.ics"
    assert meeting["google"].startswith("https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2F")
    assert f"{server.base}/calendar.ics" in urls
    page = server.request("/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b"webcal://" in page.body and b"people/" not in page.body.split(b"<p>")[0]


@pytest.mark.in_process
def test_vdirsyncer_subscribes_and_sees_a_reschedule(server: Server, cli: Any, tmp_path: Path) -> None:
    vdirsyncer = require_vdirsyncer()
    local = tmp_path / "calendar"
    local.mkdir()
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(f"""
[general]
status_path = "{tmp_path / "status"}"

[pair meetings]
a = "local"
b = "served"
collections = null
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".ics"

[storage served]
type = "http"
url = "{server.base}/meetings/kickoff.ics"
""")

    def sync() -> datetime:
        for step in ("discover", "sync"):
            proc = subprocess.run(
                [vdirsyncer, "-c", str(config), step], capture_output=True, text=True, input="y\n" * 5, timeout=120
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
        [item] = list(local.glob("*.ics"))
        [event] = icalendar.Calendar.from_ical(item.read_bytes()).walk("VEVENT")
        return event.start.astimezone(UTC)  # type: ignore[no-any-return]

    assert sync() == datetime(2099, 5, 1, 8, tzinfo=UTC)
    cli.ok("reschedule", "kickoff", "--start", "2099-05-02T15:30", "--end", "2099-05-02T16:30")
    assert sync() == datetime(2099, 5, 2, 13, 30, tzinfo=UTC)


# ----- staleness and concurrent writes ---------------------------------------------------------

# Seconds within which a write must be served. The server looks every 0.05 s; the rest is room for a
# catch-up that waits for SQLite's write lock behind 10 writers, on a machine the 40 readers keep busy.
FRESHNESS = 5.0


def served_within(server: Server, path: str, wanted: bytes, seconds: float = FRESHNESS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reply = server.request(path)
        assert reply.status == 200, reply.status
        if wanted in reply.body.replace(b"\r\n ", b""):  # unfolded: a name may straddle a folded line
            return True
        time.sleep(0.05)
    return False


@pytest.mark.in_process
def test_a_failed_catch_up_is_retried_and_the_last_good_answer_served_meanwhile(
    sqlite_cli: Any, tmp_path: Path
) -> None:
    import sqlite3

    from exports.server import app as server_app

    sqlite_cli.ok(
        "new", "kickoff", "--title", "K", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00", "--tz", "UTC"
    )
    running = start_server(sqlite_cli, tmp_path / "server.log", env={"MEETINGS_SQLITE_LOCK_TIMEOUT": "1"})
    try:
        before = running.request("/calendar.ics")
        sqlite_cli.ok("cancel", "kickoff")
        time.sleep(server_app.CHECK_INTERVAL * 2)  # the next request asks the ledger, which it does at most this often
        # Another connection holds the write lock: the server's catch-up times out after 1 s.
        blocker = sqlite3.connect(sqlite_cli.db.url, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            during = running.request("/calendar.ics")
            assert during.status == 200 and during.headers["etag"] == before.headers["etag"]
            assert b"STATUS:CANCELLED" not in during.body
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert served_within(running, "/calendar.ics", b"STATUS:CANCELLED")
    finally:
        running.process.terminate()
        running.process.wait(timeout=30)
    assert "cannot catch up with the ledger" in (tmp_path / "server.log").read_text()


def test_a_slow_render_that_finishes_after_a_write_is_not_kept(ledger: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from exports.calendar import feeds
    from exports.server import app as server_app
    from projections.store import ReadStore

    ledger.create_meeting("kickoff", "Kick-off", "2099-05-01T10:00", "2099-05-01T11:00", "UTC")
    app = server_app.FeedApp(ReadStore(ledger))
    render = feeds.all_meetings_feed
    entered, release = threading.Event(), threading.Event()

    def slow_once(*args: Any) -> Any:
        feed = render(*args)
        if not entered.is_set():
            entered.set()
            release.wait(30)
        return feed

    monkeypatch.setattr(feeds, "all_meetings_feed", slow_once)

    def get_feed() -> bytes:
        replies: list[bytes] = []
        body = app({"PATH_INFO": "/calendar.ics", "REQUEST_METHOD": "GET"}, lambda *a: None)
        replies.extend(body)
        return b"".join(replies)

    slow = threading.Thread(target=get_feed)
    slow.start()
    assert entered.wait(30)
    ledger.cancel("kickoff")
    time.sleep(server_app.CHECK_INTERVAL * 2)
    assert b"STATUS:CANCELLED" in get_feed()
    release.set()
    slow.join(30)
    assert b"STATUS:CANCELLED" in get_feed()  # the slow, stale render was not stored over the fresh one


# The 30 s run keeps both cores busy the whole time: it runs with the load tests (CI's `-m load` step, after
# the suite), and the default run holds the same contest for 5 s.
@pytest.mark.slow
@pytest.mark.parametrize("seconds", [pytest.param(5.0, id="5s"), pytest.param(30.0, id="30s", marks=pytest.mark.load)])
def test_concurrent_readers_and_writers_get_no_failed_reads_and_every_write_is_served(
    server: Server, cli: Any, seconds: float
) -> None:
    """40 readers and 10 writers at once for `seconds`: no read fails and every write is served within 5 s."""
    import threading

    failures: list[str] = []
    stale: list[str] = []
    reads = {"n": 0}
    written: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def reader(number: int) -> None:
        path = ("/calendar.ics", "/meetings/kickoff.ics", "/feeds.json")[number % 3]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while not stop.is_set():
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                with lock:
                    reads["n"] += 1
                    if response.status != 200:
                        failures.append(f"{path}: {response.status}")
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures.append(f"{path}: {error!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.close()

    def writer(number: int) -> None:
        i = 0
        while not stop.is_set():
            name = f"Writer {number} Visit {i}"
            i += 1
            if cli("signup", "kickoff", name, "--mode", "remote").code != 0:
                continue  # a write may lose a race (the CLI says so); only reads must never fail
            with lock:
                written.append(name)
            if not served_within(server, "/meetings/kickoff.ics", name.encode()):
                with lock:
                    stale.append(name)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(40)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    print(f"\n{reads['n']} reads, {len(written)} writes in {seconds:g} s on {cli.db.backend}")
    assert reads["n"] > 0 and written
    assert not failures, failures[:10]
    assert not stale, stale[:10]
