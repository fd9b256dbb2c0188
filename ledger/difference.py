"""Where two JSON documents first differ, said in a line: how `verify --deep` names a forged field."""

from __future__ import annotations

from typing import Any

SHOWN = 60  # characters of each value quoted


def first_difference(stored: Any, expected: Any, path: str = "") -> str | None:
    """The first path at which `stored` and `expected` differ, with both values, or None if they are equal."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        for key in sorted(set(stored) | set(expected), key=str):
            found = first_difference(stored.get(key), expected.get(key), f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(stored, list) and isinstance(expected, list) and len(stored) == len(expected):
        for index, (a, b) in enumerate(zip(stored, expected, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if stored == expected and type(stored) is type(expected):
        return None
    return f"{path or 'the top'}: stored {_short(stored)}, the events give {_short(expected)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
