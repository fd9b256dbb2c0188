"""`meetings verify --deep`: what users see beside the events (snapshots, read models) checked against them.

The hash chain vouches for the events only. Snapshots and read-model documents are caches
written from the events; anyone able to write the database could edit them and change what
loads and reads show. Here each is recomputed from the events and compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from ledger import snapshots
from ledger.difference import first_difference
from ledger.errors import LedgerError
from projections.events import stream_events
from projections.folding import Folding, as_stored
from projections.queries import MODELS
from projections.store import ReadStore, cyclic_gc_paused, encode_document


@dataclass(frozen=True)
class Finding:
    """One cache that no longer equals what the events give, with the meeting it belongs to."""

    kind: str  # "snapshot" or "read model"
    meeting: str | None  # slug, or the id when no slug can be read; None when it is no one meeting's
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "meeting": self.meeting, "message": self.message}


def deep_findings(app: Any, progress: Callable[[int], Any] | None = None) -> tuple[list[Finding], int, int]:
    """Every forged snapshot and read-model document, how many snapshots and documents were checked.

    `progress` is told of every 500 events folded (the deep check is most of `verify --deep`)."""
    with cyclic_gc_paused():  # as a rebuild does: the states folded hold no cycles
        return _deep_findings(app, progress)


def _deep_findings(app: Any, progress: Callable[[int], Any] | None) -> tuple[list[Finding], int, int]:
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
    last = folded = 0
    for event in stream_events(app):
        last = event.position
        folded += 1
        if progress is not None and folded % 500 == 0:
            progress(500)
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
    stored = store.bodies(name)
    checked = len(stored)
    dump = folding.model.dump
    found: dict[str, Finding] = {}
    for key, state in folding.states.items():
        doc = dump(state)
        body = stored.pop(key, None)
        if body is not None and _same_text(doc, body):
            continue  # the common case: the document is the very text a catch-up would have written
        finding = _forged(name, slugs.get(key, key), None if body is None else _decoded(body), as_stored(doc))
        if finding is not None:
            found[key] = finding
    for key, body in stored.items():  # documents the events give no state for
        finding = _forged(name, slugs.get(key, key), _decoded(body), None)
        if finding is not None:
            found[key] = finding
    return [found[key] for key in sorted(found)], checked


def _same_text(doc: dict[str, Any], body: str) -> bool:
    try:
        return encode_document(doc) == body
    except TypeError:  # a value the store could never have written: compared in detail
        return False


def _forged(name: str, meeting: str, stored: Any, expected: Any) -> Finding | None:
    """A finding when the stored document differs, in any value or type (true vs 1), from the events'."""
    difference = first_difference(stored, expected)
    if difference is None:
        return None  # the same values, written differently (spacing, key order)
    return Finding("read model", meeting, f"read model {name!r} of {meeting} is forged at {difference}")


def _decoded(body: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body  # not JSON at all: it differs from any document, and is shown as it is


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
