"""The read side as the web sees it: every query the pages and the API make goes through here.

One module between the web and the read models: the typed results reach the templates and the
API as their JSON shapes (the CLI's `--json`), so a change in the queries is one edit here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from exports import audit as trail
from ledger import text
from ledger.errors import NotFoundError
from ledger.vocabulary import MODE_LABELS as MODE_LABELS  # how each mode reads on the page ("In Person", "TBD")
from projections import queries
from projections.queries import MODELS
from projections.store import ReadStore


def catch_up(store: ReadStore) -> None:
    """Apply the events the read models have not seen (after a write, so the next page shows it)."""
    store.catch_up(MODELS)


def meeting(store: ReadStore, slug: str, as_of: datetime | None = None) -> Any:
    return queries.meeting(store, slug, as_of).to_json()


def attendees(store: ReadStore, slug: str, as_of: datetime | None = None) -> Any:
    return queries.attendees(store, slug, as_of).to_json()


def agenda(store: ReadStore, slug: str, as_of: datetime | None = None) -> Any:
    return queries.agenda(store, slug, as_of).to_json()


def notes(store: ReadStore, slug: str, topic_id: int | None = None, as_of: datetime | None = None) -> Any:
    return queries.notes(store, slug, topic_id, as_of).to_json()


def all_notes(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, str]:
    return queries.all_notes(store, slug, as_of)


def meeting_list(store: ReadStore, now: datetime | None = None) -> list[Any]:
    return [row.to_json() for row in queries.meeting_list(store, now or datetime.now(UTC))]


def history(app: Any, slug: str, as_of: datetime | None = None) -> list[trail.Entry]:
    """The audit of one meeting with notes diffs, oldest first, up to `as_of` when given."""
    return list(trail.entries(_events(app, slug), trail.Filters(until=as_of), True))


def audit_json(app: Any, slug: str) -> str:
    """What `meetings audit SLUG --format json` prints."""
    return "".join(trail.render(trail.entries(_events(app, slug), trail.Filters(), False), "json", False))


def _events(app: Any, slug: str) -> list[Any]:
    if "/" not in slug:
        text.slug(slug)
    for stream in queries.stream_ids(slug):  # a meeting's, an occurrence's, else a series'
        events = list(trail.stream_events(app, stream))
        if events:
            return events
    if "/" in slug:
        return []  # an occurrence nobody has acted on yet
    raise NotFoundError(f"no meeting {slug!r}")


def is_series(store: ReadStore, slug: str) -> bool:
    return queries.is_series(store, slug)


def series(store: ReadStore, slug: str, as_of: datetime | None = None, upcoming: int | None = None) -> Any:
    """A series as `series show --json` gives it; with `upcoming`, only that many occurrences from today."""
    if upcoming is None:
        return queries.series(store, slug, as_of).to_json()
    now = datetime.now(UTC)
    return queries.series(store, slug, as_of, after=now.replace(hour=0, minute=0, second=0), limit=upcoming).to_json()


def series_list(store: ReadStore, now: datetime | None = None) -> list[Any]:
    return [row.to_json() for row in queries.series_list(store, now or datetime.now(UTC))]
