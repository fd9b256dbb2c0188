"""What a command is made of and what it returns: a `Step` checked and ready, and what was `Saved`.

Their own module so the command mixins build steps without importing `ledger.application`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ledger.meeting import Meeting
    from ledger.roles import Subject


class Step(NamedTuple):
    """A command with its input checked, ready for a loaded meeting: the action the account must be
    allowed (to `subject`), and the change, which returns what happened in words.

    Every command is one step run by `_update`; a re-import (`ledger/updating.py`) runs several
    on one meeting and appends them together, through the same checks.
    """

    action: str
    change: Callable[[Meeting], str]
    subject: Callable[[Meeting], Subject] | None = None


class Saved(NamedTuple):
    """What a command appended: the global position of its last event, and what happened."""

    position: int
    summary: str
