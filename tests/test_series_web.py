"""A series on the web: its page lists the upcoming occurrences with their counts, each occurrence's page is a
meeting page with its forms, the API signs up for one occurrence only, and organizers get exception controls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_feed_server import Server
from tests.test_web_api import as_user
from tests.web_support import Browser, server_for

PROXY = ("--trust-proxy-header", "X-Forwarded-User")
DAY = "2099-01-13"  # the second Tuesday of the series

# The server is its own process; the commands that prepare and check the ledger around its requests run in this one.
pytestmark = pytest.mark.in_process


@pytest.fixture
def web(sqlite_cli: Cli, tmp_path: Path) -> Iterator[Server]:
    sqlite_cli.ok(
        *("series", "new", "wg", "--title", "Working group", "--tz", "Europe/Berlin", "--every", "week"),
        *("--start", "2099-01-06T17:00", "--end", "2099-01-06T18:00", "--count", "30", "--capacity", "5"),
    )
    yield from server_for(sqlite_cli, tmp_path, *PROXY)


def test_signing_up_for_one_occurrence_from_the_cli_the_web_and_the_api_shows_in_it_only(
    web: Server, sqlite_cli: Cli
) -> None:
    sqlite_cli.ok("signup", f"wg/{DAY}", "Cli Person")
    zoe = as_user(web, "Zoe Quinn")
    page = f"/meetings/wg/{DAY}"
    reply = zoe.request(f"{page}/signup", data={"csrf_token": zoe.csrf(page), "mode": "in-person"})
    assert reply.status == 303 and reply.headers["location"].endswith(f"{page}#attendees")
    ada = as_user(web, "Ada Lovelace")
    api = ada.request(f"/api{page}/signup", body={"mode": "remote"}, headers={"X-CSRFToken": ada.csrf(page)})
    assert api.status == 201, api.body
    assert api.json()["state"]["slug"] == f"wg/{DAY}"
    shown = sqlite_cli.ok("attendees", f"wg/{DAY}", "--json").json()
    assert [a["name"] for a in shown["attendees"]] == ["Cli Person", "Zoe Quinn", "Ada Lovelace"]
    for other in ("2099-01-06", "2099-01-20"):
        assert sqlite_cli.ok("attendees", f"wg/{other}", "--json").json()["counts"]["total"] == 0
    body = zoe.request(page).body.decode()
    assert "Cli Person" in body and "Zoe Quinn" in body and "One occurrence of" in body
    assert "/meetings/wg.ics" in body  # subscribed with its series
    assert as_user(web, "Zoe Quinn").request(f"/api{page}/attendees").json()["counts"]["total"] == 3
    series_page = Browser(web).request("/meetings/wg").body.decode()
    counts = re.findall(r"(\d+) signed up", series_page)
    assert counts[:3] == ["0", "3", "0"]


def test_the_series_page_gives_organizers_the_exception_controls(web: Server, sqlite_cli: Cli) -> None:
    from ledger.people import login_name

    visitor = as_user(web, "Zoe Quinn").request("/meetings/wg").body.decode()
    assert "Upcoming occurrences" in visitor and "Cancel one occurrence" not in visitor
    organizer = as_user(web, login_name())
    page = organizer.request("/meetings/wg").body.decode()
    assert "Cancel one occurrence" in page and "Move one occurrence" in page
    token = organizer.csrf("/meetings/wg")
    cancelled = organizer.request(
        "/meetings/wg/occurrence-cancel", data={"csrf_token": token, "day": DAY, "reason": "holiday"}
    )
    assert cancelled.status == 303
    moved = organizer.request(
        "/meetings/wg/occurrence-move",
        data={"csrf_token": token, "day": "2099-01-20", "start": "2099-01-21T09:00", "end": "2099-01-21T10:00"},
    )
    assert moved.status == 303
    shown = sqlite_cli.ok("series", "show", "wg", "--json", "--limit", "3").json()["occurrences"]
    assert [o["status"] for o in shown] == ["scheduled", "cancelled", "scheduled"]
    assert shown[2]["start"] == "2099-01-21T09:00:00+01:00"
    # Without the form's token nothing is written; a participant may not change the series.
    before = sqlite_cli.db.event_count()
    assert organizer.request("/meetings/wg/occurrence-cancel", data={"day": "2099-01-27"}).status == 403
    zoe = as_user(web, "Zoe Quinn")
    refused = zoe.request(
        "/api/meetings/wg/occurrence-cancel",
        body={"day": "2099-01-27"},
        headers={"X-CSRFToken": zoe.csrf("/meetings/wg/2099-01-27")},
    )
    assert refused.status == 403 and "organizer" in refused.json()["error"]
    assert sqlite_cli.db.event_count() == before
    occurrence = organizer.request("/meetings/wg/2099-01-27").body.decode()
    assert "Cancel this occurrence" in occurrence and "Reschedule" not in occurrence


def test_the_feed_index_lists_the_series_feed_and_serves_it(web: Server, sqlite_cli: Cli) -> None:
    sqlite_cli.ok("signup", f"wg/{DAY}", "Cli Person")
    browser = Browser(web)
    listed = browser.request("/feeds.json").json()
    urls = [item["url"] for item in listed]
    assert f"{web.base}/meetings/wg.ics" in urls and not any("/meetings/wg/" in u for u in urls)
    feed = browser.request("/meetings/wg.ics")
    assert feed.status == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.body.count(b"BEGIN:VEVENT") == 2 and b"RRULE:FREQ=WEEKLY;COUNT=30;BYDAY=TU" in feed.body
    again = browser.request("/meetings/wg.ics", headers={"If-None-Match": feed.headers["etag"]})
    assert again.status == 304
    assert b"RRULE:FREQ=WEEKLY" in browser.request("/calendar.ics").body
