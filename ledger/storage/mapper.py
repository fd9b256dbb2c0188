"""eventsourcing's mapper and event store, sealing each meeting event's personal data as it is stored.

Encryption happens here, on the way in, because only here are the event's kind and fields
both at hand; decryption happens in `ledger.privacy.reveal`, called by the transcoder.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from eventsourcing.persistence import EventStore, Mapper, Notification, Recording, StoredEvent
from eventsourcing.utils import get_topic

from ledger import privacy
from ledger.storage.adapter import WriteConflict

if TYPE_CHECKING:
    from ledger.transcoding import LedgerTranscoder

_MEETING = "meeting-ledger:Meeting."
_DIRECTORY = "meeting-ledger:Directory."
# Set to 1, the ledger stores personal data in plain text as it did before it was encrypted:
# the benchmark's baseline, and the tests' ledgers "made by the previous version".
PLAIN_ENV = "MEETINGS_PLAINTEXT_EVENTS"
_SEALED_FIELDS = (privacy.ENVELOPES, privacy.RUNS)


class SealingMapper(Mapper):  # type: ignore[type-arg,unused-ignore]
    def __init__(self, transcoder: LedgerTranscoder, app: Any) -> None:
        super().__init__(transcoder)
        self.ledger_transcoder = transcoder
        # A weak reference: the application must stay free of reference cycles, so that dropping
        # it closes its connections (and the last close checkpoints SQLite's write-ahead log).
        self.app = weakref.proxy(app)
        self.sealing = os.environ.get(PLAIN_ENV) != "1"
        self._authors: dict[tuple[Any, str], dict[str, str]] = {}  # (meeting id, section) -> line -> key id
        self._new_streams: set[Any] = set()  # the streams the batch being mapped starts

    def reset(self) -> None:
        """Forget the notes lines seen: a new command reads them from the events again."""
        self._authors.clear()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        if topic.startswith(_MEETING):
            kind = topic[len(_MEETING) :]
        elif topic.startswith(_DIRECTORY):  # accounts and muting name people too
            kind = "Directory." + topic[len(_DIRECTORY) :]
        else:
            kind = ""
        if not self.sealing or not kind or topic.endswith("Snapshot"):
            return super().to_stored_event(domain_event)
        event_state = dict(vars(domain_event))
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        # The fields sealing adds are plain JSON it builds itself; an event of its own with such a
        # field (there is none) would be walked like any other.
        built = () if privacy.ENVELOPES in event_state or privacy.RUNS in event_state else _SEALED_FIELDS
        privacy.seal_state(
            kind,
            event_state,
            self.app.keyring,
            lambda: self._line_authors(originator_id, str(event_state.get("section")), originator_version),
        )
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=self.ledger_transcoder.encode_sealed(event_state, built),
        )

    def to_stored_events(self, domain_events: Sequence[Any]) -> list[StoredEvent]:
        """A whole batch's stored events, reading what sealing needs in one read transaction.

        Sealing looks up each new person's key and, for a notes edit, who wrote each line before:
        a query each, which in a transaction of its own costs a connection and a BEGIN apiece.
        A stream the batch starts (version 1) has nothing stored yet, so its notes are not read.
        """
        self._new_streams = {e.originator_id for e in domain_events if e.originator_version == 1}
        try:
            if len(domain_events) < 2 or not self.sealing:
                return [self.to_stored_event(e) for e in domain_events]
            with self.app.storage.reading():
                return [self.to_stored_event(e) for e in domain_events]
        finally:
            self._new_streams = set()

    def _line_authors(self, meeting_id: Any, section: str, version: int) -> dict[str, str]:
        cached = self._authors.get((meeting_id, section))
        if cached is None and meeting_id in self._new_streams:
            cached = self._authors[(meeting_id, section)] = {}
        if cached is None:
            cached = {}
            states = list(self.app.storage.select_states(meeting_id, f"{_MEETING}NotesEdited", version - 1))
            for state in reversed(states):  # oldest first: a line belongs to whoever first wrote it
                data = orjson.loads(state)
                if data.get("section") == section:
                    for line, key_id in privacy.run_authors(data, self.app.keyring).items():
                        cached.setdefault(line, key_id)
            self._authors[(meeting_id, section)] = cached
        return cached


class SealingEventStore(EventStore):  # type: ignore[type-arg,unused-ignore]
    """Stores the person keys an append made before its events, in their own transaction."""

    def __init__(self, mapper: SealingMapper, recorder: Any, app: Any) -> None:
        super().__init__(mapper, recorder)
        self.sealing_mapper = mapper
        self.app = weakref.proxy(app)

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> Any:
        keyring = self.app.keyring
        try:
            stored_events = self.sealing_mapper.to_stored_events(domain_events)
            if not keyring.flush():
                raise WriteConflict  # another process made a key for one of these people: redo
        except BaseException:
            keyring.discard_new()
            raise
        recordings = []
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        if notification_ids:
            for d, s, n_id in zip(domain_events, stored_events, notification_ids, strict=True):
                notification = Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                )
                recordings.append(Recording(d, notification))
        return recordings
