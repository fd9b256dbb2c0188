"""The web over plain HTTP: security headers, CSRF, the JSON API's verbs and refusals, and 100 sessions at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_feed_server import Server
from tests.web_support import SLUG, Browser, seeded, server_for

PROXY = ("--trust-proxy-header", "X-Forwarded-User")

# The server is its own process; the commands that prepare and check the ledger around its requests run in this one.
pytestmark = pytest.mark.in_process


@pytest.fixture
def web(sqlite_cli: Cli, tmp_path: Path) -> Iterator[Server]:
    seeded(sqlite_cli)
    yield from server_for(sqlite_cli, tmp_path, *PROXY)


def as_user(server: Server, name: str) -> Browser:
    """A browser session whose account the trusted proxy header names."""
    browser = Browser(server)
    original = browser.request

    def request(path: str, **kwargs: object) -> object:
        headers = {"X-Forwarded-User": name, **(kwargs.pop("headers", None) or {})}  # type: ignore[dict-item]
        return original(path, headers=headers, **kwargs)  # type: ignore[arg-type]

    browser.request = request  # type: ignore[method-assign]
    return browser


def test_every_answer_carries_the_security_headers(web: Server) -> None:
    browser = Browser(web)
    for path in ("/", f"/meetings/{SLUG}", f"/meetings/{SLUG}/history", "/api/meetings", "/meetings/nothing-here"):
        reply = browser.request(path)
        assert reply.status in (200, 404), path
        csp = reply.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"
    page = browser.request(f"/meetings/{SLUG}").body
    assert b"<script>" not in page and b" style=" not in page and b"onclick" not in page


def test_a_form_or_api_post_without_its_csrf_token_is_refused_and_writes_nothing(web: Server, sqlite_cli: Cli) -> None:
    before = sqlite_cli.db.event_count()
    dawn = as_user(web, "Zoe Quinn")
    dawn.request(f"/meetings/{SLUG}")  # a session cookie, as a browser would have
    form = dawn.request(f"/meetings/{SLUG}/signup", data={"mode": "remote"})
    assert form.status == 403 and b"CSRF" in form.body
    api = dawn.request(f"/api/meetings/{SLUG}/signup", body={"mode": "remote"})
    assert api.status == 403 and "CSRF" in api.json()["error"]
    assert sqlite_cli.db.event_count() == before
    token = dawn.csrf(f"/meetings/{SLUG}")
    ok = dawn.request(f"/api/meetings/{SLUG}/signup", body={"mode": "remote"}, headers={"X-CSRFToken": token})
    assert ok.status == 201, ok.body
    assert sqlite_cli.db.event_count() == before + 1


def test_writes_need_an_account(web: Server) -> None:
    anonymous = Browser(web)
    reply = anonymous.request(f"/api/meetings/{SLUG}/signup", body={"name": "Dawn Chen"})
    assert reply.status == 401 and reply.json() == {"error": reply.json()["error"]} and reply.json()["error"]
    bad = anonymous.request("/api/meetings", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status == 401 and "token" in bad.json()["error"]


def test_public_reads_have_the_cli_json_shapes(web: Server, sqlite_cli: Cli) -> None:
    anonymous = Browser(web)
    pairs = {
        "/api/meetings": ("list",),
        f"/api/meetings/{SLUG}": ("show", SLUG),
        f"/api/meetings/{SLUG}/attendees": ("attendees", SLUG),
        f"/api/meetings/{SLUG}/agenda": ("agenda", SLUG),
        f"/api/meetings/{SLUG}/notes?topic=1": ("notes", "show", SLUG, "--topic", "1"),
    }
    for path, command in pairs.items():
        reply = anonymous.request(path)
        assert reply.status == 200, path
        expected = sqlite_cli.ok("--json", *command).out
        if command[0] in ("show", "attendees"):  # the same shape, at the published level
            assert json.loads(reply.body) == names_level(json.loads(expected)), path
            continue
        # The seed holds no email, so the public answer is the CLI's byte for byte.
        assert reply.body.decode() == expected, path
    assert anonymous.request("/api/meetings/no-such-meeting").status == 404
    assert anonymous.request(f"/api/meetings/{SLUG}/audit").json()[0]["action"] == "created"


def post(browser: Browser, verb: str, body: object, slug: str = SLUG) -> tuple[int, dict[str, object]]:
    token = browser.csrf(f"/meetings/{SLUG}")
    reply = browser.request(f"/api/meetings/{slug}/{verb}", body=body, headers={"X-CSRFToken": token})
    return reply.status, reply.json()


def test_every_write_verb_over_the_api(web: Server, sqlite_cli: Cli) -> None:
    ada = as_user(web, "Ada Lovelace")
    status, new = post(
        ada,
        "new",
        {"title": "Kick-off", "start": "2099-05-01T10:00", "end": "2099-05-01T11:00", "tz": "Europe/Berlin"},
        slug="kickoff",
    )
    assert status == 201 and new["state"]["slug"] == "kickoff"  # type: ignore[index]
    steps: list[tuple[str, object, int]] = [
        ("signup", {"name": "Dawn Chen", "mode": "in-person", "remark": "early"}, 201),
        ("signup", {}, 201),  # the account's own person: Ada Lovelace
        ("change", {"name": "Dawn Chen", "mode": "remote"}, 200),
        ("capacity", {"seats": 1}, 200),
        ("capacity", {"seats": "none"}, 200),
        ("withdraw", {"name": "Dawn Chen", "reason": "ill"}, 200),
        ("topic-propose", {"title": "Roadmap"}, 201),
        ("topic-propose", {"title": "Q3", "under": 1, "by": "Dawn"}, 201),
        ("topic-retitle", {"topic": 1, "title": "The roadmap"}, 200),
        ("topic-propose", {"title": "Hiring"}, 201),
        ("topic-move", {"topic": 3, "position": 1}, 200),
        ("topic-withdraw", {"topic": 3, "reason": "later"}, 200),
        ("notes-edit", {"text": "first\n"}, 200),
        ("notes-edit", {"topic": 1, "text": "roadmap notes\n", "base": 0}, 200),
        ("notes-restore", {"revision": 0}, 200),
        ("edit", {"location": "Room 2", "video-url": "https://example.org/v"}, 200),
        ("reschedule", {"start": "2099-05-02T10:00", "end": "2099-05-02T11:00"}, 200),
        ("cancel", {"reason": "snow"}, 200),
        ("reinstate", {}, 200),
    ]
    for verb, body, expected in steps:
        status, answer = post(ada, verb, body, slug="kickoff")
        assert status == expected, (verb, answer)
        assert answer["summary"] and "state" in answer
    attendees = json.loads(as_user(web, "Ada Lovelace").request("/api/meetings/kickoff/attendees").body)
    assert [a["name"] for a in attendees["attendees"]] == ["Ada Lovelace"]
    agenda = sqlite_cli.ok("--json", "agenda", "kickoff").json()
    assert [(t["number"], t["title"]) for t in agenda] == [("1", "The roadmap")]
    shown = sqlite_cli.ok("--json", "show", "kickoff").json()
    assert shown["location"] == "Room 2" and shown["start"].startswith("2099-05-02T10:00") and not shown["cancelled"]
    audit = sqlite_cli.ok("audit", "kickoff", "--format", "json").json()
    assert {e["principal"] for e in audit} == {"Ada Lovelace"}


def test_refusals_answer_with_the_cli_message_and_code(web: Server, sqlite_cli: Cli) -> None:
    from ledger.people import login_name

    ada = as_user(web, login_name())  # the CLI's own account, which created the ledger: an organizer
    cases = [
        ("signup", {"name": "Dawn Chen"}, SLUG, 409, "already signed up"),
        ("signup", {"name": "Zed", "mode": "sometimes"}, SLUG, 400, "mode"),
        ("signup", {"name": "Zed", "colour": "red"}, SLUG, 400, "colour"),
        ("capacity", {"seats": "many"}, SLUG, 400, "whole number"),
        ("withdraw", {"name": "Nobody Here"}, SLUG, 404, "Nobody Here"),
        ("signup", {"name": "Zed"}, "no-such-meeting", 404, "no meeting"),
        ("frobnicate", {}, SLUG, 404, ""),
    ]
    before = sqlite_cli.db.event_count()
    for verb, body, slug, code, words in cases:
        status, answer = post(ada, verb, body, slug=slug)
        assert status == code, (verb, answer)
        assert words in str(answer["error"]), answer
    cli = sqlite_cli("signup", SLUG, "Dawn Chen")
    assert cli.code == 1
    _, answer = post(ada, "signup", {"name": "Dawn Chen"})
    assert cli.err.strip() == f"Error: {answer['error']}"
    assert sqlite_cli.db.event_count() == before


def test_a_form_post_redirects_and_the_page_says_what_happened(web: Server) -> None:
    zoe = as_user(web, "Zoe Quinn")
    token = zoe.csrf(f"/meetings/{SLUG}")
    reply = zoe.request(f"/meetings/{SLUG}/signup", data={"csrf_token": token, "mode": "in-person", "remark": "hi"})
    assert reply.status == 303 and reply.headers["location"].endswith(f"/meetings/{SLUG}#attendees")
    page = zoe.request(f"/meetings/{SLUG}").body.decode()
    assert "Signed up Zoe Quinn for sig-node-f2f-2016" in page and "You are number 24" in page
    again = zoe.request(f"/meetings/{SLUG}/signup", data={"csrf_token": token, "mode": "in-person"})
    assert again.status == 303
    assert "Not saved:" in zoe.request(f"/meetings/{SLUG}").body.decode()


def test_stale_notes_edits_merge_or_show_the_conflict_with_both_texts(web: Server, sqlite_cli: Cli) -> None:
    sqlite_cli.ok("notes", "edit", SLUG, "--file", "-", input="alpha\nbeta\ngamma\n")
    base = sqlite_cli.ok("--json", "notes", "show", SLUG).json()["revision"]
    ada, bob = as_user(web, "Ada Lovelace"), as_user(web, "Bob Dylan")
    ta, tb = ada.csrf(f"/meetings/{SLUG}"), bob.csrf(f"/meetings/{SLUG}")
    edit = {"topic": "", "base": str(base)}
    assert (
        ada.request(
            f"/meetings/{SLUG}/notes-edit", data={**edit, "csrf_token": ta, "text": "ALPHA\r\nbeta\r\ngamma\r\n"}
        ).status
        == 303
    )
    merged = bob.request(
        f"/meetings/{SLUG}/notes-edit", data={**edit, "csrf_token": tb, "text": "alpha\nbeta\nGAMMA\n"}
    )
    assert merged.status == 303
    assert sqlite_cli.ok("--json", "notes", "show", SLUG).json()["text"] == "ALPHA\nbeta\nGAMMA\n"
    conflict = bob.request(
        f"/meetings/{SLUG}/notes-edit", data={**edit, "csrf_token": tb, "text": "Alpha!\nbeta\ngamma\n"}
    )
    assert conflict.status == 409
    page = conflict.body.decode()
    assert "Not saved: someone changed the same lines" in page
    assert "Alpha!" in page and "ALPHA" in page  # both texts kept
    assert sqlite_cli.ok("--json", "notes", "show", SLUG).json()["text"] == "ALPHA\nbeta\nGAMMA\n"


def sign_up_at_once(server: Server, count: int) -> list[int]:
    people = [as_user(server, f"Person {i:03d}") for i in range(count)]
    tokens = [person.csrf("/") for person in people]
    statuses: list[int] = [0] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        reply = people[i].request("/api/meetings/race/signup", body={}, headers={"X-CSRFToken": tokens[i]})
        statuses[i] = reply.status

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return statuses


@pytest.mark.slow
def test_a_hundred_sessions_signing_up_at_once_for_25_seats(cli: Cli, tmp_path: Path) -> None:
    cli.ok(
        "new",
        "race",
        "--title",
        "Race",
        "--start",
        "2099-01-01T10:00",
        "--end",
        "2099-01-01T11:00",
        "--tz",
        "UTC",
        "--capacity",
        "25",
    )
    for server in server_for(cli, tmp_path, *PROXY):
        statuses = sign_up_at_once(server, 100)
    assert statuses == [201] * 100
    attendees = cli.ok("--json", "attendees", "race").json()
    assert attendees["counts"]["seated"] == 25 and attendees["counts"]["waitlisted"] == 75
    assert attendees["counts"]["total"] == 100


def test_the_public_page_has_a_strong_etag_and_shows_a_cancellation_after_the_change(
    web: Server, sqlite_cli: Cli
) -> None:
    from exports.server import app as server_app

    anonymous = Browser(web)
    first = anonymous.request(f"/meetings/{SLUG}")
    etag = first.headers["etag"]
    assert first.status == 200 and etag.startswith('"') and not etag.startswith("W/")
    again = anonymous.request(f"/meetings/{SLUG}")  # from the render cache: the same bytes and headers
    assert again.body == first.body and again.headers["etag"] == etag
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    unchanged = anonymous.request(f"/meetings/{SLUG}", headers={"If-None-Match": etag})
    assert unchanged.status == 304 and unchanged.body == b"" and unchanged.headers["etag"] == etag
    sqlite_cli.ok("cancel", SLUG, "--reason", "snowed in")
    time.sleep(server_app.CHECK_INTERVAL * 2)
    changed = anonymous.request(f"/meetings/{SLUG}", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    assert b"This meeting is cancelled: snowed in" in changed.body
    signed_in = as_user(web, "Zoe Quinn").request(f"/meetings/{SLUG}")
    assert b"Signed in as <strong>Zoe Quinn</strong>" in signed_in.body and "etag" not in signed_in.headers


@pytest.fixture
def accounts(cli: Cli, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """The seed meeting with one sign-up that has an email, on either backend; olga organizes it, zoe takes
    part; each has a real API token from `meetings account token`. No proxy header is trusted."""
    seeded(cli)
    cli.ok("signup", SLUG, "Eve Mail", "--email", "eve@example.org", "--remark", "late")
    cli.ok("notes", "edit", SLUG, "--file", "-", input="General notes.\n")
    cli.ok("account", "add", "olga", "--person", "Olga Organizer")
    cli.ok("account", "add", "zoe", "--person", "Zoe Quinn")
    cli.ok("organizers", "add", SLUG, "olga")
    tokens = {name: cli.ok("account", "token", name).out.strip() for name in ("olga", "zoe")}
    for server in server_for(cli, tmp_path):
        yield server, tokens


READS = {
    f"/api/meetings/{SLUG}": ("--json", "show", SLUG),
    f"/api/meetings/{SLUG}/attendees": ("--json", "attendees", SLUG),
    f"/api/meetings/{SLUG}/agenda": ("--json", "agenda", SLUG),
    f"/api/meetings/{SLUG}/notes": ("--json", "notes", "show", SLUG),
    f"/api/meetings/{SLUG}/notes?topic=1": ("--json", "notes", "show", SLUG, "--topic", "1"),
    f"/api/meetings/{SLUG}/audit": ("audit", SLUG, "--format", "json"),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hidden(data: object) -> object:
    """The CLI's answer with every email hidden, as PRODUCT.md section 10 has it for anyone but organizers."""
    if isinstance(data, dict):
        return {k: (None if k == "email" else hidden(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [hidden(v) for v in data]
    return data


def names_level(data: dict[str, object]) -> dict[str, object]:
    """The CLI's `show` or `attendees` answer as the public reads it at the default level: names and
    modes, no remarks, no emails, no withdrawals, and the level it was published at."""
    public = hidden(data)
    assert isinstance(public, dict)
    if "attendees" in public:
        for group in ("seated", "waitlist", "remote", "undecided", "attendees"):
            public[group] = [{**entry, "remark": ""} for entry in public[group]]
        public["withdrawn"] = []
    return {**public, "attendee_list": "names"}


def test_an_organizers_token_reads_the_cli_json_byte_for_byte_and_others_see_no_email(
    accounts: tuple[Server, dict[str, str]], cli: Cli
) -> None:
    server, tokens = accounts
    organizer, participant, anonymous = Browser(server), Browser(server), Browser(server)
    for path, command in READS.items():
        expected = cli.ok(*command).out  # the CLI's account created the ledger: its admin
        reply = organizer.request(path, headers=bearer(tokens["olga"]))
        assert reply.status == 200, (path, reply.body[:300])
        if path.endswith("/audit"):  # the audit shows emails to admins only
            assert b"eve@example.org" not in reply.body
            assert json.loads(reply.body) == hidden(json.loads(expected)), path
        else:
            assert reply.body == expected.encode(), path
        for who, headers in (("zoe", bearer(tokens["zoe"])), ("anonymous", {})):
            other = (participant if who == "zoe" else anonymous).request(path, headers=headers)
            assert other.status == 200, (who, path)
            assert b"eve@example.org" not in other.body, (who, path)
            if path.endswith("/audit"):  # sign-ups without their remarks, at the default level
                eve = [e for e in other.json() if e["person"] == "Eve Mail"]
                assert len(other.json()) == len(json.loads(expected)), (who, path)
                assert eve and all(e["details"]["remark"] == "" and "late" not in e["sentence"] for e in eve)
            elif command[1] in ("show", "attendees"):
                assert other.json() == names_level(json.loads(expected)), (who, path)
            else:
                assert json.loads(other.body) == hidden(json.loads(expected)), (who, path)
    assert (
        b"eve@example.org" in organizer.request(f"/api/meetings/{SLUG}/attendees", headers=bearer(tokens["olga"])).body
    )


def test_a_revoked_token_and_a_revoked_account_get_401_over_http(
    accounts: tuple[Server, dict[str, str]], cli: Cli
) -> None:
    server, tokens = accounts
    client = Browser(server)
    path = f"/api/meetings/{SLUG}/attendees"
    assert client.request(path, headers=bearer(tokens["zoe"])).status == 200
    assert cli.ok("account", "token", "zoe", "--revoke").out.strip() == "Revoked the API token of zoe."
    revoked = client.request(path, headers=bearer(tokens["zoe"]))
    assert revoked.status == 401 and "token" in revoked.json()["error"]
    assert revoked.headers["www-authenticate"].startswith("Bearer")
    write = client.request(f"/api/meetings/{SLUG}/signup", body={}, headers=bearer(tokens["zoe"]))
    assert write.status == 401
    fresh = cli.ok("account", "token", "olga").out.strip()  # replaces olga's first token
    assert client.request(path, headers=bearer(tokens["olga"])).status == 401
    assert client.request(path, headers=bearer(fresh)).status == 200
    cli.ok("account", "revoke", "olga")
    assert client.request(path, headers=bearer(fresh)).status == 401
    before = cli.db.event_count()
    refused = client.request(f"/api/meetings/{SLUG}/capacity", body={"seats": 3}, headers=bearer(fresh))
    assert refused.status == 401 and cli.db.event_count() == before
