"""The agenda commands of `Ledger`: propose, retitle, move and withdraw a topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ledger import people, text
from ledger.roles import proposer_of
from ledger.steps import Step

if TYPE_CHECKING:
    from ledger.meeting import Meeting
    from ledger.steps import Saved


class AgendaCommands:
    """The topics of a meeting's agenda: mixed into `Ledger`."""

    # Provided by Ledger.
    _run: Callable[..., Saved]

    def propose_topic(self, slug: str, title: str, proposer: str | None, parent_id: int | None = None) -> Saved:
        """Add a topic; its proposer is the person named, else whoever is acting."""
        return self._run(slug, self.propose_topic_step(slug, title, proposer, parent_id))

    def propose_topic_step(self, slug: str, title: str, proposer: str | None, parent_id: int | None) -> Step:
        title = text.check("topic_title", title)
        named = people.display_name(proposer) if proposer else None

        def change(meeting: Meeting) -> str:
            topic_id = meeting.propose_topic(title, named or people.actor_var.get(), parent_id)
            return f"proposed topic {topic_id} for {slug}"

        return Step("topic-propose", change)

    def retitle_topic(self, slug: str, topic_id: int, title: str) -> Saved:
        return self._run(slug, self.retitle_topic_step(slug, topic_id, title))

    def retitle_topic_step(self, slug: str, topic_id: int, title: str) -> Step:
        title = text.check("topic_title", title)
        done = f"retitled topic {topic_id} of {slug}"
        return _proposers_step("topic-retitle", topic_id, lambda meeting: meeting.retitle_topic(topic_id, title), done)

    def move_topic(self, slug: str, topic_id: int, position: int) -> Saved:
        return self._run(slug, self.move_topic_step(slug, topic_id, position))

    def move_topic_step(self, slug: str, topic_id: int, position: int) -> Step:
        def change(meeting: Meeting) -> str:
            meeting.move_topic(topic_id, position)
            return f"moved topic {topic_id} of {slug} to position {position}"

        return Step("topic-move", change)

    def withdraw_topic(self, slug: str, topic_id: int, reason: str = "") -> Saved:
        return self._run(slug, self.withdraw_topic_step(slug, topic_id, reason))

    def withdraw_topic_step(self, slug: str, topic_id: int, reason: str) -> Step:
        reason = text.check("reason", reason)
        done = f"withdrew topic {topic_id} from {slug}"
        return _proposers_step(
            "topic-withdraw", topic_id, lambda meeting: meeting.withdraw_topic(topic_id, reason), done
        )


def _proposers_step(action: str, topic_id: int, act: Callable[[Meeting], None], done: str) -> Step:
    """A step on one topic that its proposer may take as well as the organizers: `act`, then say what was `done`."""

    def change(meeting: Meeting) -> str:
        act(meeting)
        return done

    return Step(action, change, lambda meeting: proposer_of(meeting, topic_id))
