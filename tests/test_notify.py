"""The notifier: mail to the people concerned, through a real SMTP server on loopback (aiosmtpd).

Both backends: the follower's exactly-once outbox is SQL of each dialect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from exports.calendar import feeds
from exports.notifier.runner import Runner, status
from projections import notices
from projections.queries import MODELS
from projections.store import ReadStore
from tests.calendar_tools import icaljs, require_icaljs
from tests.smtp_support import Mailbox, calendar_part, smtp_server, text_of
from tests.support import acting_for

ANN, BEN, RITA, WES = "ann@example.org", "ben@example.org", "rita@example.org", "wes@example.org"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    with smtp_server() as (box, url):
        monkeypatch.setenv("MEETINGS_SMTP_URL", url)
        monkeypatch.setenv("MEETINGS_MAIL_FROM", "meetings@example.org")
        monkeypatch.setenv("MEETINGS_BASE_URL", "http://meetings.example.org")
        monkeypatch.setenv("MEETINGS_NOTIFY_RETRY_SECONDS", "0.05")
        yield box


@pytest.fixture
def runner(ledger: Any, mailbox: Mailbox) -> Runner:
    found = Runner(ledger, ReadStore(ledger))
    found.once()  # the notifier starts here: everything after this is notified
    return found


def meeting_with_people(ledger: Any) -> None:
    ledger.create_meeting(
        "sync", "Team sync", "2030-03-05T10:00", "2030-03-05T11:00", "America/Los_Angeles", capacity=1
    )
    ledger.sign_up("sync", "Ann", email=ANN)
    ledger.sign_up("sync", "Ben", email=BEN)  # waitlisted
    ledger.sign_up("sync", "Wes", email=WES)  # waitlisted behind Ben
    ledger.sign_up("sync", "Rita", mode="remote", email=RITA)
    ledger.sign_up("sync", "Cy")  # no email


def feed_event(ledger: Any, slug: str) -> icalendar.Event:
    store = ReadStore(ledger)
    store.catch_up(MODELS)
    cal = icalendar.Calendar.from_ical(feeds.meeting_feed(store, slug).body)
    return next(c for c in cal.walk("VEVENT"))


def only(box: Mailbox, address: str, subject_start: str) -> Any:
    found = [m for m in box.to(address) if str(m["Subject"]).startswith(subject_start)]
    assert len(found) == 1, [str(m["Subject"]) for m in box.to(address)]
    return found[0]


def check_itip(part: bytes, method: str, feed: icalendar.Event, tmp_path: Path) -> None:
    cal = icalendar.Calendar.from_ical(part)
    assert cal["METHOD"] == method
    event = next(c for c in cal.walk("VEVENT"))
    assert str(event["UID"]) == str(feed["UID"])
    assert int(event["SEQUENCE"]) == int(feed["SEQUENCE"])
    assert event.decoded("DTSTART") == feed.decoded("DTSTART")
    require_icaljs()
    path = tmp_path / f"itip-{method}.ics"
    path.write_bytes(part)
    seen = icaljs(path)["events"]
    assert len(seen) == 1 and seen[0]["uid"] == str(feed["UID"]) and seen[0]["sequence"] == int(feed["SEQUENCE"])
    assert datetime.fromisoformat(seen[0]["start"].replace("Z", "+00:00")) == feed.decoded("DTSTART").astimezone(UTC)


def test_promotion_reschedule_cancel_and_withdrawal_mail_the_people_concerned(
    ledger: Any, runner: Runner, mailbox: Mailbox, tmp_path: Path
) -> None:
    meeting_with_people(ledger)
    ledger.withdraw("sync", "Ann", "the room is too small")  # by alice, the organizer: promotes Ben
    runner.once()
    withdrawn = only(mailbox, ANN, "You were withdrawn")
    assert "the room is too small" in text_of(withdrawn)
    assert "alice" in text_of(withdrawn)
    promoted = only(mailbox, BEN, "You have a seat")
    assert "seated" in text_of(promoted)
    assert mailbox.to(RITA) == []

    ledger.reschedule("sync", "2030-03-06T15:00", "2030-03-06T16:00", None)
    runner.once()
    feed = feed_event(ledger, "sync")
    for address in (BEN, RITA, WES):  # seated, remote and waitlisted
        moved = only(mailbox, address, "Moved")
        part = calendar_part(moved)
        assert part is not None and part[0] == "REQUEST"
        check_itip(part[1], "REQUEST", feed, tmp_path)
        assert "2030-03-06 15:00" in text_of(moved)
    assert not [m for m in mailbox.to(ANN) if str(m["Subject"]).startswith("Moved")]  # no longer signed up

    ledger.cancel("sync", "speaker ill")
    runner.once()
    feed = feed_event(ledger, "sync")
    for address in (BEN, RITA, WES):
        cancelled = only(mailbox, address, "Cancelled")
        part = calendar_part(cancelled)
        assert part is not None and part[0] == "CANCEL"
        check_itip(part[1], "CANCEL", feed, tmp_path)
        assert "STATUS:CANCELLED" in part[1].decode()
        assert "speaker ill" in text_of(cancelled)
    # Every mail has a stable Message-ID and an unsubscribe link.
    for message in mailbox.messages.values():
        assert str(message["Message-ID"]).endswith("@meetings.invalid>")
        assert "http://meetings.example.org/unsubscribe/" in text_of(message)


def test_relocation_video_link_reinstatement_and_an_entry_changed_by_someone_else(
    ledger: Any, runner: Runner, mailbox: Mailbox
) -> None:
    meeting_with_people(ledger)
    ledger.edit_meeting("sync", location="Room 4", video_url="https://video.example.org/sync")
    ledger.cancel("sync")
    ledger.reinstate("sync")
    ledger.change_attendance("sync", "Rita", "in-person", "will come after all")  # alice changes Rita's entry
    runner.once()
    moved = only(mailbox, RITA, "New place")
    assert "Room 4" in text_of(moved) and "https://video.example.org/sync" in text_of(moved)
    back = only(mailbox, RITA, "On again")
    assert calendar_part(back)[0] == "REQUEST"  # type: ignore[index]
    changed = only(mailbox, RITA, "Your sign-up for Team sync changed")
    assert "in person" in text_of(changed) and "will come after all" in text_of(changed)


def test_own_changes_send_nothing_and_each_message_goes_once(ledger: Any, runner: Runner, mailbox: Mailbox) -> None:
    meeting_with_people(ledger)
    with acting_for("Ann"):
        ledger.change_attendance("sync", "Ann", None, "a little late")
    with acting_for("Rita"):
        ledger.withdraw("sync", "Rita", "")
    runner.once()
    runner.once()
    assert mailbox.count() == 0  # sign-ups, and changes people make to their own entries, are not mailed
    ledger.reschedule("sync", "2030-03-06T15:00", "2030-03-06T16:00", None)
    runner.once()
    runner.once()
    assert sorted(mailbox.received.values()) == [1, 1, 1]  # Ann, Ben and Wes; Cy has no email


def test_a_muted_person_gets_nothing_and_no_email_is_listed_as_not_notified(
    ledger: Any, runner: Runner, mailbox: Mailbox
) -> None:
    meeting_with_people(ledger)
    ledger.mute(BEN)
    ledger.reschedule("sync", "2030-03-06T15:00", "2030-03-06T16:00", None)
    runner.once()
    assert mailbox.to(BEN) == []
    assert len(mailbox.to(ANN)) == 1 and len(mailbox.to(RITA)) == 1
    skipped = {(r.recipient, r.reason) for r in notices.Outbox(runner.store).rows(status=notices.SKIPPED)}
    assert skipped == {("Ben", "muted"), ("Cy", "no email")}
    ledger.mute(BEN, muted=False)
    ledger.cancel("sync")
    runner.once()
    assert len(mailbox.to(BEN)) == 1


def test_a_refusing_server_is_retried_until_it_accepts_and_status_shows_the_errors(
    ledger: Any, runner: Runner, mailbox: Mailbox
) -> None:
    import time

    meeting_with_people(ledger)
    mailbox.refusing = True
    ledger.reschedule("sync", "2030-03-06T15:00", "2030-03-06T16:00", None)
    done = runner.once()
    assert done.failed == 4 and done.sent == 0
    shown = status(runner.store)
    assert shown["queue"]["pending"] == 4
    assert {e["recipient"] for e in shown["errors"]} == {"Ann", "Ben", "Rita", "Wes"}
    assert all("451" in e["error"] for e in shown["errors"])
    time.sleep(0.1)
    runner.once()  # still refused: the attempts count up
    assert max(e["attempts"] for e in status(runner.store)["errors"]) >= 2
    mailbox.refusing = False
    deadline = time.monotonic() + 30
    while status(runner.store)["queue"]["pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
        runner.once()
    shown = status(runner.store)
    assert shown["queue"]["pending"] == 0 and shown["errors"] == []
    assert sorted(mailbox.received.values()) == [1, 1, 1, 1]
    assert mailbox.refused >= 8


def test_the_notifier_starts_from_now_unless_told_to_start_from_the_beginning(ledger: Any, mailbox: Mailbox) -> None:
    meeting_with_people(ledger)
    ledger.reschedule("sync", "2030-03-06T15:00", "2030-03-06T16:00", None)
    Runner(ledger, ReadStore(ledger)).once()
    assert mailbox.count() == 0
    ledger.cancel("sync")
    Runner(ledger, ReadStore(ledger)).once()
    assert mailbox.count() == 4


def test_a_server_that_requires_a_login_gets_it_and_a_wrong_password_is_reported_without_it(
    ledger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(login=("mailer", "right-pw")) as (box, url):
        monkeypatch.setenv("MEETINGS_SMTP_URL", url.replace("smtp://", "smtp://mailer@"))
        monkeypatch.setenv("MEETINGS_SMTP_PASSWORD", "wrong-pw")
        monkeypatch.setenv("MEETINGS_MAIL_FROM", "meetings@example.org")
        monkeypatch.setenv("MEETINGS_NOTIFY_RETRY_SECONDS", "0.05")
        runner = Runner(ledger, ReadStore(ledger))
        runner.once()
        meeting_with_people(ledger)
        ledger.cancel("sync")
        done = runner.once()
        assert done.failed == 4 and box.count() == 0
        shown = status(runner.store)
        assert all("535" in e["error"] for e in shown["errors"]), [e["error"] for e in shown["errors"]]
        assert "wrong-pw" not in str(shown) and shown["smtp"] == url.replace("smtp://", "smtp://mailer@")
        monkeypatch.setenv("MEETINGS_SMTP_PASSWORD", "right-pw")
        import time

        time.sleep(0.1)
        assert Runner(ledger, ReadStore(ledger)).once().sent == 4
        assert box.count() == 4
