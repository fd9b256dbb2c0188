"""The `Ledger` command that appends a whole meeting from a plan (the plans are ledger/importing.py).

Apart from its plans, so that every other command starts without building the plan classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.application import Ledger
    from ledger.importing import Imported, MeetingPlan


class ImportCommands:
    """The `Ledger` command that appends a whole meeting from a plan."""

    def import_meeting(
        self, plan: MeetingPlan, *, dry_run: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> Imported:
        """Append the plan's meeting in one save; `dry_run` reports the outcome and writes nothing.

        `progress(done, total)` hears of each step: the details, the sign-ups, the topics and
        notes, and the append itself (the step that grows with the page).
        """
        from ledger.importing import Imported, _Build

        cast("Ledger", self)._authorize("create")
        total = 4
        tell = progress or (lambda done, total: None)
        build = _Build(plan)
        meeting = build.meeting()
        tell(1, total)
        build.sign_ups(meeting)
        tell(2, total)
        build.notes(meeting, build.topics(meeting))
        tell(3, total)
        events = len(meeting.pending_events)
        refusals = tuple(build.refusals)
        if dry_run:
            return Imported(meeting.slug, events, 0, refusals)
        saved = cast("Ledger", self)._save_new(
            meeting,
            f"imported {meeting.slug}",
            f"; nothing was imported (--update {meeting.slug} applies a page to it)",
        )
        tell(total, total)
        return Imported(meeting.slug, events, saved.position, refusals)
