"""One person, one entry; and email addresses written into free text kept out of public output.

Names are compared after Unicode NFC normalisation and without invisible characters, so "José"
typed precomposed or with a combining accent, or with a zero-width space inside, is one person.
Bidirectional controls, which can make an audit line read backwards, are refused (exit 2) in a
name, in `--as` and in the web's forms and API. The rules live in `ledger.text`.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import people, text
from ledger.errors import BadInputError
from tests.conftest import Cli
from tests.web_support import Browser, server_for

NFC = unicodedata.normalize("NFC", "José Núñez")
NFD = unicodedata.normalize("NFD", "José Núñez")
ZERO_WIDTH = "Jo\u200bsé N\u2060úñez"
BIDI = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\u202a")

pytestmark = pytest.mark.in_process


def new_meeting(cli: Cli, slug: str = "m") -> None:
    cli.ok("new", slug, "--title", "M", "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00", "--tz", "UTC")


def test_nfc_nfd_and_zero_width_spellings_are_one_person(cli: Cli) -> None:
    assert NFC != NFD
    new_meeting(cli)
    cli.ok("signup", "m", NFD)
    for spelling in (NFC, ZERO_WIDTH, NFD.upper()):
        again = cli("signup", "m", spelling)
        assert again.code == 1 and "already signed up" in again.err, spelling
    roster = json.loads(cli.ok("--json", "attendees", "m").out)
    assert [a["name"] for a in roster["attendees"]] == [NFC]  # stored in NFC
    cli.ok("change", "m", ZERO_WIDTH, "--remark", "found by any spelling")
    cli.ok("withdraw", "m", NFC)
    assert json.loads(cli.ok("--json", "attendees", "m").out)["attendees"] == []


@pytest.mark.parametrize("control", BIDI)
def test_bidirectional_controls_are_refused_in_names_and_as(sqlite_cli: Cli, control: str) -> None:
    cli = sqlite_cli
    new_meeting(cli)
    before = cli.db.event_count()
    for args in (("signup", "m", f"Eve{control}lyn"), ("--as", f"Mal{control}lory", "signup", "m", "Ann")):
        refused = cli(*args)
        assert refused.code == 2, (args, refused.err)
        assert refused.err.startswith("Error:") and refused.err.count("\n") == 1, refused.err
        assert "bidirectional" in refused.err
    assert cli.db.event_count() == before
    assert cli("account", "add", f"x{control}y").code == 2


def test_the_web_form_and_the_api_refuse_bidi_names_and_match_nfc(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    new_meeting(cli)
    cli.ok("account", "add", "olga", "--person", "Olga Organizer")
    cli.ok("organizers", "add", "m", "olga")
    token = cli.ok("account", "token", "olga").out.strip()
    auth = {"Authorization": f"Bearer {token}"}
    for server in server_for(cli, tmp_path):
        client = Browser(server)
        first = client.request("/api/meetings/m/signup", body={"name": NFD}, headers=auth)
        assert first.status == 201, first.body
        second = client.request("/api/meetings/m/signup", body={"name": ZERO_WIDTH}, headers=auth)
        assert second.status == 409 and "already signed up" in second.json()["error"]
        bidi = client.request("/api/meetings/m/signup", body={"name": "Bob\u202eevil"}, headers=auth)
        assert bidi.status == 400 and "bidirectional" in bidi.json()["error"]
        acting = client.request("/api/meetings/m/signup", body={"for_person": "A\u2066B"}, headers=auth)
        assert acting.status == 400
    assert [a["name"] for a in json.loads(cli.ok("--json", "attendees", "m").out)["attendees"]] == [NFC]


def test_the_name_rules_are_one_function_every_edge_calls() -> None:
    assert people.display_name(NFD) == people.display_name(ZERO_WIDTH) == NFC
    assert people.name_key("Zoë\u200d Q") == people.name_key("zoë q")  # a joiner is kept, but not compared
    assert people.display_name("Fati\u200cma") == "Fati\u200cma"  # ZWNJ shapes Persian: kept as typed
    with pytest.raises(BadInputError):
        people.display_name("\u200b")  # nothing left but an invisible character
    with pytest.raises(BadInputError):
        people.resolve_actor("Ann\u202eB")


# ----- emails written into free text -------------------------------------------------------------


def test_an_email_written_into_a_remark_or_notes_is_recognised_and_masked() -> None:
    assert text.find_emails("Bob Smith (bob@example.org)") == ["bob@example.org"]
    assert text.mask_emails("Bob Smith (bob@example.org)") == "Bob Smith ([email hidden])"
    assert text.mask_emails("<a.b+c@x.co>, **d@e.org**. [f](mailto:g@h.io)") == (
        "<[email hidden]>, **[email hidden]**. [f](mailto:[email hidden])"
    )
    for kept in ("@alice", "a@b", "user@localhost", "2 @ 3.5", "x@y.z", "no address here"):
        assert text.mask_emails(kept) == kept


def test_signup_and_notes_say_when_they_hold_an_email(cli: Cli) -> None:
    new_meeting(cli)
    signed = cli.ok("signup", "m", "Ann", "--remark", "with Bob Smith (bob@example.org)")
    assert "email" in signed.err and "public" in signed.err
    edited = cli.ok("notes", "edit", "m", "--file", "-", input="write to eve@example.org\n")
    assert "email" in edited.err
    quiet = cli.ok("signup", "m", "Ben", "--remark", "no address")
    assert quiet.err == ""


HOSTILE = st.text(alphabet="a@.-_ ()<>[]*:;,\"'\\\n\u200b\u00e9", max_size=400)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_masked_text_holds_no_address_and_masking_is_idempotent(value: str) -> None:
    masked = text.mask_emails(value)
    assert text.find_emails(masked) == []
    assert text.mask_emails(masked) == masked
    if "@" not in value:
        assert masked == value


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(max_size=40),
    local=st.from_regex(r"[a-z0-9][a-z0-9.+_-]{0,15}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,8}){0,2}\.[a-z]{2,6}", fullmatch=True),
    after=st.text(max_size=40),
)
def test_any_address_between_any_text_is_masked(before: str, local: str, domain: str, after: str) -> None:
    address = f"{local}@{domain}"
    value = f"{before} ({address}) {after}"
    masked = text.mask_emails(value)
    assert address not in masked and f"([email hidden]) {after}" in masked


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 200_000 + "@",
        "@" * 200_000,
        "a@" * 100_000,
        "a." * 100_000 + "@x",
        "a@b." * 50_000,
        "x" + "." * 199_998 + "@",
        ("a" * 1000 + "@" + "b." * 500 + " ") * 100,
    ],
)
def test_hostile_text_is_masked_in_linear_time(hostile: str) -> None:
    """Each pattern would take hours with a backtracking regex; the scan reads each character once."""
    masked = text.mask_emails(hostile)
    assert text.find_emails(masked) == []
    assert len(text.find_emails(hostile)) <= hostile.count("@")


def test_hostile_notes_reach_the_public_page_masked(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    new_meeting(cli)
    hostile = ("a" * 500 + "@" + "b." * 300 + "org ") * 150 + "\n"
    cli.ok("notes", "edit", "m", "--file", "-", input=hostile)
    public: Any = cli.ok("export", "markdown", "m", "--public").out
    assert "@" not in public and public.count("[email hidden]") == 150


def test_the_organizers_web_form_refuses_a_bidi_name_and_a_second_spelling(sqlite_cli: Cli, tmp_path: Path) -> None:
    from tests.test_web_api import PROXY, as_user

    cli = sqlite_cli
    new_meeting(cli)
    me = cli.ok("audit", "--format", "json").json()[0]["principal"]  # the CLI's account created it: organizer
    for server in server_for(cli, tmp_path, *PROXY):
        organizer = as_user(server, me)
        token = organizer.csrf("/meetings/m")
        for name, said in ((NFD, "Signed up José Núñez"), (ZERO_WIDTH, "already signed up"), ("Bob\u202eevil", "")):
            reply = organizer.request("/meetings/m/signup", data={"csrf_token": token, "name": name, "mode": "remote"})
            assert reply.status in (303, 400), reply.body[:300]
            page = organizer.request("/meetings/m").body.decode() if reply.status == 303 else reply.body.decode()
            assert (said or "bidirectional") in page, name
    assert [a["name"] for a in json.loads(cli.ok("--json", "attendees", "m").out)["attendees"]] == [NFC]
