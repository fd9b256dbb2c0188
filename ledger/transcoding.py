"""How events and snapshots become bytes and back: eventsourcing's JSON, by orjson both ways.

The stored format is eventsourcing's own (custom types as {"_type_": ..., "_data_": ...}),
byte for byte; only the code that writes and reads it changes. The standard library calls a
Python hook for every JSON object, which made decoding the snapshot of a long meeting (a few
hundred kilobytes: its roster, agenda and notes) most of the time it takes to load.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding

from ledger.privacy import reveal

# The types the standard library's encoder writes itself, subclasses included (never through `default`).
_NATIVE = (str, int, float, list, tuple, dict)


class _NotPlainError(Exception):
    """A value orjson might write differently from eventsourcing's encoder."""


def _not_plain() -> str:
    raise _NotPlainError


class AsDict(Transcoding):
    """A value class stored through its to_dict/from_dict, whose dict is plain JSON.

    Plain means no custom-typed values inside, so the decoder hands the dict over as is.
    """

    def __init__(self, cls: Any, name: str) -> None:
        self.type = cls
        self.name = name

    def encode(self, obj: Any) -> dict[str, Any]:
        encoded: dict[str, Any] = obj.to_dict()
        return encoded

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type.from_dict(data)  # type: ignore[attr-defined]


class LedgerTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder, decoding with orjson and one walk over the result.

    orjson reads what the ledger stores exactly as the standard library does. It differs
    only outside that: integers beyond 64 bits become floats, and NaN or Infinity are
    refused. The ledger stores no floats, and its integers are bounded counters and
    capacities (ledger/text.py, ledger/application.py), so neither can occur.
    """

    keyring: Any = None  # ledger.privacy.Keyring: set by the application

    def encode(self, obj: Any) -> bytes:
        """eventsourcing's exact bytes, written by orjson from a copy with the custom types encoded.

        orjson writes compact JSON, UTF-8 unescaped, and escapes every string exactly as the
        standard library's encoder (separators ",", ":", ensure_ascii off) does. What the two
        could write differently (floats, integers beyond 64 bits, subclasses of the JSON
        types, keys that are not strings) goes to eventsourcing's own encoder instead.
        """
        try:
            return orjson.dumps(self._plain(obj))
        except (_NotPlainError, orjson.JSONEncodeError, RecursionError):
            return super().encode(obj)

    def encode_sealed(self, state: dict[str, Any], built: tuple[str, ...]) -> bytes:
        """`encode` of an event's state whose `built` fields the ledger itself made of JSON's own types.

        Those are the sealed personal data (`ledger.privacy.seal_state`): lists of dicts of
        strings and lists of strings, often half the state, which need no walk for custom types.
        """
        try:
            return orjson.dumps(
                {
                    key if type(key) is str else _not_plain(): (
                        item if type(item) is str or key in built else self._plain(item)
                    )
                    for key, item in state.items()
                }
            )
        except (_NotPlainError, orjson.JSONEncodeError, RecursionError):
            return super().encode(state)

    def _plain(self, value: Any) -> Any:
        # What eventsourcing's `default` hook does, top-down, leaving JSON's own types as they are.
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is dict:
            return {
                key if type(key) is str else _not_plain(): item if type(item) is str else self._plain(item)
                for key, item in value.items()
            }
        if kind is list or kind is tuple:
            return [item if type(item) is str else self._plain(item) for item in value]
        transcoding = self.types.get(kind)
        if transcoding is None or isinstance(value, _NATIVE):
            raise _NotPlainError
        return {"_type_": transcoding.name, "_data_": self._plain(transcoding.encode(value))}

    def decode(self, data: bytes) -> Any:
        loaded = orjson.loads(data)
        if isinstance(loaded, dict):
            reveal(loaded, self.keyring)  # personal data in plaintext, or "[erased]"
        return self._revive(loaded)

    def _revive(self, value: Any) -> Any:
        # What eventsourcing's object hook does, bottom-up, for every object and array.
        if isinstance(value, dict):
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                transcoding = self.names.get(value["_type_"])
                if transcoding is None:
                    return self._decode_obj(value)  # raises eventsourcing's own error
                inner = value["_data_"]
                return transcoding.decode(inner if isinstance(transcoding, AsDict) else self._revive(inner))
            # Only containers can hold a custom type: scalars are kept without a call.
            return {key: self._revive(item) if isinstance(item, (dict, list)) else item for key, item in value.items()}
        if isinstance(value, list):
            return [self._revive(item) if isinstance(item, (dict, list)) else item for item in value]
        return value
