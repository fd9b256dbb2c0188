"""Events and snapshots decode to exactly what eventsourcing's own JSON transcoder gives."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError
from hypothesis import given
from hypothesis import strategies as st

from ledger import privacy, storage
from ledger.agenda import Agenda
from ledger.attendance import Roster
from ledger.transcoding import LedgerTranscoder


@functools.cache
def transcoders() -> tuple[JSONTranscoder, LedgerTranscoder]:
    """eventsourcing's transcoder and ours, with the custom types a real ledger registers."""
    folder = tempfile.mkdtemp()
    app = storage.open_ledger(storage.resolve(os.path.join(folder, "ledger.sqlite")))
    ours = app.mapper.transcoder
    assert isinstance(ours, LedgerTranscoder)
    reference = JSONTranscoder()
    app.register_transcodings(reference)
    app.close()
    shutil.rmtree(folder)
    return reference, ours


def roster_of(people: list[tuple[str, bool]]) -> Roster:
    roster = Roster(capacity=3)
    for index, (name, waitlisted) in enumerate(people):
        roster.add(f"name:{index}", name, None, "in-person", "", waitlisted)
    return roster


def agenda_of(titles: list[str]) -> Agenda:
    agenda = Agenda()
    for index, title in enumerate(titles, start=1):
        agenda.add(index, title, "Dawn", None)
    return agenda


TEXT = st.text(max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT
VALUES = st.recursive(
    SCALARS
    | st.uuids()
    | st.datetimes(timezones=st.just(UTC))
    | st.lists(st.tuples(TEXT, st.booleans()), max_size=4).map(roster_of)
    | st.lists(TEXT.filter(str.strip), max_size=4).map(agenda_of),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_decoding_matches_eventsourcing(value: Any) -> None:
    reference, ours = transcoders()
    encoded = reference.encode(value)
    assert ours.encode(value) == encoded, "the stored format is eventsourcing's own"
    assert ours.decode(encoded) == reference.decode(encoded) == value


def test_a_document_that_only_looks_like_a_custom_type_is_kept_as_it_is() -> None:
    reference, ours = transcoders()
    for value in ({"_type_": 1}, {"_type_": "x", "other": 2}, {"_data_": [1], "_type_x": 3}):
        encoded = reference.encode(value)
        assert ours.decode(encoded) == reference.decode(encoded) == value


def test_an_unknown_custom_type_is_refused_as_eventsourcing_refuses_it() -> None:
    _, ours = transcoders()
    with pytest.raises(TranscodingNotRegisteredError):
        ours.decode(b'{"a": {"_type_": "no-such-type", "_data_": 1}}')


def test_a_snapshot_state_round_trips() -> None:
    reference, ours = transcoders()
    state = {
        "_created_on": datetime(2026, 11, 28, 4, 0, tzinfo=UTC),
        "roster": roster_of([("Ann", False), ("Ben", True)]),
        "agenda": agenda_of(["Runtime", "Packaging"]),
        "notes": {"": ["first", "second"]},
    }
    assert ours.decode(reference.encode(state)) == state


# Any text either encoder can write (lone surrogates are refused by both), floats, integers past
# 64 bits, tuples and keys that are not strings: what orjson alone might write differently.
WIDE_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=16)
WIDE_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | WIDE_TEXT
    | st.uuids()
    | st.datetimes(timezones=st.just(UTC))
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(WIDE_TEXT | st.integers(-5, 5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(WIDE_VALUES)
def test_encoding_is_eventsourcings_byte_for_byte(value: Any) -> None:
    reference, ours = transcoders()
    assert ours.encode(value) == reference.encode(value)


# What sealing builds (`ledger.privacy.seal_state`): envelopes of key ids, field lists and
# ciphertexts, and a notes edit's runs of ciphertexts or blank-line counts.
ENVELOPES = st.lists(
    st.fixed_dictionaries({"k": WIDE_TEXT, "f": st.lists(WIDE_TEXT, max_size=3), "c": WIDE_TEXT}),
    max_size=3,
)
RUNS = st.lists(
    st.fixed_dictionaries({"k": WIDE_TEXT, "c": WIDE_TEXT}) | st.fixed_dictionaries({"t": st.integers(0, 9)}),
    max_size=3,
)


@given(st.dictionaries(WIDE_TEXT, WIDE_VALUES, max_size=5), ENVELOPES, RUNS)
def test_a_sealed_state_is_encoded_as_eventsourcing_encodes_it(
    state: dict[str, Any], envelopes: list[Any], runs: list[Any]
) -> None:
    reference, ours = transcoders()
    sealed = {**state, privacy.ENVELOPES: envelopes, privacy.RUNS: runs}
    built = (privacy.ENVELOPES, privacy.RUNS)
    assert ours.encode_sealed(sealed, built) == reference.encode(sealed)
    # A key that is not text (no event has one) takes eventsourcing's own path.
    assert ours.encode_sealed({**sealed, 3: "x"}, built) == reference.encode({**sealed, 3: "x"})
