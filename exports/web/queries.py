"""The read side as the web sees it: every query the pages and the API make goes through here.

One module between the web and the read models: the typed results reach the templates and the
API as their JSON shapes (the CLI's `--json`), so a change in the queries is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from exports import audit as trail
from ledger import text
from ledger.application import name_key
from ledger.errors import NotFoundError
from ledger.vocabulary import MODE_LABELS as MODE_LABELS  # how each mode reads on the page ("In Person", "TBD")
from projections import queries
from projections.queries import MODELS
from projections.store import ReadStore


def catch_up(store: ReadStore) -> None:
    """Apply the events the read models have not seen (after a write, so the next page shows it)."""
    store.catch_up(MODELS)


@dataclass(frozen=True)
class Audience:
    """Who reads a meeting: its organizers and admins see it all; anyone else what the organizer
    published (PRODUCT.md section 10), plus their own entry. Notes are masked for visitors only:
    a signed-in participant may edit them, so reads them as written."""

    sees_all: bool = True
    admin: bool = True
    person: str | None = None  # the signed-in account's person, None for a visitor

    def owns(self, entry: Any) -> bool:
        return self.person is not None and name_key(entry.name) == name_key(self.person)


EVERYTHING = Audience()
VISITOR = Audience(sees_all=False, admin=False)


def audience(app: Any, slug: str, viewer: Any) -> Audience:
    """How much of the meeting the signed-in viewer (None: a visitor) may read."""
    if viewer is None:
        return VISITOR
    roles = frozenset(app.roles(slug, viewer.name))
    return Audience(sees_all=bool(roles & {"organizer", "admin"}), admin=viewer.admin, person=viewer.person)


def level(store: ReadStore, slug: str) -> str:
    """The meeting's attendee-list level now: it governs what is shown of any moment (`?as-of=`)."""
    return queries.meeting(store, slug).attendee_list


def meeting(store: ReadStore, slug: str, as_of: datetime | None = None, audience: Audience = EVERYTHING) -> Any:
    view = queries.meeting(store, slug, as_of)
    if audience.sees_all:
        return view.to_json()
    return replace(view, attendee_list=level(store, slug) if as_of else view.attendee_list).public().to_json()


def attendees(store: ReadStore, slug: str, as_of: datetime | None = None, audience: Audience = EVERYTHING) -> Any:
    found = queries.attendees(store, slug, as_of)
    if audience.sees_all:
        return found.to_json()
    return found.public(level(store, slug), audience.owns).to_json()


def agenda(store: ReadStore, slug: str, as_of: datetime | None = None, audience: Audience = EVERYTHING) -> Any:
    found = queries.agenda(store, slug, as_of)
    return (found if audience.sees_all else found.public()).to_json()


def notes(
    store: ReadStore,
    slug: str,
    topic_id: int | None = None,
    as_of: datetime | None = None,
    audience: Audience = EVERYTHING,
) -> Any:
    found = queries.notes(store, slug, topic_id, as_of)
    return (found.public() if audience.person is None and not audience.sees_all else found).to_json()


def all_notes(store: ReadStore, slug: str, as_of: datetime | None = None) -> dict[str, str]:
    return queries.all_notes(store, slug, as_of)


def meeting_list(store: ReadStore, now: datetime | None = None) -> list[Any]:
    return [row.to_json() for row in queries.meeting_list(store, now or datetime.now(UTC))]


def history(
    app: Any, store: ReadStore, slug: str, as_of: datetime | None = None, audience: Audience = EVERYTHING
) -> list[trail.Entry]:
    """The audit of one meeting with notes diffs, oldest first, up to `as_of` when given."""
    return list(trail.entries(_readable(app, store, slug, audience), trail.Filters(until=as_of), True))


def audit_json(app: Any, store: ReadStore, slug: str, audience: Audience = EVERYTHING) -> str:
    """What `meetings audit SLUG --format json` prints (for an admin; less for anyone else)."""
    found = trail.entries(_readable(app, store, slug, audience), trail.Filters(), False)
    return "".join(trail.render(found, "json", False))


def _readable(app: Any, store: ReadStore, slug: str, audience: Audience) -> Any:
    """The meeting's events as the audience may read them: emails for admins only, attendance
    at the published level for anyone but its organizers."""
    events = _events(app, slug)
    if not audience.sees_all:
        return trail.published(events, level(store, slug))
    return events if audience.admin else trail.without_emails(events)


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
    window = queries.Window() if upcoming is None else queries.Window.upcoming(upcoming, datetime.now(UTC))
    return queries.series(store, slug, as_of, window).to_json()


def series_list(store: ReadStore, now: datetime | None = None) -> list[Any]:
    return [row.to_json() for row in queries.series_list(store, now or datetime.now(UTC))]
