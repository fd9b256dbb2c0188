"""Every kind of event is registered once, folded by the read models that show it, and told by the audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exports import audit as trail
from ledger import storage
from ledger.kinds import KINDS
from ledger.privacy import erased_value, personal_fields
from projections.events import LedgerEvent, stream_events
from projections.folding import fold
from projections.queries import MODELS

ATTENDANCE = {"Scheduled", "CapacityChanged", "SignedUp", "Withdrew", "AttendanceChanged", "Promoted", "EmailChanged"}
# Who may act changes nothing a page or feed shows: no read model folds these.
ACCESS = {
    "OrganizerAdded",
    "OrganizerRemoved",
    "Opened",
    "AccountAdded",
    "AccountRevoked",
    "AdminGranted",
    "AdminRevoked",
    "Muted",
    "Unmuted",
    "PersonErased",  # read models are rebuilt by the erasure itself, not folded from its event
    "Migrated",
}
# A series' own events: its rule, shared details and the exceptions of single dates.
SERIES = {
    "SeriesScheduled",
    "SeriesEdited",
    "SeriesEnded",
    "SeriesSplit",
    "OccurrenceCancelled",
    "OccurrenceMoved",
    "OccurrenceChanged",
    "SeriesOrganizerAdded",
    "SeriesOrganizerRemoved",
}
# What each read model must fold: the kinds that change what it shows. The meetings model folds
# every other meeting kind, because any change moves the meeting's `updated_at` (calendars'
# LAST-MODIFIED); an occurrence's details come from the series model.
MUST_FOLD = {
    "meetings": set(KINDS) - ACCESS - SERIES,
    "attendees": ATTENDANCE,
    "agenda": {"Scheduled", "TopicProposed", "TopicRetitled", "TopicMoved", "TopicWithdrawn"},
    "notes": {"Scheduled", "NotesEdited"},
    # A personal feed lists the meetings a person is signed up for, and how they attend.
    "people": {"Scheduled", "SignedUp", "Withdrew", "AttendanceChanged", "EmailChanged"},
    "series": SERIES,
}


@pytest.fixture(scope="module")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LedgerEvent]]:
    """One meeting whose history holds at least one event of every registered kind."""
    path = Path(tmp_path_factory.mktemp("kinds")) / "ledger.sqlite"
    app = storage.open_ledger(storage.resolve(str(path)))
    app.authenticate("alice")
    app.create_meeting("k", "Kinds", "2030-01-01T10:00", "2030-01-01T11:00", "UTC", capacity=1)
    app.add_account("bob", person="Bob")
    app.grant_admin("bob")
    app.revoke_admin("bob")
    app.add_organizer("k", "bob")
    app.remove_organizer("k", "bob")
    app.revoke_account("bob")
    app.mute("Zed")
    app.mute("Zed", muted=False)
    app.edit_meeting("k", title="All kinds")
    app.reschedule("k", "2030-01-02T10:00", "2030-01-02T11:00", None)
    app.sign_up("k", "Ann")
    app.sign_up("k", "Ben")  # waitlisted
    app.change_attendance("k", "Ann", None, "late")
    app.change_attendance("k", "Ann", None, None, email="ann@example.org")
    app.withdraw("k", "Ann", "ill")  # promotes Ben
    app.change_capacity("k", 2)
    app.propose_topic("k", "One", "Ann")
    app.propose_topic("k", "Two", "Ben")
    app.retitle_topic("k", 1, "First")
    app.move_topic("k", 2, 1)
    app.withdraw_topic("k", 2, "")
    app.edit_notes("k", None, "hello\n")
    app.cancel("k", "room")
    app.reinstate("k")
    app.create_series("s", "Weekly", "2030-01-07T10:00", "2030-01-07T11:00", "UTC", "week", count=10)
    app.edit_series("s", location="Room 1")
    app.cancel_occurrence("s", "2030-01-14", "holiday")
    app.move_occurrence("s", "2030-01-21", "2030-01-22T10:00", "2030-01-22T11:00")
    app.change_occurrence("s", "2030-01-28", video_url="https://meet.example/s")
    app.sign_up("s/2030-02-04", "Ann")
    app.split_series("s", "2030-02-11", "s2", title="Weekly, later")
    app.end_series("s2", "2030-02-25")
    app.add_account("dora", person="Dora")
    app.add_organizer("s2", "dora")
    app.remove_organizer("s2", "dora")
    app.erase("Ann", "a request")
    events = list(stream_events(app))
    migrated = storage.open_ledger(storage.resolve(str(path.with_name("migrated.sqlite"))))
    migrated.authenticate("alice")
    app.migrate_to(migrated)
    events += list(stream_events(migrated))[:1]  # a migrated ledger's first event
    migrated.close()
    app.close()
    yield events


def test_the_registry_holds_every_event_the_aggregate_records(every_kind: list[LedgerEvent]) -> None:
    assert {event.kind for event in every_kind} == set(KINDS)
    assert all(kind.topic.endswith("." + name) for name, kind in KINDS.items())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_each_read_model_folds_exactly_the_kinds_it_shows(model: Any, every_kind: list[LedgerEvent]) -> None:
    assert model.kinds <= set(KINDS), f"{model.name} declares unregistered kinds {model.kinds - set(KINDS)}"
    assert model.kinds == MUST_FOLD[model.name], f"{model.name}: missing {MUST_FOLD[model.name] - model.kinds}"
    assert model.replaces <= model.kinds
    assert fold(model, every_kind), f"{model.name} folds a whole history into a document"


def _erasing(event: LedgerEvent, fields: tuple[str, ...]) -> LedgerEvent:
    """The event as an erasure leaves it when the people these fields name are erased."""
    data = dict(event.data)
    for field in fields:
        if isinstance(data.get(field), str) and data[field]:
            data[field] = erased_value(field, "0" * 32)
    return event._replace(data=data)


def _fold_or_failure(model: Any, events: list[LedgerEvent]) -> Any:
    try:
        return fold(model, events)
    except (AssertionError, KeyError, LookupError, ValueError) as refused:  # the fold found a key it never saw
        return repr(refused)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_a_model_keeps_personal_data_only_from_the_kinds_it_declares(model: Any, every_kind: list[LedgerEvent]) -> None:
    """An erasure rewrites a model's documents only where it erased data from an event of one of the
    model's `personal_kinds` (`ReadStore.rewrite`), and `verify --deep` would report any document left
    holding the data. So: erasing the personal fields of any other event the model folds, one field or
    all of them, leaves every document as it was; and erasing some event's changes a document (this
    test sees a model that keeps personal data)."""
    assert model.personal_kinds <= model.kinds
    before = fold(model, every_kind)
    changed_by = set()
    for index, event in enumerate(every_kind):
        if event.kind not in model.kinds:
            continue
        fields = personal_fields(event.kind)
        for erased in (fields, *((field,) for field in fields)):
            altered = [*every_kind[:index], _erasing(event, erased), *every_kind[index + 1 :]]
            if _fold_or_failure(model, altered) != before:
                changed_by.add(event.kind)
    assert changed_by <= model.personal_kinds, (
        f"{model.name} keeps personal data from {changed_by - model.personal_kinds}"
    )
    assert changed_by, f"{model.name} keeps no personal data at all: its personal kinds should be empty"


def test_every_model_is_in_the_expectation_table() -> None:
    assert {model.name for model in MODELS} == set(MUST_FOLD)


def test_the_audit_names_and_tells_every_kind(every_kind: list[LedgerEvent]) -> None:
    told = {}
    for entry, event in zip(trail.entries(every_kind, trail.Filters()), every_kind, strict=True):
        assert entry.action == KINDS[event.kind].action
        told[event.kind] = entry.sentence
    assert set(told) == set(KINDS)
    untold = {kind: s for kind, s in told.items() if f" recorded {kind} " in s}
    assert not untold, "every kind gets its own sentence"
    assert len({kind.action for kind in KINDS.values()}) == len(KINDS), "each kind has its own verb"
