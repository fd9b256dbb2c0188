"""The `Ledger` command that takes an existing meeting to a plan (the comparison is ledger/updating.py).

Apart from the comparison, so that every other command starts without importing it and the import plans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ledger.application import Ledger
    from ledger.importing import MeetingPlan
    from ledger.updating import Updated


class UpdateCommands:
    """The `Ledger` command that takes an existing meeting to a plan."""

    def update_meeting(self, slug: str, plan: MeetingPlan, *, dry_run: bool = False) -> Updated:
        """Append, in one save, the events that take meeting `slug` to the plan; `dry_run` appends nothing."""
        from ledger.updating import update_meeting

        return update_meeting(cast("Ledger", self), slug, plan, dry_run=dry_run)
