"""The notifier beside the server (`meetings serve --notify`): unsubscribe links and the Atom feed of changes."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.conftest import Cli
from tests.smtp_support import Mailbox, smtp_server, text_of
from tests.test_feed_server import Server, start_server
from tests.web_support import Browser

ANN, BEN = "ann@example.org", "ben@example.org"

# The server is its own process; the commands that prepare and check the ledger around its requests run in this one.
pytestmark = pytest.mark.in_process


@pytest.fixture
def mail_env() -> Iterator[tuple[Mailbox, dict[str, str]]]:
    with smtp_server() as (box, url):
        yield (
            box,
            {
                "MEETINGS_SMTP_URL": url,
                "MEETINGS_MAIL_FROM": "meetings@example.org",
                "MEETINGS_BASE_URL": "http://meetings.example.org",
                "MEETINGS_NOTIFY_RETRY_SECONDS": "0.1",
            },
        )


@pytest.fixture
def served(cli: Cli, tmp_path: Path, mail_env: tuple[Mailbox, dict[str, str]]) -> Iterator[Server]:
    _, env = mail_env
    cli.ok("notify", "run", "--once", env=env)  # the notifier starts from here
    cli.ok(
        "new",
        "standup",
        "--title",
        "Standup",
        "--start",
        "2099-05-01T10:00",
        "--end",
        "2099-05-01T10:15",
        "--tz",
        "UTC",
    )
    cli.ok("signup", "standup", "Ann", "--email", ANN)
    cli.ok("signup", "standup", "Ben", "--email", BEN)
    cli.ok("signup", "standup", "Cy")
    running = start_server(cli, tmp_path / "server.log", "--notify", env=env)
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=30)


def wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def unsubscribe_path(message: Any) -> str:
    line = next(line for line in text_of(message).splitlines() if "/unsubscribe/" in line)
    return urllib.parse.urlsplit(line.split()[-1]).path


def test_serve_notify_mails_and_the_unsubscribe_link_mutes_by_a_confirmed_post(
    cli: Cli, served: Server, mail_env: tuple[Mailbox, dict[str, str]]
) -> None:
    box, env = mail_env
    cli.ok("reschedule", "standup", "--start", "2099-05-02T10:00", "--end", "2099-05-02T10:15")
    wait_for(lambda: len(box.to(ANN)) == 1 and len(box.to(BEN)) == 1, "the reschedule mails")
    path = unsubscribe_path(box.to(BEN)[0])
    browser = Browser(served)
    assert browser.request(path[:-3] + "xyz").status == 404  # a forged signature
    page = browser.request(path)
    assert page.status == 200 and b"Send me no more mail" in page.body
    assert browser.request(path, data={}).status in (400, 403)  # no CSRF token: refused, nothing recorded
    assert "muted" not in cli.ok("audit").out
    done = browser.request(path, data={"csrf_token": browser.csrf(path)})
    assert done.status == 200 and b"no more mail" in done.body
    assert "unsubscribe-link (for Ben) muted mail to Ben" in cli.ok("audit").out
    cli.ok("cancel", "standup", "--reason", "holiday")
    wait_for(lambda: len(box.to(ANN)) == 2, "the cancellation mail")
    assert len(box.to(BEN)) == 1  # muted
    audit = cli.ok("audit", "standup").out
    assert "not notified: muted: Ben" in audit and "not notified: no email: Cy" in audit
    status = cli.ok("notify", "status", "--json", env=env).json()
    assert status["queue"] == {"pending": 0, "sent": 3, "skipped": 3}


def test_the_changes_feed_is_atom_with_stable_ids_newest_first(cli: Cli, served: Server) -> None:
    cli.ok("reschedule", "standup", "--start", "2099-05-02T10:00", "--end", "2099-05-02T10:15")
    cli.ok("edit", "standup", "--location", "Room 7")
    cli.ok("edit", "standup", "--title", "Daily standup")  # not a change attendees are told of
    cli.ok("cancel", "standup", "--reason", "holiday")
    browser = Browser(served)
    reply = browser.request("/meetings/standup/changes.atom")
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(reply.body)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert titles == [
        "Cancelled: Daily standup",
        "New place: Standup",
        "Moved: Standup",
        "Scheduled: Standup",
    ]
    assert "holiday" in parsed.entries[0].summary
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == 4 and all(i.startswith("urn:uuid:") for i in ids)
    updated = [e.updated_parsed for e in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    cli.ok("reinstate", "standup")
    again = feedparser.parse(browser.request("/meetings/standup/changes.atom").body)
    assert [e.id for e in again.entries][1:] == ids  # the same ids, the new change on top
    assert again.entries[0].title == "On again: Daily standup"
    assert browser.request("/meetings/nosuch/changes.atom").status == 404
    assert browser.request("/series/standup/changes.atom").status == 404  # no occurrences standup/DATE


def test_a_series_feed_merges_its_occurrences_changes_newest_first() -> None:
    from exports.notifier import atom

    def change(mid: str, slug: str, version: int, at: str, kind: str) -> dict[str, Any]:
        m = {"slug": slug, "title": "Weekly", "start": "2099-05-01T10:00:00+00:00", "end": "2099-05-01T11:00:00+00:00"}
        m |= {"timezone": "UTC", "location": "", "video_url": ""}
        page = f"http://h/meetings/{slug}"
        return {
            "kinds": [kind],
            "version": version,
            "at": at,
            "actor": "alice",
            "meeting": m,
            "meeting_id": mid,
            "page": page,
        }

    one, two = "a" * 32, "b" * 32
    body = atom.render(
        atom.series_feed_id("weekly"),
        "Changes to Weekly",
        "http://h/series/weekly",
        [
            change(one, "weekly/2099-05-01", 1, "2026-01-01T10:00:00+00:00", "scheduled"),
            change(two, "weekly/2099-05-08", 1, "2026-01-01T10:00:01+00:00", "scheduled"),
            change(one, "weekly/2099-05-01", 3, "2026-01-02T09:00:00+00:00", "cancelled"),
        ],
    )
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Cancelled: Weekly", "Scheduled: Weekly", "Scheduled: Weekly"]
    assert [e.link for e in parsed.entries] == [
        "http://h/meetings/weekly/2099-05-01",
        "http://h/meetings/weekly/2099-05-08",
        "http://h/meetings/weekly/2099-05-01",
    ]
    assert len({e.id for e in parsed.entries}) == 3
