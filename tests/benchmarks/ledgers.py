"""Building benchmark ledgers fast: events made in-process through the aggregate, many per save.

Running 100,000 CLI processes would take hours; instead each meeting is built with the
aggregate's own methods (so every rule and every stored byte is what the commands would
have written), and many meetings are appended per `app.save` call. The hash chain, the
snapshots and the read models are all produced by the real code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

SAVE_EVERY = 25  # meetings appended per app.save call


def open_app(path: Path, *, snapshots: bool = True) -> Any:
    """The real Ledger on a SQLite file, acting as the benchmark's loader."""
    from ledger import people, storage

    people.actor_var.set("bench-loader")
    # The account the measured `meetings` processes authenticate as: the ledger's admin.
    people.principal_var.set(people.login_name())
    database = storage.resolve(str(path))
    if snapshots:
        return storage.open_ledger(database)
    from ledger.application import Ledger

    return Ledger(env={**database.env, "IS_SNAPSHOTTING_ENABLED": "n"})


def new_meeting(slug: str, index: int, capacity: int | None = 30, year: int = 2031) -> Any:
    from ledger.meeting import Meeting
    from ledger.text import Details
    from ledger.timing import Schedule

    day = 1 + index % 28
    month = 1 + (index // 28) % 12
    start = f"{year + index // 336}-{month:02d}-{day:02d}T{9 + index % 8:02d}:00"
    end = start[:-5] + f"{10 + index % 8:02d}:30"
    return Meeting.schedule(
        slug=slug,
        title=f"Benchmark meeting {index}",
        schedule=Schedule.from_input(start, end, "America/Los_Angeles", None),
        details=Details(
            location="Room 4, Grand Hyatt Seattle",
            video_url="https://zoom.us/j/6229641857",
            description="A meeting built by the benchmark, with sign-ups, topics and notes.",
            capacity=capacity,
        ),
    )


class Grower:
    """Appends a realistic mix to one meeting: sign-ups (some waitlisted), changes, withdrawals
    (promoting the waitlist), topics and notes edits. Keeps its place between calls."""

    def __init__(self, meeting: Any, pool: int | None = None) -> None:
        self.meeting = meeting
        self.pool = pool  # at most this many people signed up at once (the rest is churn)
        self.step = 0
        self.people: list[str] = []
        self.topics: list[int] = []

    def grow_to(self, events: int) -> None:
        meeting = self.meeting
        while meeting.version < events:
            self.step += 1
            step = self.step
            if step % 10 == 0:
                self.topics.append(
                    meeting.propose_topic(f"Topic {step}: runtime and packaging", f"Person {step}", None)
                )
            elif step % 10 == 5:
                section_topic = self.topics[-1] if self.topics and step % 20 == 5 else None
                meeting.edit_notes(
                    section_topic, f"Notes after step {step}.\n\n- decided: ship it\n- owner: Person {step}\n", None
                )
            elif self.people and (step % 10 == 7 or (self.pool is not None and len(self.people) >= self.pool)):
                meeting.withdraw(self.people.pop(0), "schedule conflict")
            elif step % 10 == 3 and self.people:
                meeting.change(self.people[-1], "remote", "joining by video")
            else:
                name = f"Person {step} Example"
                meeting.sign_up(
                    name, "remote" if step % 3 == 0 else "in-person", None, "2:30pm+" if step % 4 == 0 else ""
                )
                self.people.append(name)


def grow(meeting: Any, events: int) -> None:
    """Grow a fresh meeting to `events` events."""
    Grower(meeting).grow_to(events)


def build(
    path: Path,
    meetings: int,
    events_per_meeting: int,
    *,
    capacity: int | None = 30,
    slug_prefix: str = "m",
    catch_up: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """A ledger of `meetings` meetings with `events_per_meeting` events each; returns the slugs."""
    app = open_app(path)
    slugs: list[str] = []
    pending: list[Any] = []
    for index in range(meetings):
        slug = f"{slug_prefix}{index:05d}"
        meeting = new_meeting(slug, index, capacity)
        grow(meeting, events_per_meeting)
        pending.append(meeting)
        slugs.append(slug)
        if len(pending) == SAVE_EVERY or index == meetings - 1:
            app.save(*pending)
            if progress is not None:
                progress(sum(m.version for m in pending))
            pending = []
    if catch_up:
        catch_up_models(app)
    app.close()
    return slugs


def build_one_long_meeting(path: Path, slug: str, events: int, pool: int = 200, chunk: int = 1_000) -> None:
    """One meeting with `events` events whose newest snapshot is where the ledger would take it.

    The events are appended without snapshots and the one snapshot a load uses (the newest)
    is then taken at the last multiple of the ledger's snapshot interval.
    """
    from ledger.meeting import Meeting

    app = open_app(path, snapshots=False)
    meeting = new_meeting(slug, 0, capacity=None)
    grower = Grower(meeting, pool=pool)
    snapshot_at = events - events % snapshot_interval()
    target = 1
    while meeting.version < snapshot_at:
        target = min(snapshot_at, target + chunk)
        grower.grow_to(target)
        app.save(meeting)
    with_snapshots = open_app(path)
    with_snapshots.take_snapshot(Meeting.create_id(slug), version=snapshot_at)
    with_snapshots.close()
    grower.grow_to(events)
    app.save(meeting)
    app.close()


def snapshot_interval() -> int:
    from ledger.application import SNAPSHOT_INTERVAL

    return SNAPSHOT_INTERVAL


def catch_up_models(app: Any) -> None:
    from projections.queries import MODELS
    from projections.store import ReadStore

    ReadStore(app).catch_up(MODELS)


def event_count(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])
