"""PRODUCT.md section 8's web bars: the meeting page beside a bare app serving its bytes, and sign-ups at once.

9a/9b: an anonymous `GET /meetings/SLUG` of a page with 200 attendees, 50 topics and notes, for 200 and 304
answers, against `bare_server` on the same waitress stack. 9c/9d: browser sessions (signed in with one-time links,
cookies and CSRF tokens, as a browser holds them) signing up at once over loopback HTTP for the seats; the median
round trip beside a lone sign-up's.
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from typing import Any

from tests.benchmarks import bare_server, bars, pages, processes
from tests.benchmarks.table import Row, compare, skipped

CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
LONE_RUNS = 5


def bar_page(ctx: Any) -> list[Row]:
    size = ctx.size
    db = ctx.work / "web-page.sqlite"
    env = ctx.env(db)
    page = ctx.work / "web-page.md"
    page.write_text(pages.big_page(size.web_attendees, size.web_topics, size.web_topics), encoding="utf-8")
    processes.checked(processes.run([*processes.meetings_command(), "import", "markdown", str(page)], env), "import")
    listed = processes.run([*processes.meetings_command(), "--json", "list"], env)
    slug = json.loads(processes.checked(listed, "list").out)[0]["slug"]
    path = f"/meetings/{slug}"
    ours_port, bare_port = processes.free_port(), processes.free_port()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        servers.append(processes.start_serving(env, ours_port))
        body, headers = bars.fetch(ours_port, path)
        last = f"Attendee{size.web_attendees} Lastname{size.web_attendees}".encode()
        if last not in body or f"Topic number {size.web_topics} on".encode() not in body:
            raise RuntimeError(f"the page lacks attendee {size.web_attendees} or topic {size.web_topics}")
        if bars.fetch(ours_port, path)[0] != body:
            raise RuntimeError("the page changed between two requests with no write")
        body_file = ctx.work / "page.html"
        body_file.write_bytes(body)
        servers.append(bare_server.start(bare_port, body_file, headers, env))
        processes.wait_for_port(bare_port)
        if bars.fetch(bare_port, path)[0] != body:
            raise RuntimeError("the bare app does not answer the page's bytes")
        what = f"web page ({size.web_attendees} attendees, {size.web_topics} topics, notes)"
        rows = bars.serve_rows(ctx, (ours_port, bare_port), path, headers["etag"], ("9a", "9b"), what)
        for row in rows:
            row.note += f" (anonymous); page {len(body):,} bytes"
        return rows
    finally:
        processes.stop(servers)


# ----- sessions signing up at once -----------------------------------------------------------------


class Session:
    """A browser's session: its own keep-alive connection, its cookie and its page's CSRF token."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.cookie = ""
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        sent = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            morsel = next(iter(SimpleCookie(header).values()))
            self.cookie = f"{morsel.key}={morsel.value}"
        found = CSRF.search(data)
        if found:
            self.csrf = found.group(1).decode()
        return response.status, data

    def sign_in(self, link: str) -> None:
        token = link.rsplit("/", 1)[1]
        self.request("GET", f"/sign-in/{token}")
        form = urllib.parse.urlencode({"csrf_token": self.csrf, "token": token}).encode()
        status, _ = self.request("POST", "/sign-in", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise RuntimeError(f"sign-in answered {status}")
        self.request("GET", "/")  # the signed-in page: a CSRF token for this session

    def sign_up(self, slug: str) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = self.request(
            "POST",
            f"/api/meetings/{slug}/signup",
            b"{}",
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        return status, time.perf_counter() - started

    def read(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = self.request("GET", path)
        return status, time.perf_counter() - started


def at_once(sessions: list[Session], act: Any) -> tuple[list[tuple[int, float]], float]:
    """Each session's (status, seconds) when all act at the same moment, and the wall time for them all."""
    results: list[tuple[int, float]] = [(0, 0.0)] * len(sessions)
    start = threading.Barrier(len(sessions))

    def run(i: int) -> None:
        start.wait()
        results[i] = act(sessions[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return results, time.perf_counter() - began


def bar_web_signups(ctx: Any) -> list[Row]:
    size = ctx.size
    rows = [web_race(ctx, "9c", "SQLite", str(ctx.work / "web-race.sqlite"))]
    if not ctx.postgres:
        name = f"{size.web_racers} web sessions signing up at once, PostgreSQL"
        rows.append(skipped("9d", name, target(size), "set MEETINGS_TEST_POSTGRES or give --postgres URL"))
        return rows
    with bars.postgres_database(ctx.postgres) as url:
        rows.append(web_race(ctx, "9d", "PostgreSQL", url))
    return rows


def target(size: Any) -> str:
    return f"{size.web_seats} seated + {size.web_racers - size.web_seats} waitlisted, no error; ratio <= 3"


def accounts(db: str, count: int) -> list[str]:
    """`count` accounts, each with a one-time sign-in link; added in-process, as `meetings account add` would."""
    from ledger import storage

    app = storage.open_ledger(storage.resolve(db))
    try:
        app.authenticate()  # the CLI's own account, which created the ledger: its admin
        links = []
        for i in range(count):
            app.add_account(f"racer{i:03d}", person=f"Racer {i:03d}")
            links.append(f"/sign-in/{app.issue_sign_in_token(f'racer{i:03d}')}")
        return links
    finally:
        app.close()


def web_race(ctx: Any, bar: str, backend: str, db: str) -> Row:
    size = ctx.size
    env = ctx.env(db)
    for slug in ("race", "lone"):
        new = [*processes.meetings_command(), "new", slug, "--title", slug.title(), "--tz", "UTC"]
        when = ["--start", "2031-03-01T10:00", "--end", "2031-03-01T12:00", "--capacity", str(size.web_seats)]
        processes.checked(processes.run([*new, *when], env), "new")
    links = accounts(db, size.web_racers + LONE_RUNS)
    port = processes.free_port()
    server = processes.start_serving(env, port)
    try:
        sessions = [Session(port) for _ in links]
        for session, link in zip(sessions, links, strict=True):
            session.sign_in(link)
        lone = [sessions[size.web_racers + i].sign_up("lone") for i in range(LONE_RUNS)]
        racers = sessions[: size.web_racers]
        results, wall = at_once(racers, lambda session: session.sign_up("race"))
        # The server's floor for as many requests at once: the same sessions reading the attendees.
        reads, read_wall = at_once(racers, lambda session: session.read("/api/meetings/race/attendees"))
    finally:
        processes.stop([server])
    doc = json.loads(
        processes.checked(processes.run([*processes.meetings_command(), "--json", "attendees", "race"], env), "a").out
    )
    seated, waitlisted = doc["counts"]["seated"], doc["counts"]["waitlisted"]
    errors = [status for status, _ in results if status != 201] + [status for status, _ in lone if status != 201]
    median = statistics.median(seconds for _, seconds in results) * 1000
    read_median = statistics.median(seconds for _, seconds in reads) * 1000
    alone = statistics.median(seconds for _, seconds in lone) * 1000
    row = compare(
        bar,
        f"{size.web_racers} web sessions signing up at once, {backend}",
        median,
        "ms",
        alone,
        f"a lone sign-up, median of {LONE_RUNS}",
        3,
        at_most=True,
    )
    counted = seated == size.web_seats and waitlisted == size.web_racers - size.web_seats
    row.target = target(size)
    row.status = "PASS" if row.status == "PASS" and counted and not errors else "FAIL"
    row.note = (
        f"{seated} seated, {waitlisted} waitlisted, {len(errors)} answers other than 201"
        f"{' (' + ', '.join(map(str, sorted(set(errors)))) + ')' if errors else ''};"
        f" figure = median sign-up round trip under the race (all done in {wall:.1f}s), signed-in sessions"
        " with cookie and CSRF token over keep-alive loopback HTTP; the same sessions reading the attendees"
        f" at once: median {read_median:.0f} ms (all in {read_wall:.1f}s), the sign-ups' median is"
        f" {median / read_median:.2f}x that"
    )
    return row
