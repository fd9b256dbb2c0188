"""Sign-in, sessions and tokens through the Ledger's real accounts, in-process (Flask's test client):
an organizer (olga) and a participant (zoe), each with a one-time sign-in link and a personal API token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import storage


@dataclass
class Site:
    """The web app, its ledger, and each account's secrets as `meetings account link|token` print them."""

    web: Any
    ledger: Any
    links: dict[str, str]
    tokens: dict[str, str]

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    from exports.web import create_app
    from projections.store import ReadStore

    app = storage.open_ledger(storage.resolve(str(tmp_path / "ledger.sqlite")))
    app.authenticate("founder")  # the ledger's first account: its admin
    app.create_meeting("room", "Room", "2099-03-01T10:00", "2099-03-01T12:00", "UTC", capacity=2)
    app.add_account("olga", person="Olga Organizer")
    app.add_account("zoe", person="Zoe Quinn")
    app.add_organizer("room", "olga")
    links = {name: app.issue_sign_in_token(name) for name in ("olga", "zoe")}
    tokens = {name: app.issue_api_token(name) for name in ("olga", "zoe")}
    web = create_app(app, ReadStore(app), base_url="https://meetings.example.org")
    yield Site(web, app, links, tokens)
    app.close()


def csrf(client: Any, path: str) -> str:
    import re

    found = re.search(rb'name="csrf_token" value="([^"]+)"', client.get(path).data)
    assert found
    return found.group(1).decode()


def sign_in(client: Any, link: str) -> Any:
    page = client.get(f"/sign-in/{link}")
    assert page.status_code == 200 and b"Sign in" in page.data
    return client.post("/sign-in", data={"csrf_token": csrf(client, f"/sign-in/{link}"), "token": link})


def test_a_sign_in_link_starts_a_session_once_and_sign_out_ends_it(site: Site) -> None:
    web = site.web
    client = web.test_client()
    reply = sign_in(client, site.links["zoe"])
    assert reply.status_code == 303
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert b"Signed in as <strong>zoe</strong>" in client.get("/").data
    other = web.test_client()
    assert sign_in(other, site.links["zoe"]).status_code == 403  # single use
    token = csrf(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert b"Not signed in" in client.get("/").data


def test_a_revoked_account_is_signed_out_and_its_token_gets_401(site: Site) -> None:
    web = site.web
    client = web.test_client()
    sign_in(client, site.links["zoe"])
    zoe = site.bearer("zoe")
    assert web.test_client().get("/api/meetings/room", headers=zoe).status_code == 200
    site.ledger.revoke_account("zoe")
    assert b"Not signed in" in client.get("/meetings/room").data
    reply = web.test_client().get("/api/meetings/room", headers=zoe)
    assert reply.status_code == 401 and "token" in reply.get_json()["error"]


def test_a_participant_is_refused_an_organizer_action_and_sees_no_organizer_controls(site: Site) -> None:
    web, ledger = site.web, site.ledger
    api = web.test_client()
    zoe = site.bearer("zoe")
    assert api.post("/api/meetings/room/signup", json={}, headers=zoe).status_code == 201
    refused = api.post("/api/meetings/room/capacity", json={"seats": 5}, headers=zoe)
    assert refused.status_code == 403 and "organizer" in refused.get_json()["error"]
    olga = site.bearer("olga")
    assert api.post("/api/meetings/room/capacity", json={"seats": 5}, headers=olga).status_code == 200
    browser = web.test_client()
    sign_in(browser, site.links["zoe"])
    assert b"Organizer controls" not in browser.get("/meetings/room").data
    page = browser.post("/meetings/room/capacity", data={"csrf_token": csrf(browser, "/meetings/room"), "seats": "1"})
    assert page.status_code == 303
    assert b"Not saved: zoe may not change the capacity of room: that needs the organizer role" in (
        browser.get("/meetings/room").data
    )
    assert ledger.get_meeting("room").roster.capacity == 5


def test_emails_are_shown_to_organizers_only(site: Site) -> None:
    web, ledger = site.web, site.ledger
    ledger.sign_up("room", "Dawn Chen", "in-person", "dawn@example.org", "")
    api = web.test_client()
    public = api.get("/api/meetings/room/attendees")
    assert b"dawn@example.org" not in public.data and public.get_json()["attendees"][0]["email"] is None
    assert b"dawn@example.org" not in api.get("/api/meetings/room/attendees", headers=site.bearer("zoe")).data
    assert b"dawn@example.org" in api.get("/api/meetings/room/attendees", headers=site.bearer("olga")).data
    assert b"dawn@example.org" not in api.get("/meetings/room", headers=site.bearer("olga")).data
