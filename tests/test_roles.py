"""Who may do what (PRODUCT.md section 9): an organizer, a participant, and the ledger's admin.

In-process on both backends for the whole table of rules, then through the CLI on
PostgreSQL with two database roles (the account is the session user), and on SQLite where the
account is the OS login whatever LOGNAME or USER say (that one as a real process; the others
run the command in the test's process).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.errors import PermissionDeniedError, RuleError
from tests.conftest import POSTGRES_URL, Cli, Database

SLUG = "roles"


@pytest.fixture
def room(ledger: Ledger) -> Ledger:
    """alice creates the meeting (its organizer) and signs up; bob is a participant; the admin is the founder."""
    ledger.authenticate("founder")
    ledger.create_meeting("warm-up", "Warm-up", "2030-01-01T10:00", "2030-01-01T11:00", "UTC")  # founder: admin
    with ledger.acting("alice"):
        ledger.create_meeting(SLUG, "Roles", "2030-01-02T10:00", "2030-01-02T11:00", "UTC", capacity=3)
        ledger.sign_up(SLUG, "alice")
    return ledger


def events(app: Ledger) -> int:
    return int(app.storage.last_position())


# What bob, a participant, may not do to the meeting: each is refused naming the organizer role.
ORGANIZER_ONLY: list[tuple[str, Callable[[Ledger], Any]]] = [
    ("withdraw alice", lambda app: app.withdraw(SLUG, "alice", "needs the room")),
    ("change alice", lambda app: app.change_attendance(SLUG, "alice", "remote", None)),
    ("capacity", lambda app: app.change_capacity(SLUG, 10)),
    ("edit", lambda app: app.edit_meeting(SLUG, title="Taken over")),
    ("reschedule", lambda app: app.reschedule(SLUG, "2030-01-03T10:00", "2030-01-03T11:00", None)),
    ("cancel", lambda app: app.cancel(SLUG, "no")),
    ("sign someone else up", lambda app: app.sign_up(SLUG, "Mallory")),
    ("move a topic", lambda app: app.move_topic(SLUG, 2, 1)),
    ("withdraw alice's topic", lambda app: app.withdraw_topic(SLUG, 1)),
    ("restore notes", lambda app: app.restore_notes(SLUG, None, 1)),
    ("add an organizer", lambda app: app.add_organizer(SLUG, "bob")),
]


@pytest.mark.parametrize(("what", "action"), ORGANIZER_ONLY, ids=[what for what, _ in ORGANIZER_ONLY])
def test_a_participant_is_refused_what_needs_an_organizer_and_nothing_is_written(
    room: Ledger, what: str, action: Callable[[Ledger], Any]
) -> None:
    with room.acting("alice"):
        room.propose_topic(SLUG, "Alice's topic", "alice")
        room.propose_topic(SLUG, "Another", "alice")
        room.edit_notes(SLUG, None, "first\n")
    before = events(room)
    with room.acting("bob"), pytest.raises(PermissionDeniedError) as refused:
        action(room)
    assert "needs the organizer role" in str(refused.value) and refused.value.exit_code == 1
    assert str(refused.value).startswith("bob may not ")
    assert events(room) == before


def test_a_participant_acts_on_their_own_entry_and_topics_and_edits_the_notes(room: Ledger) -> None:
    with room.acting("bob"):
        room.sign_up(SLUG, "bob", remark="late")
        room.change_attendance(SLUG, "bob", "remote", None)
        room.propose_topic(SLUG, "Bob's topic", "bob")
        room.retitle_topic(SLUG, 1, "Bob's better topic")
        room.edit_notes(SLUG, None, "bob was here\n")
        room.withdraw_topic(SLUG, 1)
        room.withdraw(SLUG, "bob", "cannot come")
    meeting = room.get_meeting(SLUG)
    assert [a.name for a in meeting.roster.attendees.values()] == ["alice"]
    assert meeting.notes["general"] == "bob was here\n"


def test_acting_for_someone_else_needs_an_organizer(room: Ledger) -> None:
    before = events(room)
    with room.acting("bob", for_person="Dawn Chen"), pytest.raises(PermissionDeniedError) as refused:
        room.sign_up(SLUG, "Dawn Chen")
    assert "may not act for someone else in roles" in str(refused.value)
    with room.acting("bob", for_person="bob"):  # --as yourself is fine
        room.sign_up(SLUG, "bob")
    assert events(room) == before + 1
    with room.acting("alice", for_person="Dawn Chen"):
        room.sign_up(SLUG, "Dawn Chen")
    entry = room.get_meeting(SLUG).find_attendee("Dawn Chen")
    assert entry.name == "Dawn Chen"


def test_the_organizer_may_do_it_all_and_adding_bob_as_organizer_lets_him(room: Ledger) -> None:
    with room.acting("bob"):
        room.sign_up(SLUG, "bob")
        with pytest.raises(PermissionDeniedError):
            room.change_capacity(SLUG, 1)
    with room.acting("alice"):
        room.change_capacity(SLUG, 1)  # lowering removes no one
        room.change_attendance(SLUG, "bob", "undecided", None)
        room.edit_meeting(SLUG, title="Roles, edited")
        room.reschedule(SLUG, "2030-01-04T10:00", "2030-01-04T11:00", None)
        room.cancel(SLUG, "moved")
        room.reinstate(SLUG)
        room.add_organizer(SLUG, "bob")
    assert room.meeting_organizers(SLUG) == ["alice", "bob"]
    with room.acting("bob"):
        room.change_capacity(SLUG, 5)
        room.withdraw(SLUG, "alice", "swapped")
        room.remove_organizer(SLUG, "alice")
    assert room.meeting_organizers(SLUG) == ["bob"]
    with room.acting("bob"), pytest.raises(RuleError, match="only organizer"):
        room.remove_organizer(SLUG, "bob")


def test_only_admins_manage_accounts_and_admins(room: Ledger) -> None:
    with room.acting("alice"), pytest.raises(PermissionDeniedError, match="needs the admin role"):
        room.add_account("carol")
    with room.acting("founder"):
        room.add_account("carol", email="carol@example.org", person="Carol Shaw")
        room.grant_admin("alice")
    with room.acting("alice"):
        room.revoke_account("carol")  # alice is an admin now
        assert room.current_account().admin
    carol = room.account("carol")
    assert carol is not None and carol.revoked and carol.person == "Carol Shaw"
    with room.acting("carol"), pytest.raises(PermissionDeniedError, match="revoked"):
        room.edit_notes(SLUG, None, "carol was here\n")


def test_an_account_linked_to_a_person_signs_that_person_up_as_itself(room: Ledger) -> None:
    with room.acting("founder"):
        room.add_account("dawn", email="dawn@example.org", person="Dawn Chen")
    with room.acting("dawn"):
        room.sign_up(SLUG, "Dawn Chen", email="dawn@example.org")
        with pytest.raises(PermissionDeniedError):
            room.sign_up(SLUG, "Dawn Chen", email="someone@example.org")  # another person of that name
        room.withdraw(SLUG, "dawn@example.org", "ill")


def test_a_ledger_made_before_accounts_has_its_first_account_as_admin_and_creators_as_organizers(
    ledger: Ledger,
) -> None:
    """What an older ledger holds: meetings whose organizers never changed, and no directory."""
    ledger.authenticate("old-owner")
    ledger.create_meeting("old", "Old", "2030-01-01T10:00", "2030-01-01T11:00", "UTC")
    with ledger.acting("carol"):
        ledger.create_meeting("carols", "Carol's", "2030-01-01T10:00", "2030-01-01T11:00", "UTC")
    assert ledger.meeting_organizers("old") == ["old-owner"]
    assert ledger.meeting_organizers("carols") == ["carol"]
    owner = ledger.account("old-owner")
    assert owner is not None and owner.admin
    assert ledger.roles("carols", "carol") == frozenset({"participant", "organizer"})
    assert ledger.roles("carols", "old-owner") == frozenset({"participant", "organizer", "admin"})


# ----- through the real CLI ----------------------------------------------------------------------


def test_on_sqlite_the_account_is_the_os_login_whatever_logname_and_user_say(sqlite_cli: Cli) -> None:
    from ledger.people import login_name

    forged = {"LOGNAME": "mallory", "USER": "mallory", "MEETINGS_ACTOR": ""}
    sqlite_cli.ok(
        "new",
        SLUG,
        "--title",
        "T",
        "--start",
        "2030-01-01T10:00",
        "--end",
        "2030-01-01T11:00",
        "--tz",
        "UTC",
        env=forged,
    )
    sqlite_cli.ok("signup", SLUG, "Dawn Chen", env=forged)
    entries = sqlite_cli.ok("audit", "--format", "json").json()
    assert {e["principal"] for e in entries} == {login_name()}
    assert "mallory" not in sqlite_cli.ok("audit").out


@pytest.mark.in_process
def test_every_audit_line_names_the_account_in_text_json_and_csv(sqlite_cli: Cli) -> None:
    from ledger.people import login_name

    me = login_name()
    sqlite_cli.ok(
        "new", SLUG, "--title", "T", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC"
    )
    sqlite_cli.ok("--as", "Brandon Philips", "signup", SLUG, "Brandon Philips")
    sqlite_cli.ok("withdraw", SLUG, "Brandon Philips", "--reason", "needs the room")
    sqlite_cli.ok("account", "add", "dawn", "--person", "Dawn Chen")
    entries = sqlite_cli.ok("audit", "--format", "json").json()
    assert all(e["principal"] == me for e in entries)
    text = sqlite_cli.ok("audit").out.splitlines()
    assert all(f"  {me}" in line for line in text), text
    assert any(f"{me} (for Brandon Philips) signed up for roles" in line for line in text), text
    rows = list(csv.DictReader(io.StringIO(sqlite_cli.ok("audit", "--format", "csv").out)))
    assert [r["principal"] for r in rows] == [me] * len(entries)
    assert sqlite_cli.ok("audit", "--actor", me, "--format", "json").json() == entries
    assert sqlite_cli.ok("audit", "--actor", "alice", "--format", "json").json() == []  # the person, not an account


@pytest.fixture
def two_roles(db: Database) -> Iterator[tuple[str, str, str, str]]:
    """Two PostgreSQL login roles on the test database: (alice's URL, bob's URL, alice, bob)."""
    if db.backend != "postgres":
        pytest.skip("database roles are PostgreSQL's")
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    alice, bob = f"alice_{suffix}", f"bob_{suffix}"
    base, name = db.url.rsplit("/", 1)
    host = base.split("@", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        for role in (alice, bob):
            admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield f"postgresql://{alice}@{host}/{name}", f"postgresql://{bob}@{host}/{name}", alice, bob
    finally:
        with psycopg.connect(db.url, autocommit=True) as owner:
            for role in (alice, bob):
                owner.execute(f'DROP OWNED BY "{role}"')
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            for role in (alice, bob):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.in_process
def test_two_database_roles_an_organizer_and_a_participant(cli: Cli, two_roles: tuple[str, str, str, str]) -> None:
    import psycopg

    alice_url, bob_url, alice, bob = two_roles
    cli.ok("rebuild")  # the owner opens the ledger first: tables, triggers and side tables
    with psycopg.connect(cli.db.url, autocommit=True) as owner:
        for role in (alice, bob):
            owner.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
            owner.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')

    def as_role(url: str, *args: str) -> Any:
        return cli(*args, env={"MEETINGS_DB": url, "MEETINGS_ACTOR": ""})

    assert (
        as_role(
            alice_url,
            "new",
            SLUG,
            "--title",
            "T",
            "--start",
            "2030-01-01T10:00",
            "--end",
            "2030-01-01T11:00",
            "--tz",
            "UTC",
            "--capacity",
            "2",
        ).code
        == 0
    )
    assert as_role(alice_url, "signup", SLUG, alice).code == 0
    for args in (
        ("signup", SLUG, bob),
        ("change", SLUG, bob, "--mode", "remote"),
        ("topic", "propose", SLUG, "Bob's topic"),
        ("notes", "edit", SLUG, "--file", "-"),
    ):
        result = cli(*args, env={"MEETINGS_DB": bob_url, "MEETINGS_ACTOR": ""}, input="bob's notes\n")
        assert result.code == 0, (args, result.err)
    before = cli.db.event_count()
    for args in (
        ("withdraw", SLUG, alice),
        ("change", SLUG, alice, "--mode", "remote"),
        ("capacity", SLUG, "5"),
        ("edit", SLUG, "--title", "X"),
        ("reschedule", SLUG, "--start", "2030-01-02T10:00", "--end", "2030-01-02T11:00"),
        ("cancel", SLUG),
        ("--as", "Dawn Chen", "signup", SLUG, "Dawn Chen"),
    ):
        refused = as_role(bob_url, *args)
        assert refused.code == 1 and "needs the organizer role" in refused.err, (args, refused)
        assert len(refused.err.strip().splitlines()) == 1
    assert cli.db.event_count() == before
    assert as_role(bob_url, "withdraw", SLUG, bob).code == 0
    assert as_role(alice_url, "capacity", SLUG, "5").code == 0
    assert as_role(alice_url, "organizers", "add", SLUG, bob).code == 0
    assert as_role(bob_url, "capacity", SLUG, "1").code == 0
    assert as_role(bob_url, "cancel", SLUG).code == 0 and as_role(bob_url, "reinstate", SLUG).code == 0
    entries = json.loads(as_role(alice_url, "audit", "--format", "json").out)
    assert {e["principal"] for e in entries} == {alice, bob}
