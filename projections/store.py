"""Read-model storage beside the events, in the same database, each model with its position.

Every model's documents and its position move in one transaction, under a lock, so each
event is applied exactly once even when several processes catch up at the same time.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import orjson

from ledger.errors import StorageError
from ledger.storage.adapter import STREAMS_PER_QUERY
from projections.events import LedgerEvent, decode, decode_rows, kind_of

# Events per transaction. Measured on 100,000 events: 1,000 rebuilds as fast as 5,000, and
# its peak memory stays within a sixth of a one-batch rebuild's (5,000: two thirds more).
BATCH_SIZE = 1_000
GET_CHUNK = 500  # keys per document query: well under SQLite's bound on parameters


class ReadModel(Protocol):
    """A read model: which events it folds, under which document key, and how.

    `apply` works on the model's in-memory state; `load` and `dump` convert it from and
    to the stored JSON document, once per document per batch rather than once per event.
    """

    name: str
    version: int  # raise when the fold changes: stored documents are then rebuilt
    kinds: frozenset[str]
    # Kinds whose `apply` ignores the state it is given (a creation, a deletion): a batch
    # whose first event for a document is one of them need not read the stored document.
    replaces: frozenset[str]
    # Kinds from whose events `apply` keeps personal data (`ledger.privacy.personal_fields`) in the
    # state. An erasure rewrites a document only when it folded an event of one of these that held
    # the person's data; the other kinds the model only counts or orders by (their personal fields
    # never reach its documents: tests/test_kinds.py folds each one with those fields erased).
    personal_kinds: frozenset[str]

    def key(self, event: LedgerEvent) -> str | None: ...

    def apply(self, state: Any, event: LedgerEvent) -> Any: ...

    def load(self, doc: dict[str, Any]) -> Any: ...

    def dump(self, state: Any) -> dict[str, Any]: ...


class PerMeeting:
    """A model with one document per meeting, begun afresh by the meeting's first event."""

    replaces = frozenset({"Scheduled"})

    def key(self, event: LedgerEvent) -> str | None:
        return event.meeting_id


class DocumentModel:
    """A model whose state is its JSON document itself."""

    replaces: frozenset[str] = frozenset()

    def load(self, doc: dict[str, Any]) -> Any:
        return doc

    def dump(self, state: Any) -> dict[str, Any]:
        return state


