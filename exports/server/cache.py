"""Rendered answers kept in memory, each with the ledger position it was rendered from, bounded in bytes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

MAX_BYTES = 64 * 1024 * 1024  # what the rendered answers together may hold: memory stays flat however asked


@dataclass(frozen=True)
class Rendered:
    """A response body with the validators that go with it."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None

    @classmethod
    def of(cls, body: bytes, content_type: str, last_modified: datetime | None) -> Rendered:
        # Strong ETag: the same bytes always give the same tag, any change gives a new one.
        return cls(body, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', last_modified)


@dataclass(frozen=True)
class Entry:
    position: int
    rendered: Rendered


class RenderCache:
    """Least recently used first out once the bodies exceed `max_bytes`.

    An entry from an older position is not an answer for the current one, but it stays until replaced:
    it is the last good state to answer from when the database cannot be read.
    """

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= cost(key, old)
            if cost(key, entry) > self.max_bytes:
                return
            self._entries[key] = entry
            self.size += cost(key, entry)
            while self.size > self.max_bytes:
                self.size -= cost(*self._entries.popitem(last=False))

    def __len__(self) -> int:
        return len(self._entries)


def cost(key: tuple[str, ...], entry: Entry) -> int:
    """The bytes an entry holds: its body, its key and a rough allowance for the objects around them."""
    return len(entry.rendered.body) + sum(len(part) for part in key) + 256
