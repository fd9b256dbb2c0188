"""Errors the application raises; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a request the ledger refused. Exit code 1 at the CLI."""

    exit_code = 1


class NotFoundError(LedgerError):
    """The meeting, attendee, topic or revision asked for does not exist."""


class RuleError(LedgerError):
    """A domain rule refuses the request (duplicate sign-up, cancelled meeting...)."""


class PermissionDeniedError(RuleError):
    """The authenticated account lacks the role an action needs (the message names the role)."""


class NotesConflictError(RuleError):
    """A notes edit based on a stale revision overlaps a change made since."""

    def __init__(self, message: str, conflicting_lines: list[str]) -> None:
        super().__init__(message)
        self.conflicting_lines = conflicting_lines


class BadInputError(LedgerError):
    """The input itself is malformed (unknown time zone, control characters...). Exit 2."""

    exit_code = 2


class StorageError(LedgerError):
    """The database could not be reached or written (locked, read-only, full)."""
