"""A sign-up gains an email (`change --email`): the person is identified by it from then on
(ledger/rekeying.py), so one feed URL reaches every meeting they signed up for, with or without
an email, and erasing them erases both identities.
"""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from ledger.errors import BadInputError, NotFoundError, PermissionDeniedError, RuleError
from projections import queries
from tests.conftest import Cli, Database
from tests.support import attendees, names, new_meeting, sign_up_many, store, stored_kinds

EMAIL = "ann.lee@example.org"

# Rules of the ledger and of what the commands print: the CLI runs in this process.
pytestmark = pytest.mark.in_process


def test_a_sign_up_gains_an_email_and_keeps_its_place_on_the_list_and_the_waitlist(
    ledger: Ledger, db: Database
) -> None:
    new_meeting(ledger, "room", capacity=1)
    sign_up_many(ledger, "room", ["Bob", "Ann", "Cid"])  # Ann and Cid wait
    saved = ledger.change_attendance("room", "ann", None, None, email=EMAIL)
    assert saved.summary == f"Ann's email is now {EMAIL}"
    assert stored_kinds(db)[-1] == "EmailChanged"
    data = attendees(ledger, "room")
    assert names(data["attendees"]) == ["Bob", "Ann", "Cid"]
    assert [(e["name"], e["waitlist_position"]) for e in data["waitlist"]] == [("Ann", 1), ("Cid", 2)]
    assert ledger.get_meeting("room").find_attendee(EMAIL).name == "Ann"
    # Later changes are about the new identity, by name or by email; the seat still goes to her first.
    assert "promoted Ann" in ledger.withdraw("room", "Bob", "").summary
    assert ledger.change_attendance("room", EMAIL, "remote", None).summary.startswith("Ann is now (Remote)")
    assert names(attendees(ledger, "room")["seated"]) == ["Cid"]


def test_the_email_and_a_change_of_mode_go_together_and_the_email_can_change_again(ledger: Ledger) -> None:
    new_meeting(ledger, "room")
    ledger.sign_up("room", "Ann", "undecided")
    both = ledger.change_attendance("room", "Ann", "in-person", "late", email=EMAIL)
    assert both.summary == f"Ann's email is now {EMAIL}; Ann is now (In Person) late"
    # Named by the email it had: the entry moves to the new one.
    ledger.change_attendance("room", EMAIL, None, None, email="ann@elsewhere.example")
    assert [e.person_key for e in queries.everyone(store(ledger))] == ["email:ann@elsewhere.example"]
    assert queries.person_meetings(store(ledger), f"email:{EMAIL}") == []


def test_an_email_change_is_refused_when_it_changes_nothing_or_is_someone_elses(ledger: Ledger, db: Database) -> None:
    new_meeting(ledger, "room")
    ledger.sign_up("room", "Ann")
    ledger.sign_up("room", "Ben", email="ben@example.org")
    before = db.event_count()
    refusals = [
        (RuleError, "Ben is already signed up for room with that email", "Ann", "BEN@example.org"),
        (RuleError, "Ben is already signed up for room with that email", "Ben", "ben@example.org"),
        (NotFoundError, "'Cid' is not signed up for room", "Cid", "cid@example.org"),
        (BadInputError, "email", "Ann", "not an email"),
    ]
    for error, message, name, email in refusals:
        with pytest.raises(error, match=message):
            ledger.change_attendance("room", name, None, None, email=email)
    with pytest.raises(BadInputError, match="give --mode, --remark or --email"):
        ledger.change_attendance("room", "Ann", None, None)
    assert db.event_count() == before


def test_a_participant_gives_only_their_own_entry_only_their_own_email(ledger: Ledger) -> None:
    ledger.authenticate("founder")
    ledger.add_account("ann", email=EMAIL, person="Ann")
    ledger.add_account("bob", person="Bob")
    with ledger.acting("alice"):
        ledger.create_meeting("room", "Room", "2030-01-02T10:00", "2030-01-02T11:00", "UTC")
    for name, account in (("Ann", "ann"), ("Bob", "bob")):
        with ledger.acting(account):
            ledger.sign_up("room", name)
    with ledger.acting("bob"), pytest.raises(PermissionDeniedError, match="organizer role"):
        ledger.change_attendance("room", "Ann", None, None, email="bob@example.org")  # someone else's entry
    with ledger.acting("ann"), pytest.raises(PermissionDeniedError, match="organizer role"):
        ledger.change_attendance("room", "Ann", None, None, email="mallory@example.org")  # not her email
    with ledger.acting("ann"):
        ledger.change_attendance("room", "Ann", None, None, email=EMAIL)
    with ledger.acting("alice"):  # the organizer may give anyone's entry an email
        ledger.change_attendance("room", "Bob", None, None, email="bob@example.org")
    assert {e.person_key for e in queries.everyone(store(ledger))} == {f"email:{EMAIL}", "email:bob@example.org"}


# ----- through the real CLI ----------------------------------------------------------------------


def new(cli: Cli, slug: str) -> None:
    cli.ok("new", slug, "--title", slug, "--start", "2099-05-01T10:00", "--end", "2099-05-01T11:00", "--tz", "UTC")


def test_one_feed_url_reaches_a_person_who_signed_up_with_and_without_an_email_and_erasing_them_erases_both(
    cli: Cli,
) -> None:
    for slug in ("m1", "m2", "m3"):
        new(cli, slug)
    cli.ok("signup", "m1", "Ann Lee", "--remark", "ANNREMARK by name")
    cli.ok("signup", "m2", "Ann Lee", "--email", EMAIL)
    cli.ok("signup", "m3", "Olga Other")
    several = cli("feed-token", "issue", "Ann Lee")
    assert several.code == 2 and "several people are called 'Ann Lee'" in several.err

    changed = cli.ok("change", "m1", "Ann Lee", "--email", EMAIL)
    assert changed.out.strip() == f"Ann Lee's email is now {EMAIL}."
    assert cli("change", "m1", "Ann Lee", "--email", EMAIL).code == 1

    for typed in ("Ann Lee", EMAIL):
        url = cli.ok("feed-token", "issue", typed).out.strip()
        assert "/people/" in url
    feed = cli.ok("export", "feed", "--person", "Ann Lee").out
    assert feed.count("BEGIN:VEVENT") == 2 and "SUMMARY:m1" in feed and "SUMMARY:m2" in feed
    audit = cli.ok("audit", "m1").out
    assert "(for alice) added an email to Ann Lee's sign-up for m1" in audit  # the account, for its person
    assert cli.ok("--json", "audit", "m1", "--format", "json").json()[-1]["action"] == "email-changed"
    assert cli.ok("verify", "--deep").code == 0

    cli.ok("erase", EMAIL, "--reason", "a request")
    for slug in ("m1", "m2"):
        listed = cli.ok("attendees", slug).out
        assert "Ann" not in listed and "[erased]" in listed
    everything = cli.ok("audit", "--format", "json").out + cli.ok("export", "markdown", "m1").out
    assert "Ann" not in everything and "ANNREMARK" not in everything and EMAIL not in everything
    assert "Olga Other" in cli.ok("attendees", "m3").out
    assert cli.ok("feed-token", "list", "--json").json() == []
    assert cli.ok("verify", "--deep").code == 0
    assert cli("erase", "Ann Lee", "--reason", "again").code == 1  # nothing of hers is left
