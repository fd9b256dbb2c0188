"""Agenda: proposed topics with stable ids, one level of sub-topics, numbered like the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.vocabulary import sub_letter


@dataclass(slots=True)
class Topic:
    """A proposed topic. Ids are never reused; `parent_id` makes it a sub-topic."""

    topic_id: int
    title: str
    proposer: str
    parent_id: int | None
    withdrawn: bool = False


@dataclass
class Agenda:
    """Topics in agenda order; each sub-topic follows its parent."""

    topics: list[Topic] = field(default_factory=list)
    next_topic_id: int = 1
    _by_id: dict[int, Topic] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {t.topic_id: t for t in self.topics}

    def find(self, topic_id: int) -> Topic | None:
        topic = self._by_id.get(topic_id)
        return topic if topic is not None and not topic.withdrawn else None

    def active(self) -> list[Topic]:
        return [t for t in self.topics if not t.withdrawn]

    def siblings(self, topic: Topic) -> list[Topic]:
        return [t for t in self.active() if t.parent_id == topic.parent_id]

    def children(self, topic_id: int) -> list[Topic]:
        return [t for t in self.active() if t.parent_id == topic_id]

    def numbering(self) -> dict[int, str]:
        """Displayed numbers ("4", "4a") for the active topics."""
        numbers: dict[int, str] = {}
        top = [t for t in self.active() if t.parent_id is None]
        for position, topic in enumerate(top, start=1):
            numbers[topic.topic_id] = str(position)
            for index, sub in enumerate(self.children(topic.topic_id)):
                numbers[sub.topic_id] = f"{position}{sub_letter(index)}"
        return numbers

    def _end_of_family(self, topics: list[Topic], parent_id: int) -> int:
        return max(i for i, t in enumerate(topics) if parent_id in (t.topic_id, t.parent_id)) + 1

    # ----- recorded outcomes -----------------------------------------------------------------

    def add(self, topic_id: int, title: str, proposer: str, parent_id: int | None) -> None:
        topic = Topic(topic_id=topic_id, title=title, proposer=proposer, parent_id=parent_id)
        self._by_id[topic_id] = topic
        if parent_id is None:
            self.topics.append(topic)
        else:
            self.topics.insert(self._end_of_family(self.topics, parent_id), topic)
        self.next_topic_id = max(self.next_topic_id, topic_id + 1)

    def retitle(self, topic_id: int, title: str) -> None:
        topic = self.find(topic_id)
        assert topic is not None
        topic.title = title

    def move(self, topic_id: int, position: int) -> None:
        """Put the topic (with its sub-topics) at a 1-based position among its siblings."""
        topic = self.find(topic_id)
        assert topic is not None
        block = [topic] + [t for t in self.topics if t.parent_id == topic_id]
        rest = [t for t in self.topics if t not in block]
        siblings = [t for t in rest if t.parent_id == topic.parent_id and not t.withdrawn]
        if position - 1 < len(siblings):
            anchor = rest.index(siblings[position - 1])
        elif topic.parent_id is None:
            anchor = len(rest)
        else:
            anchor = self._end_of_family(rest, topic.parent_id)
        self.topics = rest[:anchor] + block + rest[anchor:]

    def withdraw(self, topic_id: int) -> None:
        """Withdrawing a topic withdraws its sub-topics with it."""
        for topic in self.topics:
            if topic.topic_id == topic_id or topic.parent_id == topic_id:
                topic.withdrawn = True

    # ----- storage -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        topics = [
            {
                "topic_id": t.topic_id,
                "title": t.title,
                "proposer": t.proposer,
                "parent_id": t.parent_id,
                "withdrawn": t.withdrawn,
            }
            for t in self.topics
        ]
        return {"topics": topics, "next_topic_id": self.next_topic_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Agenda:
        topics = [
            Topic(t["topic_id"], t["title"], t["proposer"], t["parent_id"], t["withdrawn"]) for t in data["topics"]
        ]
        return cls(topics=topics, next_topic_id=data["next_topic_id"])
