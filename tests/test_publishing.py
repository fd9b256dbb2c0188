"""Publishing only what the organizer chose (PRODUCT.md section 10).

An organizer sets `meetings edit SLUG --attendee-list full|names|counts|hidden`; every public
output (the all-meetings and per-meeting feeds, the page, the JSON API and the history as a
visitor, `export markdown --public`) shows exactly that much of who comes; email addresses
never, neither given ones nor those written into a remark or the notes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_feed_server import Server
from tests.web_support import Browser, server_for

SLUG = "pub"
EMAILS = ("ann@example.org", "bob@example.org", "dan@example.org", "eve@example.org")
NAMES = ("Ann Alder", "Ben Bloom", "Cat Crane")
REMARKS = ("joins me", "after lunch")
# What each level shows: names (and modes), remarks (and withdrawals, notes in feeds), counts.
LEVELS = {
    "full": {"names": True, "remarks": True, "counts": True},
    "names": {"names": True, "remarks": False, "counts": True},
    "counts": {"names": False, "remarks": False, "counts": True},
    "hidden": {"names": False, "remarks": False, "counts": False},
}
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

# Rules about what each output shows: the commands run in this process; `meetings serve` stays a process.
pytestmark = pytest.mark.in_process


def unfolded(ics: str) -> str:
    return ics.replace("\r\n", "\n").replace("\n ", "").replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")


def build(cli: Cli) -> None:
    """Three attendees (one waitlisted), one withdrawn, remarks and notes that hold email addresses."""
    cli.ok(
        "new", SLUG, "--title", "Publishing", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00",
        "--tz", "Europe/Berlin", "--capacity", "1", "--description", "Questions: eve@example.org",
    )  # fmt: skip
    cli.ok(
        "signup", SLUG, "Ann Alder", "--email", "ann@example.org", "--remark", "Bob Smith (bob@example.org) joins me"
    )
    cli.ok("signup", SLUG, "Ben Bloom", "--mode", "remote", "--remark", "after lunch")
    cli.ok("signup", SLUG, "Cat Crane")  # waitlisted
    cli.ok("signup", SLUG, "Dan Dale", "--mode", "remote")
    cli.ok("withdraw", SLUG, "Dan Dale", "--reason", "moved away, write to dan@example.org")
    cli.ok("notes", "edit", SLUG, "--file", "-", input="Minutes: ask Eve <eve@example.org> for the slides.\n")


def check_level(level: str, text: str, where: str, *, counts_text: str, withdrawals: bool = True) -> None:
    """The output shows exactly what the level says, and never an email address."""
    shows = LEVELS[level]
    for email in EMAILS:
        assert email not in text, (where, email)
    assert not ANY_EMAIL.search(text), (where, ANY_EMAIL.search(text))
    for name in NAMES:
        assert (name in text) == shows["names"], (where, name)
    for remark in REMARKS:
        assert (remark in text) == shows["remarks"], (where, remark)
    if withdrawals:  # pages and answers list who withdrew (feeds list only who comes)
        assert ("Dan Dale" in text) == shows["remarks"], (where, "withdrawal")
    else:
        assert "Dan Dale" not in text, where
    assert (counts_text in text) == shows["counts"], (where, counts_text)


@pytest.fixture(params=list(LEVELS))
def built(request: pytest.FixtureRequest, cli: Cli) -> tuple[str, Cli]:
    """The ledger of `build` at one level."""
    build(cli)
    level = str(request.param)
    if level != "names":  # names is the default: nothing to record
        cli.ok("edit", SLUG, "--attendee-list", level)
    return level, cli


@pytest.fixture
def published(built: tuple[str, Cli], tmp_path: Path) -> Iterator[tuple[str, Server, Cli]]:
    """... and `meetings serve` on it."""
    level, cli = built
    for server in server_for(cli, tmp_path):
        yield level, server, cli


def test_each_level_public_feeds_show_exactly_what_it_says(published: tuple[str, Server, Cli]) -> None:
    level, server, cli = published
    visitor = Browser(server)
    for where, body in (
        ("export ics", cli.ok("export", "ics", SLUG).out),
        ("export feed", cli.ok("export", "feed").out),
        ("served meeting feed", visitor.request(f"/meetings/{SLUG}.ics").body.decode()),
        ("served all-meetings feed", visitor.request("/calendar.ics").body.decode()),
    ):
        text = unfolded(body)
        check_level(level, text, where, counts_text="Attendees: 3 signed up", withdrawals=False)
        assert "None" not in text and ("Attendees:" in text) == (level != "hidden"), where
        assert ("Minutes: ask Eve <[email hidden]>" in text) == (level == "full"), where  # notes only when full
        assert "Questions: [email hidden]" in text, where


def test_each_level_public_page_api_and_history_show_exactly_what_it_says(
    published: tuple[str, Server, Cli],
) -> None:
    level, server, _ = published
    visitor = Browser(server)
    page = visitor.request(f"/meetings/{SLUG}")
    assert page.status == 200
    check_level(level, page.body.decode(), "page", counts_text="1 in person")
    assert "Minutes: ask Eve &lt;[email hidden]&gt;" in page.body.decode()  # notes, their email masked
    attendees = visitor.request(f"/api/meetings/{SLUG}/attendees").json()
    assert attendees["attendee_list"] == level
    check_level(level, json.dumps(attendees), "API attendees", counts_text='"total": 3')
    shown = visitor.request(f"/api/meetings/{SLUG}").json()
    assert shown["attendee_list"] == level and "eve@example.org" not in json.dumps(shown)
    assert (shown["counts"]["total"] == 3) == LEVELS[level]["counts"]
    assert shown["counts"]["total"] is None or LEVELS[level]["counts"]
    notes = visitor.request(f"/api/meetings/{SLUG}/notes").json()
    assert notes["text"] == "Minutes: ask Eve <[email hidden]> for the slides.\n"
    for path in (f"/api/meetings/{SLUG}/audit", f"/meetings/{SLUG}/history"):
        body = visitor.request(path).body.decode()
        assert not any(email in body for email in EMAILS), path
        assert ("Cat Crane" in body) == LEVELS[level]["names"], path
        assert ("after lunch" in body) == LEVELS[level]["remarks"], path


def as_read(page: str) -> str:
    """A page as Markdown shows it: the backslash escapes `export markdown` writes (`\\(`, `\\*`) read back."""
    from exports.pages.lines import protect, restore

    return restore(protect(page))


def test_each_level_export_markdown_public_shows_what_it_says_and_plain_export_everything(
    built: tuple[str, Cli],
) -> None:
    level, cli = built
    public = as_read(cli.ok("export", "markdown", SLUG, "--public").out)
    shows = LEVELS[level]
    assert not ANY_EMAIL.search(public)
    for name in NAMES:
        assert (name in public) == shows["names"], name
    for remark in REMARKS:
        assert (remark in public) == shows["remarks"], remark
    assert ("3 signed up" in public) == (level == "counts")
    assert ("not published" in public) == (level == "hidden")
    full = as_read(cli.ok("export", "markdown", SLUG).out)  # the faithful export, for whoever reads the whole ledger
    assert all(name in full for name in NAMES) and all(remark in full for remark in REMARKS)
    assert "Bob Smith (bob@example.org) joins me" in full and "eve@example.org" in full


def test_a_personal_feed_shows_its_owner_their_own_entry_in_full(cli: Cli) -> None:
    build(cli)
    cli.ok("edit", SLUG, "--attendee-list", "counts")
    mine = unfolded(cli.ok("export", "feed", "--person", "Ben Bloom").out)
    assert "Ben Bloom (after lunch)" in mine
    assert "Ann Alder" not in mine and "joins me" not in mine and not ANY_EMAIL.search(mine)
    public = unfolded(cli.ok("export", "feed").out)
    assert "Ben Bloom" not in public


def test_organizers_and_admins_read_everything_a_participant_only_the_level_and_their_own(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    cli = sqlite_cli
    build(cli)
    cli.ok("edit", SLUG, "--attendee-list", "counts")
    cli.ok("account", "add", "olga", "--person", "Olga Organizer")
    cli.ok("account", "add", "ben", "--person", "Ben Bloom")
    cli.ok("organizers", "add", SLUG, "olga")
    tokens = {name: cli.ok("account", "token", name).out.strip() for name in ("olga", "ben")}
    for server in server_for(cli, tmp_path):
        client = Browser(server)
        path = f"/api/meetings/{SLUG}/attendees"
        organizer = client.request(path, headers={"Authorization": f"Bearer {tokens['olga']}"})
        assert organizer.body.decode() == cli.ok("--json", "attendees", SLUG).out  # the CLI's bytes
        participant = client.request(path, headers={"Authorization": f"Bearer {tokens['ben']}"}).json()
        assert [(e["name"], e["remark"]) for e in participant["attendees"]] == [("Ben Bloom", "after lunch")]
        assert participant["counts"]["total"] == 3 and participant["attendee_list"] == "counts"
        assert client.request(path).json()["attendees"] == []  # a visitor: counts only
        # Only an organizer changes the level: a participant's attempt is refused, nothing written.
        before = cli.db.event_count()
        refused = client.request(
            f"/api/meetings/{SLUG}/edit",
            body={"attendee_list": "full"},
            headers={"Authorization": f"Bearer {tokens['ben']}"},
        )
        assert refused.status == 403 and cli.db.event_count() == before
        allowed = client.request(
            f"/api/meetings/{SLUG}/edit",
            body={"attendee_list": "full"},
            headers={"Authorization": f"Bearer {tokens['olga']}"},
        )
        assert allowed.status == 200 and client.request(path).json()["attendee_list"] == "full"


def test_the_level_is_an_organizers_change_recorded_in_the_audit(cli: Cli) -> None:
    build(cli)
    bad = cli("edit", SLUG, "--attendee-list", "everyone")
    assert bad.code == 2 and bad.err.count("\n") == 1 and bad.err.startswith("Error:")
    cli.ok("edit", SLUG, "--attendee-list", "hidden")
    assert 'edited pub: attendee list to "hidden"' in cli.ok("audit", SLUG).out
    assert json.loads(cli.ok("--json", "show", SLUG).out)["attendee_list"] == "hidden"
    assert "Public:    attendee list hidden" in cli.ok("show", SLUG).out
    same = cli("edit", SLUG, "--attendee-list", "hidden")
    assert same.code == 1 and "nothing to change" in same.err


def test_audit_json_and_csv_show_emails_only_to_admins(cli: Cli) -> None:
    build(cli)
    as_admin = {fmt: cli.ok("audit", "--format", fmt).out for fmt in ("json", "csv", "text")}
    assert "ann@example.org" in as_admin["json"] and "ann@example.org" in as_admin["csv"]
    assert "bob@example.org" in as_admin["text"]  # the remark as written
    me = json.loads(as_admin["json"])[0]["principal"]  # the CLI's own account, the ledger's first admin
    cli.ok("account", "add", "ada")
    cli.ok("admin", "grant", "ada")
    cli.ok("admin", "revoke", me)
    for fmt in ("json", "csv", "text"):
        shown = cli.ok("audit", "--format", fmt).out
        assert not any(email in shown for email in EMAILS), fmt
        assert "[email hidden]" in shown and "Ann Alder" in shown, fmt
    entries = json.loads(cli.ok("audit", "--format", "json").out)
    signed = next(e for e in entries if e["action"] == "signed-up" and e["person"] == "Ann Alder")
    assert signed["details"]["email"] is None
    assert signed["details"]["remark"] == "Bob Smith ([email hidden]) joins me"
    assert len(entries) == len(json.loads(as_admin["json"])) + 4  # the same events and the four about accounts
