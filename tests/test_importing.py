"""`Ledger.import_meeting`: a whole meeting from a plan, checked like every command and appended at once."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.errors import BadInputError, NotFoundError, RuleError
from ledger.importing import MeetingPlan, NotesPlan, Refusal, SignUpPlan, TopicPlan

PLAN = MeetingPlan(
    slug="room",
    title="Small room",
    start="2024-01-10T10:00",
    end="2024-01-10T11:00",
    zone="UTC",
    capacity=1,
    sign_ups=(
        SignUpPlan("Ann A"),
        SignUpPlan("Bob B", waitlist=2),
        SignUpPlan("Cat C", "remote", "cat@example.org", "from home"),
        SignUpPlan("Dan D", waitlist=1),
    ),
    topics=(TopicPlan("Budget", "Ann A"), TopicPlan("Rooms", parent=0)),
    notes=(NotesPlan("Agreed.", topic=0), NotesPlan("Welcome.")),
)


def test_a_plan_keeps_the_list_order_and_its_waitlist_places(ledger: Any) -> None:
    imported = ledger.import_meeting(PLAN)
    assert imported.slug == "room" and imported.refusals == ()
    meeting = ledger.get_meeting("room")
    assert [a.name for a in meeting.roster.attendees.values()] == ["Ann A", "Bob B", "Cat C", "Dan D"]
    assert [meeting.roster.attendees[k].name for k in meeting.roster.waitlist] == ["Dan D", "Bob B"]
    assert meeting.find_attendee("Ann A").seated
    assert meeting.version == imported.events  # every event in the one append
    assert [(t.title, t.proposer) for t in meeting.agenda.topics] == [("Budget", "Ann A"), ("Rooms", "alice")]
    assert meeting.notes == {"topic-1": "Agreed.", "general": "Welcome."}


def test_a_waitlist_place_with_a_seat_free_is_seated_and_said(ledger: Any) -> None:
    plan = MeetingPlan(
        "open",
        "Open room",
        "2024-01-10T10:00",
        "2024-01-10T11:00",
        "UTC",
        capacity=5,
        sign_ups=(SignUpPlan("Ann A", waitlist=1),),
    )
    imported = ledger.import_meeting(plan)
    assert imported.refusals == (
        Refusal("seated", 0, "Ann A", "marked waitlisted, but a seat is free: seated instead"),
    )
    assert ledger.get_meeting("open").find_attendee("Ann A").seated


def test_a_taken_slug_refuses_the_whole_plan(ledger: Any) -> None:
    ledger.create_meeting("room", "Already here", "2024-01-10T10:00", "2024-01-10T11:00", "UTC")
    with pytest.raises(RuleError, match="a meeting 'room' already exists; nothing was imported"):
        ledger.import_meeting(PLAN)
    meeting = ledger.get_meeting("room")
    assert meeting.title == "Already here" and meeting.version == 1


def test_a_bad_meeting_field_refuses_the_plan_and_writes_nothing(ledger: Any) -> None:
    with pytest.raises(BadInputError, match="title is 201 characters long"):
        ledger.import_meeting(MeetingPlan(**{**PLAN.__dict__, "title": "x" * 201}))
    with pytest.raises(BadInputError, match="slug"):
        ledger.import_meeting(MeetingPlan(**{**PLAN.__dict__, "slug": "Not A Slug"}))
    with pytest.raises(NotFoundError):
        ledger.get_meeting("room")


def test_a_bad_part_is_left_out_and_reported(ledger: Any) -> None:
    plan = MeetingPlan(
        **{
            **PLAN.__dict__,
            "location": "two\nlines",
            "sign_ups": (SignUpPlan("Ann A", email="not-an-email"), SignUpPlan("Bob B"), SignUpPlan("bob b")),
        }
    )
    imported = ledger.import_meeting(plan)
    assert [(r.part, r.index) for r in imported.refusals] == [("location", None), ("sign-up", 0), ("sign-up", 2)]
    assert "is not an email address" in imported.refusals[1].reason
    assert "already signed up" in imported.refusals[2].reason
    meeting = ledger.get_meeting("room")
    assert meeting.location == "" and [a.name for a in meeting.roster.attendees.values()] == ["Bob B"]


def test_a_dry_run_reports_and_writes_nothing(ledger: Any) -> None:
    outcome = ledger.import_meeting(PLAN, dry_run=True)
    assert outcome.events == ledger.import_meeting(PLAN).events
    ledger.import_meeting(MeetingPlan(**{**PLAN.__dict__, "slug": "other"}), dry_run=True)
    with pytest.raises(NotFoundError):
        ledger.get_meeting("other")
