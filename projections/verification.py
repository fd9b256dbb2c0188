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
from projections.events import LedgerEvent, stream_events
from projections.queries import MODELS
from projections.store import ReadStore, cyclic_gc_paused, fold


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
    with cyclic_gc_paused():  # as a rebuild does: every event decoded is held at once, none in a cycle
        return _deep_findings(app)


def _deep_findings(app: Any) -> tuple[list[Finding], int, int]:
    events = list(stream_events(app))
    slugs = {e.meeting_id: str(e.data["slug"]) for e in events if e.kind == "Scheduled" and "slug" in e.data}
    found: list[Finding] = []
    checked_snapshots = 0
    for meeting_id in sorted(slugs):
        problem = snapshots.newest_problem(app, UUID(hex=meeting_id))
        checked_snapshots += 1
        if problem is not None:
            version, why = problem
            found.append(
                Finding(
                    "snapshot",
                    slugs[meeting_id],
                    f"the snapshot of {slugs[meeting_id]} at version {version} is forged: {why}",
                )
            )
    model_findings, documents = _read_model_findings(app, events, slugs)
    return found + model_findings, checked_snapshots, documents


def _read_model_findings(app: Any, events: list[LedgerEvent], slugs: dict[str, str]) -> tuple[list[Finding], int]:
    store = ReadStore(app)
    positions = store.positions()
    last = events[-1].position if events else 0
    found: list[Finding] = []
    documents = 0
    for model in MODELS:
        if model.name not in positions:
            continue  # never built: the next read builds it from the events
        position, version = positions[model.name]
        if version != model.version:
            continue  # an older fold: the next read rebuilds it
        if position > last:
            found.append(
                Finding(
                    "read model",
                    None,
                    f"read model {model.name!r} claims position {position}, after the last event ({last}):"
                    " the events appended next would never reach it",
                )
            )
            continue
        expected = fold(model, [e for e in events if e.position <= position])
        stored = dict(store.all(model.name))
        documents += len(stored)
        for key in sorted(set(stored) | set(expected)):
            if key in stored and key in expected and _same_json(stored[key], expected[key]):
                continue  # the common case, at the cost of encoding both; any doubt is looked at in detail
            difference = first_difference(_plain(stored.get(key)), expected.get(key))
            if difference is not None:
                meeting = slugs.get(key, key)
                found.append(
                    Finding("read model", meeting, f"read model {model.name!r} of {meeting} is forged at {difference}")
                )
    return found, documents


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
