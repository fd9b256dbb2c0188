"""`meetings notify`: configuring, status, muting and its roles, and what start-up leaves unimported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.errors import PermissionDeniedError, RuleError
from tests.conftest import REPO, Cli, Database
from tests.smtp_support import Mailbox, smtp_server

# The commands run in this process and mail a real SMTP server on loopback; start-up and `serve` keep a process.
pytestmark = pytest.mark.in_process


@pytest.fixture
def process_cli(db: Database, tmp_path: Any) -> Cli:
    """`meetings` as its own process: a server must be refused before it listens, not hang a test."""
    return Cli(db, tmp_path)


@pytest.fixture
def mail(cli: Cli) -> Iterator[tuple[Mailbox, dict[str, str]]]:
    with smtp_server() as (box, url):
        yield box, {"MEETINGS_SMTP_URL": url, "MEETINGS_MAIL_FROM": "meetings@example.org"}


def test_cli_start_up_imports_no_mail_code() -> None:
    code = (
        "import sys; import exports.cli.group, exports.cli.notify, ledger.application;"
        "assert 'smtplib' not in sys.modules and 'email.message' not in sys.modules, 'mail code imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_configure_stores_no_password_and_the_stored_settings_are_used(cli: Cli, mail: tuple[Mailbox, dict]) -> None:
    _, env = mail
    url = env["MEETINGS_SMTP_URL"].replace("smtp://", "smtp://mailer:s3cret-pw@")
    done = cli.ok("notify", "configure", "--smtp-url", url, "--from", "meetings@example.org")
    assert "password was not stored" in done.err
    status = cli.ok("notify", "status")
    assert "s3cret-pw" not in status.out and "smtp://mailer@127.0.0.1" in status.out
    shown = cli.ok("notify", "status", "--json").json()
    assert shown["smtp"].startswith("smtp://mailer@127.0.0.1:") and shown["mail_from"] == "meetings@example.org"
    # The database holds no copy of the password.
    from tests.support import open_ledger

    app = open_ledger(cli.db.url)
    from projections.notices import Outbox
    from projections.store import ReadStore

    assert "s3cret-pw" not in str(Outbox(ReadStore(app)).setting("smtp-url"))
    app.close()


def test_bad_settings_are_one_error_line_with_exit_2(cli: Cli) -> None:
    bad = cli("notify", "configure", "--smtp-url", "http://mail.example.org")
    assert bad.code == 2 and bad.err.startswith("Error: the SMTP URL must start")
    missing = cli("notify", "run", "--once", env={"MEETINGS_SMTP_URL": "", "MEETINGS_MAIL_FROM": ""})
    assert missing.code == 2 and "no SMTP server" in missing.err and "Traceback" not in missing.err
    no_sender = cli(
        "notify", "run", "--once", env={"MEETINGS_SMTP_URL": "smtp://127.0.0.1:9", "MEETINGS_MAIL_FROM": ""}
    )
    assert no_sender.code == 2 and "MEETINGS_MAIL_FROM" in no_sender.err


def test_status_shows_position_queue_and_errors(cli: Cli, mail: tuple[Mailbox, dict]) -> None:
    box, env = mail
    cli.ok("notify", "run", "--once", env=env)
    cli.ok("new", "m", "--title", "M", "--start", "2099-01-01T10:00", "--end", "2099-01-01T11:00", "--tz", "UTC")
    cli.ok("signup", "m", "Ann", "--email", "ann@example.org")
    cli.ok("cancel", "m")
    box.refusing = True
    failed = cli.ok("notify", "run", "--once", env=env)
    assert "1 failed" in failed.out
    text = cli.ok("notify", "status", env=env).out
    assert "Queue: 1 pending, 0 sent, 0 not notified" in text and "451" in text
    box.refusing = False
    shown = cli.ok("notify", "status", "--json", env=env).json()
    assert shown["position"] == shown["last_position"] and shown["errors"][0]["attempts"] == 1


def test_who_may_mute_whom(ledger: Any) -> None:
    ledger.add_account("dawn", email="dawn@example.org", person="Dawn")
    ledger.add_account("olga", person="Olga")
    ledger.create_meeting("m", "M", "2099-01-01T10:00", "2099-01-01T11:00", "UTC")
    ledger.add_organizer("m", "olga")
    ledger.sign_up("m", "Ben", email="ben@example.org")
    with ledger.acting("dawn"):
        with pytest.raises(PermissionDeniedError, match="organizer"):
            ledger.mute("ben@example.org")
        ledger.mute("dawn@example.org")  # herself, by her email
        ledger.mute("dawn@example.org", muted=False)
        ledger.mute("Dawn")  # ... or by her name
        ledger.mute("Dawn", muted=False)
    with ledger.acting("olga"):
        ledger.mute("Ben", meeting="m")  # an organizer, for the people of her meeting
        with pytest.raises(PermissionDeniedError):
            ledger.mute("dawn@example.org")  # but not for anyone else
    with pytest.raises(RuleError, match="already muted"):
        ledger.mute("Ben", meeting="m")
    ledger.mute("dawn@example.org")  # the ledger's admin, for anyone
    assert ledger.is_muted("email:ben@example.org") and ledger.is_muted("email:dawn@example.org")


def test_mute_on_the_command_line(cli: Cli) -> None:
    cli.ok("notify", "mute", "ben@example.org")  # the OS login is the ledger's admin
    again = cli("notify", "mute", "ben@example.org")
    assert again.code == 1 and again.err.startswith("Error:") and "already muted" in again.err
    cli.ok("notify", "unmute", "ben@example.org")
    audit = cli.ok("audit").out
    assert "muted mail to ben@example.org" in audit and "unmuted mail to ben@example.org" in audit


def test_a_copied_ledger_keeps_what_was_sent_and_its_notifier_mails_nobody_again(
    sqlite_cli: Cli, tmp_path: Any
) -> None:
    cli = sqlite_cli
    with smtp_server() as (box, url):
        env = {"MEETINGS_SMTP_URL": url, "MEETINGS_MAIL_FROM": "meetings@example.org"}
        cli.ok("notify", "run", "--once", env=env)
        cli.ok("new", "m", "--title", "M", "--start", "2099-01-01T10:00", "--end", "2099-01-01T11:00", "--tz", "UTC")
        cli.ok("signup", "m", "Ann", "--email", "ann@example.org")
        cli.ok("cancel", "m")
        cli.ok("notify", "run", "--once", env=env)
        assert box.count() == 1
        copy = str(tmp_path / "copy.sqlite")
        cli.ok("copy", "--to", copy)
        copied = {**env, "MEETINGS_DB": copy}
        cli.ok("notify", "run", "--once", env=copied)
        assert sum(box.received.values()) == 1  # nothing sent twice
        cli.ok("reinstate", "m", env={"MEETINGS_DB": copy})
        cli.ok("notify", "run", "--once", env=copied)
        assert box.count() == 2  # the copy's notifier goes on from there
        assert cli.ok("notify", "status", "--json", env=copied).json()["queue"]["sent"] == 2


def test_serve_notify_without_an_smtp_server_is_refused_before_it_listens(process_cli: Cli) -> None:
    refused = process_cli("serve", "--port", "0", "--notify", env={"MEETINGS_SMTP_URL": "", "MEETINGS_MAIL_FROM": ""})
    assert refused.code == 2 and refused.err.startswith("Error: --notify needs an SMTP server")
    assert "Traceback" not in refused.err
