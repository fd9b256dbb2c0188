"""What a meeting page says, in the page's own terms, and the lines the parser left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time


@dataclass(frozen=True)
class Problem:
    """A line the parser could not understand, and why; it was left out."""

    line: int
    text: str
    reason: str


@dataclass
class ParsedAttendee:
    """One sign-up as the page wrote it. `waitlist` is the place on the waitlist, when given."""

    name: str
    mode: str
    remark: str
    line: int
    email: str | None = None
    waitlist: int | None = None


@dataclass
class ParsedTopic:
    """A proposed topic; `proposer` is None when the page names nobody."""

    title: str
    proposer: str | None
    line: int
    subtopics: list[ParsedTopic] = field(default_factory=list)


@dataclass
class NoteSection:
    """Notes under a heading that names a topic: `topic` is (index, sub-index or None)."""

    heading: str
    text: str
    line: int
    topic: tuple[int, int | None]


@dataclass
class ParsedPage:
    """Everything a meeting page says, in the page's own terms."""

    title: str | None = None
    description: str = ""
    schedule_text: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    zone: str | None = None
    location: str | None = None
    video_url: str | None = None
    limit: int | None = None
    over_capacity: bool = False  # the page says more people hold seats than the limit allows
    attendees: list[ParsedAttendee] = field(default_factory=list)
    topics: list[ParsedTopic] = field(default_factory=list)
    notes: list[NoteSection] = field(default_factory=list)
    general_notes: str = ""
    problems: list[Problem] = field(default_factory=list)
