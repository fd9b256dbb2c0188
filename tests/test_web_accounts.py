"""Sign-in, sessions and tokens through the accounts interface the Ledger offers, in-process (Flask's test client)
on a real ledger whose accounts are stood in for by a small table here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import people, storage
from ledger.errors import RuleError


class PermissionDeniedError(RuleError):
    """As the Ledger raises it: the message names the role needed."""


@dataclass(frozen=True)
class Account:
    name: str
    email: str | None
    person: str
    revoked: bool = False
    admin: bool = False


class WithAccounts:
    """A real Ledger with accounts, one-time links, tokens and roles, as the accounts issue describes them."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.accounts = {"olga": Account("olga", None, "Olga Organizer"), "zoe": Account("zoe", None, "Zoe Quinn")}
        self.links = {"link-zoe": "zoe", "link-olga": "olga"}
        self.tokens = {"token-olga": "olga", "token-zoe": "zoe"}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def account(self, name: str) -> Account | None:
        return self.accounts.get(name)

    def account_for_token(self, token: str) -> Account | None:
        return self.accounts.get(self.tokens.get(token, ""))

    def redeem_sign_in_token(self, token: str) -> Account | None:
        return self.accounts.get(self.links.pop(token, ""))

    def roles(self, slug: str, name: str) -> frozenset[str]:
        return frozenset({"participant", "organizer"} if name == "olga" else {"participant"})

    @contextlib.contextmanager
    def acting(self, name: str, for_person: str | None = None) -> Iterator[None]:
        token = people.principal_var.set(name)
        try:
            yield
        finally:
            people.principal_var.reset(token)

    def change_capacity(self, slug: str, capacity: int | None) -> Any:
        if "organizer" not in self.roles(slug, people.principal_var.get()):
            raise PermissionDeniedError("changing the capacity needs the organizer role")
        return self.ledger.change_capacity(slug, capacity)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, WithAccounts]]:
    from exports.web import create_app
    from projections.store import ReadStore

    people.actor_var.set("alice")
    app = storage.open_ledger(storage.resolve(str(tmp_path / "ledger.sqlite")))
    app.create_meeting("room", "Room", "2099-03-01T10:00", "2099-03-01T12:00", "UTC", capacity=2)
    ledger = WithAccounts(app)
    web = create_app(ledger, ReadStore(app), base_url="https://meetings.example.org")
    yield web, ledger
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


def test_a_sign_in_link_starts_a_session_once_and_sign_out_ends_it(site: tuple[Any, WithAccounts]) -> None:
    web, _ = site
    client = web.test_client()
    reply = sign_in(client, "link-zoe")
    assert reply.status_code == 303
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert b"Signed in as <strong>zoe</strong>" in client.get("/").data
    other = web.test_client()
    assert sign_in(other, "link-zoe").status_code == 403  # single use
    token = csrf(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert b"Not signed in" in client.get("/").data


def test_a_revoked_account_is_signed_out_and_its_token_gets_401(site: tuple[Any, WithAccounts]) -> None:
    web, ledger = site
    client = web.test_client()
    sign_in(client, "link-zoe")
    ledger.accounts["zoe"] = Account("zoe", None, "Zoe Quinn", revoked=True)
    assert b"Not signed in" in client.get("/meetings/room").data
    reply = web.test_client().get("/api/meetings/room", headers={"Authorization": "Bearer token-zoe"})
    assert reply.status_code == 401 and "token" in reply.get_json()["error"]


def test_a_participant_is_refused_an_organizer_action_and_sees_no_organizer_controls(
    site: tuple[Any, WithAccounts],
) -> None:
    web, ledger = site
    api = web.test_client()
    zoe = {"Authorization": "Bearer token-zoe"}
    assert api.post("/api/meetings/room/signup", json={}, headers=zoe).status_code == 201
    refused = api.post("/api/meetings/room/capacity", json={"seats": 5}, headers=zoe)
    assert refused.status_code == 403 and "organizer" in refused.get_json()["error"]
    olga = {"Authorization": "Bearer token-olga"}
    assert api.post("/api/meetings/room/capacity", json={"seats": 5}, headers=olga).status_code == 200
    browser = web.test_client()
    sign_in(browser, "link-zoe")
    assert b"Organizer controls" not in browser.get("/meetings/room").data
    page = browser.post("/meetings/room/capacity", data={"csrf_token": csrf(browser, "/meetings/room"), "seats": "1"})
    assert page.status_code == 303
    assert b"Not saved: changing the capacity needs the organizer role" in browser.get("/meetings/room").data
    assert ledger.get_meeting("room").roster.capacity == 5


def test_emails_are_shown_to_organizers_only(site: tuple[Any, WithAccounts]) -> None:
    web, ledger = site
    ledger.sign_up("room", "Dawn Chen", "in-person", "dawn@example.org", "")
    api = web.test_client()
    public = api.get("/api/meetings/room/attendees")
    assert b"dawn@example.org" not in public.data and public.get_json()["attendees"][0]["email"] is None
    assert (
        b"dawn@example.org"
        not in api.get("/api/meetings/room/attendees", headers={"Authorization": "Bearer token-zoe"}).data
    )
    assert (
        b"dawn@example.org"
        in api.get("/api/meetings/room/attendees", headers={"Authorization": "Bearer token-olga"}).data
    )
    assert b"dawn@example.org" not in api.get("/meetings/room", headers={"Authorization": "Bearer token-olga"}).data