class ReadStore:
    """Documents keyed by (model, key) plus one position per model, in the ledger's database."""

    def __init__(self, app: Any) -> None:
        self.storage = app.storage
        self.keyring = app.keyring
        self._watch: Any = None
        self._watch_lock = threading.Lock()
        self._ensure_tables()

    # ----- schema ------------------------------------------------------------------------

    def _ensure_tables(self) -> None:
        d = self.storage
        with self.transaction(write=False) as cursor:
            if d.postgres:
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (d.prefix + "read_model_docs",))
            else:
                cursor.execute("SELECT count(*) > 0 AS ok FROM sqlite_master WHERE name = 'read_model_docs'")
            row = cursor.fetchone()
            if row and row["ok"]:
                return
        with self.transaction(write=True) as cursor:
            self._lock(cursor)
            cursor.execute(
                d.sql(
                    "CREATE TABLE IF NOT EXISTS {p}read_model_positions ("
                    " model TEXT PRIMARY KEY, position BIGINT NOT NULL, version INTEGER NOT NULL)"
                )
            )
            cursor.execute(
                d.sql(
                    "CREATE TABLE IF NOT EXISTS {p}read_model_docs ("
                    " model TEXT NOT NULL, doc_key TEXT NOT NULL, body TEXT NOT NULL,"
                    " PRIMARY KEY (model, doc_key))"
                )
            )

    def transaction(self, *, write: bool) -> AbstractContextManager[Any]:
        return self.storage.transaction(write=write)

    def _lock(self, cursor: Any) -> None:
        """Serialise catch-up: PostgreSQL by an advisory lock; SQLite's write transactions
        already hold the write lock from their first statement (BEGIN IMMEDIATE)."""
        if self.storage.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(727002)")

    # ----- events ------------------------------------------------------------------------

    def _select_events(self, cursor: Any, after: int, limit: int) -> list[LedgerEvent]:
        return decode_rows(self.storage.select_events(cursor, after, limit), self.keyring)

    def change_counter(self) -> int | None:
        """A number that changes whenever another connection commits to the database.

        SQLite's `PRAGMA data_version` answers without a transaction or a table read, so a
        feed server can skip the position query on requests that follow no write. None
        where there is no such cheap signal (PostgreSQL): ask `last_position()` instead.
        """
        if self.storage.postgres:
            return None
        with self._watch_lock:
            if self._watch is None:
                self._watch = self.storage.open_watch()
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def last_position(self) -> int:
        return int(self.storage.last_position())

    def meeting_events(self, meeting_id: str) -> list[LedgerEvent]:
        """One meeting's whole stream, in order (for --as-of and for checks)."""
        with self.transaction(write=False) as cursor:
            return self._stream(cursor, meeting_id)

    def _stream(self, cursor: Any, meeting_id: str) -> list[LedgerEvent]:
        rows = self.storage.select_stream(cursor, meeting_id, -1)
        return [
            decode(r["position"], r["originator_id"], r["originator_version"], r["topic"], r["state"], self.keyring)
            for r in rows
        ]

    def _streams(self, cursor: Any, meeting_ids: Sequence[str]) -> Iterator[list[LedgerEvent]]:
        """The whole streams of these meetings, each in order: a few queries for many meetings, and
        the keys of each query's events read at once (as a catch-up reads them)."""
        wanted = list(dict.fromkeys(meeting_ids))
        for start in range(0, len(wanted), STREAMS_PER_QUERY):
            streams: dict[str, list[LedgerEvent]] = {}
            rows = self.storage.select_streams(cursor, wanted[start : start + STREAMS_PER_QUERY])
            for event in decode_rows(rows, self.keyring):
                streams.setdefault(event.meeting_id, []).append(event)
            yield from streams.values()

    # ----- positions and documents -------------------------------------------------------------

    def positions(self, cursor: Any | None = None) -> dict[str, tuple[int, int]]:
        def read(c: Any) -> dict[str, tuple[int, int]]:
            c.execute(self.storage.sql("SELECT model, position, version FROM {p}read_model_positions"))
            return {r["model"]: (int(r["position"]), int(r["version"])) for r in c.fetchall()}

        if cursor is not None:
            return read(cursor)
        with self.transaction(write=False) as c:
            return read(c)

    def get(self, model: str, key: str) -> dict[str, Any] | None:
        with self.transaction(write=False) as cursor:
            return self._get(cursor, model, key)

    def _get(self, cursor: Any, model: str, key: str) -> dict[str, Any] | None:
        cursor.execute(
            self.storage.sql("SELECT body FROM {p}read_model_docs WHERE model = ? AND doc_key = ?"), (model, key)
        )
        row = cursor.fetchone()
        return _loaded(model, key, row["body"]) if row else None

    def get_many(self, model: str, keys: set[str]) -> dict[str, dict[str, Any] | None]:
        """Several documents in one read (a series' occurrences)."""
        with self.transaction(write=False) as cursor:
            return self._get_many(cursor, model, keys)

    def _get_many(self, cursor: Any, model: str, keys: set[str]) -> dict[str, dict[str, Any] | None]:
        """Every key's stored document (None where there is none), in chunks of GET_CHUNK keys."""
        found: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
        ordered = sorted(keys)
        for start in range(0, len(ordered), GET_CHUNK):
            chunk = ordered[start : start + GET_CHUNK]
            marks = ", ".join("?" * len(chunk))
            cursor.execute(
                self.storage.sql(
                    f"SELECT doc_key, body FROM {{p}}read_model_docs WHERE model = ? AND doc_key IN ({marks})"
                ),
                (model, *chunk),
            )
            for row in cursor.fetchall():
                found[row["doc_key"]] = _loaded(model, row["doc_key"], row["body"])
        return found

    def containing(self, model: str, text: str) -> list[tuple[str, dict[str, Any]]]:
        """The model's documents whose stored JSON contains `text`, in key order.

        A filter the database runs over the raw text, so only candidate documents are
        decoded; callers check what they need in the decoded document.
        """
        d = self.storage
        match = "strpos(body, ?) > 0" if d.postgres else "instr(body, ?) > 0"
        with self.transaction(write=False) as cursor:
            cursor.execute(
                d.sql(f"SELECT doc_key, body FROM {{p}}read_model_docs WHERE model = ? AND {match} ORDER BY doc_key"),
                (model, text),
            )
            return [(r["doc_key"], _loaded(model, r["doc_key"], r["body"])) for r in cursor.fetchall()]

    def all(self, model: str) -> list[tuple[str, dict[str, Any]]]:
        with self.transaction(write=False) as cursor:
            cursor.execute(
                self.storage.sql("SELECT doc_key, body FROM {p}read_model_docs WHERE model = ? ORDER BY doc_key"),
                (model,),
            )
            return [(r["doc_key"], _loaded(model, r["doc_key"], r["body"])) for r in cursor.fetchall()]

    def bodies(self, model: str) -> dict[str, str]:
        """Every document of the model as stored: its JSON text, not decoded (`verify --deep` compares it)."""
        with self.transaction(write=False) as cursor:
            cursor.execute(self.storage.sql("SELECT doc_key, body FROM {p}read_model_docs WHERE model = ?"), (model,))
            return {r["doc_key"]: r["body"] for r in cursor.fetchall()}

    def _put(self, cursor: Any, model: str, docs: dict[str, dict[str, Any] | None]) -> None:
        d = self.storage
        deleted = [(model, key) for key, doc in docs.items() if doc is None]
        # In key order: neighbouring inserts land on the same B-tree pages (a quarter faster).
        stored = [(model, key, encode_document(doc)) for key, doc in sorted(docs.items()) if doc is not None]
        if deleted:
            cursor.executemany(d.sql("DELETE FROM {p}read_model_docs WHERE model = ? AND doc_key = ?"), deleted)
        if stored:
            cursor.executemany(
                d.sql(
                    "INSERT INTO {p}read_model_docs (model, doc_key, body) VALUES (?, ?, ?)"
                    " ON CONFLICT (model, doc_key) DO UPDATE SET body = excluded.body"
                ),
                stored,
            )

    def _set_position(self, cursor: Any, model: ReadModel, position: int) -> None:
        cursor.execute(
            self.storage.sql(
                "INSERT INTO {p}read_model_positions (model, position, version) VALUES (?, ?, ?)"
                " ON CONFLICT (model) DO UPDATE SET position = excluded.position, version = excluded.version"
            ),
            (model.name, position, model.version),
        )

    # ----- catching up -------------------------------------------------------------------------

    def is_current(self, models: Sequence[ReadModel]) -> bool:
        positions = self.positions()
        last = self.last_position()
        return all(m.name in positions and positions[m.name] == (last, m.version) for m in models)

    def catch_up(self, models: Sequence[ReadModel], progress: Any = None) -> int:
        """Apply every event the models have not seen; return how many events were read."""
        if self.is_current(models):
            return 0
        with cyclic_gc_paused():
            return self._catch_up(models, progress)

    def _catch_up(self, models: Sequence[ReadModel], progress: Any) -> int:
        by_kind: dict[str, list[ReadModel]] = {}
        for model in models:
            for kind in model.kinds:
                by_kind.setdefault(kind, []).append(model)
        seen = 0
        while True:
            with self.transaction(write=True) as cursor:
                self._lock(cursor)
                positions = self.positions(cursor)
                # A model whose fold changed starts again from nothing.
                for model in models:
                    stored = positions.get(model.name)
                    if stored is not None and stored[1] != model.version:
                        self._forget(cursor, model)
                        positions[model.name] = (0, model.version)
                start = {m.name: positions.get(m.name, (0, m.version))[0] for m in models}
                events = self._select_events(cursor, min(start.values()), BATCH_SIZE)
                if not events:
                    for model in models:
                        if model.name not in positions:
                            self._set_position(cursor, model, 0)
                    return seen
                # One pass over the batch sorts each event to the models that fold its kind.
                keyed: dict[str, list[tuple[str, LedgerEvent]]] = {m.name: [] for m in models}
                routes = {
                    kind: [(m.key, keyed[m.name].append, start[m.name]) for m in interested]
                    for kind, interested in by_kind.items()
                }
                for event in events:
                    for key_of, append, seen_up_to in routes.get(event.kind, ()):
                        if event.position > seen_up_to:  # models can stand at different positions
                            key = key_of(event)
                            if key is not None:
                                append((key, event))
                for model in models:
                    if start[model.name] >= events[-1].position:
                        continue  # ahead of this batch (another model is being rebuilt): keep its position
                    states: dict[str, Any] = {}
                    wanted: set[str] = set()  # documents whose stored state the batch needs
                    for key, event in keyed[model.name]:
                        if key not in states:
                            states[key] = None
                            if event.kind not in model.replaces:
                                wanted.add(key)
                    # One query per chunk of keys rather than one per document.
                    for key, doc in self._get_many(cursor, model.name, wanted).items():
                        if doc is not None:
                            states[key] = model.load(doc)
                    apply = model.apply
                    for key, event in keyed[model.name]:
                        states[key] = apply(states[key], event)
                    self._put(
                        cursor,
                        model.name,
                        {key: None if state is None else model.dump(state) for key, state in states.items()},
                    )
                    self._set_position(cursor, model, events[-1].position)
            seen += len(events)
            if progress is not None:
                progress(len(events))

    def rewrite(self, models: Sequence[ReadModel], held: Mapping[str, Collection[str]]) -> None:
        """Rebuild documents of these meetings from their events, after an erasure: the stored
        documents hold plain text that the events no longer give. `held` maps each meeting's id
        to the topics of its events that held the erased data; only the documents of models that
        keep personal data from one of those kinds can hold it. Every other document and every
        position stays as it is."""
        self.catch_up(models)
        with self.transaction(write=True) as cursor, cyclic_gc_paused():
            self._lock(cursor)
            positions = self.positions(cursor)
            rewritten: dict[str, dict[str, dict[str, Any] | None]] = {model.name: {} for model in models}
            for events in self._streams(cursor, list(held)):
                meeting_id = events[0].meeting_id
                kinds_held = {kind_of(topic) for topic in held[meeting_id]}
                for model in models:
                    if model.personal_kinds.isdisjoint(kinds_held):
                        continue
                    upto = positions.get(model.name, (0, model.version))[0]
                    kinds, key, apply = model.kinds, model.key, model.apply
                    state: Any = None
                    for event in events:
                        if event.kind in kinds and event.position <= upto and key(event) == meeting_id:
                            state = apply(state, event)
                    rewritten[model.name][meeting_id] = None if state is None else model.dump(state)
            for name, docs in rewritten.items():  # one statement a model, as a catch-up writes
                self._put(cursor, name, docs)

    def reset(self, models: Sequence[ReadModel]) -> None:
        """Forget the models' documents so the next catch-up rebuilds them from the first event."""
        with self.transaction(write=True) as cursor:
            self._lock(cursor)
            for model in models:
                self._forget(cursor, model)

    def _forget(self, cursor: Any, model: ReadModel) -> None:
        """Drop the model's documents and put it back before the first event."""
        cursor.execute(self.storage.sql("DELETE FROM {p}read_model_docs WHERE model = ?"), (model.name,))
        self._set_position(cursor, model, 0)


def _loaded(model: str, key: str, body: str) -> dict[str, Any]:
    """A stored document. One that is not JSON was written outside the ledger: a clear refusal, not a crash."""
    try:
        document: dict[str, Any] = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise StorageError(
            f"the {model} read model's document {key} is damaged: 'meetings verify --deep' names what else"
            " was changed, and 'meetings rebuild' writes the read models again from the events"
        ) from None
    return document


def encode_document(doc: dict[str, Any]) -> str:
    """A document's stored text: the same document always gives the same text (its keys sorted)."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()


_gc_pause_lock = threading.Lock()
_gc_pauses = 0  # catch-ups running now in this process (the feed server has several threads)
_gc_was_enabled = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch's thousands of small objects are alive.

    Decoded events and documents hold no reference cycles, so reference counting frees each
    batch on its own; the collector would only re-scan the live batch again and again, which
    cost a third of a rebuild's time. The collector is process-wide, so overlapping catch-ups
    count themselves and the last one out restores what the first one found.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_pause_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
