"""Group commit: writes to one meeting asked for at the same time, taken together in one load and one append.

A server receives many writes to a meeting at once (a hundred sign-ups when it opens). Alone, each loads
the meeting and appends, and all but one lose the race and load again. Here the first caller for a meeting
becomes its committer: it takes every step queued for that meeting so far, loads the meeting once, applies
each step in turn as the account that asked for it (the same permission check as alone), and appends all
their events in one atomic save. Callers arriving meanwhile queue for the next batch; nobody waits for a
batch to fill. Each caller gets its own outcome: what its step saved, or its own refusal. A refused step is
left out and the others are applied again without it, so it changes nothing and fails no one else.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ledger import people
from ledger.errors import LedgerError
from ledger.steps import Saved, Step

if TYPE_CHECKING:
    from ledger.meeting import Meeting


@dataclass(frozen=True)
class Request:
    """A step and who asked for it: the authenticated account and the person acted for (empty: its own)."""

    step: Step
    principal: str
    actor: str

    @classmethod
    def here(cls, step: Step) -> Request:
        """The step, asked for by the account authenticated in this context."""
        return cls(step, people.principal_var.get(), people.actor_var.get())


@contextmanager
def acting_as(request: Request) -> Iterator[None]:
    """Events made inside record the request's account and person, as they would if it ran alone."""
    principal, actor = people.principal_var.get(), people.actor_var.get()
    people.principal_var.set(request.principal)
    people.actor_var.set(request.actor)
    try:
        yield
    finally:
        people.principal_var.set(principal)
        people.actor_var.set(actor)


@dataclass
class _Waiting:
    request: Request
    outcome: Saved | BaseException | None = None
    done: bool = False


@dataclass
class _Queue:
    waiting: list[_Waiting] = field(default_factory=list)
    busy: bool = False  # a committer is applying and appending a batch of this meeting


class _Committers:
    """The queues of the meetings being written to, behind one lock."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.queues: dict[str, _Queue] = {}


class BatchCommands:
    """Several steps on one meeting appended together: mixed into `Ledger`."""

    # Provided by Ledger.
    _retrying: Callable[..., Any]
    _apply: Callable[..., str]
    _append: Callable[..., list[Any]]
    get_meeting: Callable[[str], Meeting]

    def run_steps(self, slug: str, requests: Sequence[Request]) -> list[Saved | LedgerError]:
        """Apply each request's step to one load of the meeting, as its own account, and append all their
        events in one atomic save; answer each with what it saved or with its own refusal.

        A refused step may have changed the meeting in memory before refusing, so the meeting is loaded
        again and the remaining steps applied without it. A lost race re-runs the whole batch on fresh state.
        """

        def attempt() -> list[Saved | LedgerError]:
            refused: dict[int, LedgerError] = {}
            while True:
                chosen = [i for i in range(len(requests)) if i not in refused]
                if not chosen:
                    return [refused[i] for i in range(len(requests))]
                with acting_as(requests[chosen[0]]):  # a new occurrence's first event records the first asker
                    meeting = self.get_meeting(slug)
                applied: dict[int, tuple[str, int, int]] = {}  # index: summary, pending events before, after
                for i in chosen:
                    before = len(meeting.pending_events)
                    try:
                        with acting_as(requests[i]):
                            summary = self._apply(meeting, requests[i].step)
                    except LedgerError as error:
                        refused[i] = error
                        break
                    applied[i] = (summary, before, len(meeting.pending_events))
                else:
                    break
            recordings = self._append(meeting)
            outcomes: list[Saved | LedgerError] = []
            for i in range(len(requests)):
                if i in refused:
                    outcomes.append(refused[i])
                    continue
                summary, before, after = applied[i]
                position = recordings[after - 1].notification.id if after > before else 0
                outcomes.append(Saved(position, summary))
            return outcomes

        result: list[Saved | LedgerError] = self._retrying(attempt)
        return result

    def run_together(self, slug: str, step: Step) -> Saved:
        """Run one step as the authenticated account, in a batch with the steps asked for the same meeting
        at the same time by other threads (see the module's docstring); raise its own refusal."""
        me = _Waiting(Request.here(step))
        committers = self._committers
        with committers.changed:
            queue = committers.queues.setdefault(slug, _Queue())
            queue.waiting.append(me)
            while not me.done and queue.busy:
                committers.changed.wait()
            batch: list[_Waiting] = []
            if not me.done:
                queue.busy = True
                batch, queue.waiting = queue.waiting, []
        if batch:
            outcomes: Sequence[Saved | BaseException]
            try:
                outcomes = self.run_steps(slug, [waiting.request for waiting in batch])
            except BaseException as error:  # noqa: BLE001 - every caller of the batch is answered with it
                outcomes = [error] + [copy.copy(error) for _ in batch[1:]]
            with committers.changed:
                for waiting, outcome in zip(batch, outcomes, strict=True):
                    waiting.outcome, waiting.done = outcome, True
                queue.busy = False
                if not queue.waiting:
                    committers.queues.pop(slug, None)
                committers.changed.notify_all()
        if isinstance(me.outcome, BaseException):
            raise me.outcome
        assert me.outcome is not None
        return me.outcome

    @property
    def _committers(self) -> _Committers:
        found: _Committers | None = self.__dict__.get("_group_committers")
        if found is None:
            with _CREATING:
                found = self.__dict__.setdefault("_group_committers", _Committers())
        return found


_CREATING = threading.Lock()
