"""Editing details: an edit records only the values it changes, and one that changes nothing is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.errors import RuleError

if TYPE_CHECKING:
    from collections.abc import Mapping


def effective(current: Mapping[str, Any], changes: Mapping[str, Any], what: str) -> dict[str, Any]:
    """The changes whose values differ from `current`; refused, naming `what`, when none does."""
    found = {name: value for name, value in changes.items() if current[name] != value}
    if not found:
        raise RuleError(f"{what}: nothing to change")
    return found


def apply(target: object, changes: Mapping[str, Any]) -> None:
    """Set each changed detail on the aggregate (only ever from its `@event` method)."""
    for name, value in changes.items():
        setattr(target, name, value)
