"""`meetings verify --deep`: what users see beside the events (snapshots, read models) checked against them.

The hash chain vouches for the events only. Snapshots and read-model documents are caches
written from the events; anyone able to write the database could edit them and change what
loads and reads show. Here each is recomputed from the events and compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from ledger import snapshots
from ledger.difference import first_difference
from ledger.errors import LedgerError
from projections.events import stream_events
from projections.folding import Folding
from projections.queries import MODELS
from projections.store import ReadStore, cyclic_gc_paused


@dataclass(frozen=True)
class Finding:
    """One cache that no longer equals what the events give, with the meeting it belongs to."""

    kind: str  # "snapshot" or "read model"
    meeting: str | None  # slug, or the id when no slug can be read; None when it is no one meeting's
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "meeting": self.meeting, "message": self.message}


def deep_findings(app: Any) -> tuple[list[Finding], int, int]:
    """Every forged snapshot and read-model document, how many snapshots and documents were checked."""
    with cyclic_gc_paused():  # as a rebuild does: the states folded hold no cycles
        return _deep_findings(app)


def _deep_findings(app: Any) -> tuple[list[Finding], int, int]:
    store = ReadStore(app)
    # Each model built with today's fold is recomputed up to the position it claims; one that was never
    # built, or with an older fold, is rebuilt by the next read anyway.
    positions = store.positions()
    foldings = [
        Folding(model, positions[model.name][0])
        for model in MODELS
        if model.name in positions and positions[model.name][1] == model.version
    ]
    by_kind: dict[str, list[Folding]] = {}
    for folding in foldings:
        for kind in folding.model.kinds:
            by_kind.setdefault(kind, []).append(folding)
    # One pass over the ledger, a batch at a time, feeds every model: memory holds the models' states,
    # never the events.
    slugs: dict[str, str] = {}
    last = 0
    for event in stream_events(app):
        last = event.position
        if event.kind == "Scheduled" and "slug" in event.data and event.meeting_id is not None:
            slugs[event.meeting_id] = str(event.data["slug"])
        for folding in by_kind.get(event.kind, ()):
            folding.apply(event)
    found = _snapshot_findings(app, slugs)
    documents = 0
    for folding in foldings:
        model_findings, checked = _read_model_findings(store, folding, last, slugs)
        found += model_findings
        documents += checked
    return found, len(slugs), documents


def _snapshot_findings(app: Any, slugs: dict[str, str]) -> list[Finding]:
    found = []
    for meeting_id in sorted(slugs):
        problem = snapshots.newest_problem(app, UUID(hex=meeting_id))
        if problem is not None:
            version, why = problem
            found.append(
                Finding(
                    "snapshot",
                    slugs[meeting_id],
                    f"the snapshot of {slugs[meeting_id]} at version {version} is forged: {why}",
                )
            )
    return found


def _read_model_findings(
    store: ReadStore, folding: Folding, last: int, slugs: dict[str, str]
) -> tuple[list[Finding], int]:
    name = folding.model.name
    if folding.until > last:
        message = (
            f"read model {name!r} claims position {folding.until}, after the last event ({last}):"
            " the events appended next would never reach it"
        )
        return [Finding("read model", None, message)], 0
    expected = folding.documents()
    stored = dict(store.all(name))
    found = []
    for key in sorted(set(stored) | set(expected)):
        if key in stored and key in expected and _same_json(stored[key], expected[key]):
            continue  # the common case, at the cost of encoding both; any doubt is looked at in detail
        difference = first_difference(_plain(stored.get(key)), expected.get(key))
        if difference is not None:
            meeting = slugs.get(key, key)
            found.append(Finding("read model", meeting, f"read model {name!r} of {meeting} is forged at {difference}"))
    return found, len(stored)


def _same_json(stored: Any, expected: Any) -> bool:
    """Whether both encode to the same JSON bytes, so that no field differs in value or type (true vs 1)."""
    try:
        sort = orjson.OPT_SORT_KEYS
        return bool(orjson.dumps(stored, option=sort) == orjson.dumps(expected, option=sort))
    except TypeError:
        return False


def _plain(doc: Any) -> Any:
    # Stored documents went through orjson; the fold through json: compare both as plain JSON.
    return None if doc is None else orjson.loads(orjson.dumps(doc))


def meeting_named(app: Any, meeting_id: str | None, position: int) -> str | None:
    """The slug of the meeting an event belongs to (from the event itself or its stream's first), else its id."""
    if meeting_id is None:
        return None
    storage = app.storage
    try:
        rows = storage.batches(lambda cursor: storage.select_events(cursor, position - 1, 1))
        rows += storage.batches(lambda cursor: storage.select_stream(cursor, meeting_id, -1, 1))
        for row in rows:
            data = orjson.loads(row["state"])
            if isinstance(data, dict) and isinstance(data.get("slug"), str):
                return str(data["slug"])
    except (ValueError, TypeError, LedgerError):
        return meeting_id  # naming is a courtesy: a row too damaged to read leaves the id
    return meeting_id
