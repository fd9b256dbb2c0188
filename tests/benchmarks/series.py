"""PRODUCT.md section 8's series bar: a ten-year weekly series (520 occurrences) with 20 exceptions against a
one-year one with the same 20 exceptions, for its feed, its page and loading one occurrence (10a, 10b, 10c).

Each figure is the median of in-process runs, the two series' runs interleaved, on one SQLite ledger whose
read models are caught up: what the feed server and the web app do per request, without HTTP around it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.benchmarks.table import Row, compare

FIRST = date(2030, 1, 8)  # a Tuesday
LIMIT = 1.5
RUNS = 60


def build(path: Path) -> tuple[Any, Any, Any]:
    """The ledger with both series, each with the same 20 exceptions in its first year."""
    from exports.web import create_app
    from ledger import people, storage
    from projections.queries import MODELS
    from projections.store import ReadStore

    app = storage.open_ledger(storage.resolve(str(path)))
    app.authenticate(people.login_name(), for_person="bench")
    for slug, years in (("ten-years", 10), ("one-year", 1)):
        until = FIRST + timedelta(days=364 * years - 1)
        app.create_series(
            slug,
            "Weekly",
            f"{FIRST}T10:00",
            f"{FIRST}T11:00",
            "America/Los_Angeles",
            "week",
            until=until.isoformat(),
            location="Room 1",
        )
        for i in range(20):
            day = (FIRST + timedelta(weeks=2 * i + 1)).isoformat()
            kind = i % 4
            if kind == 0:
                app.cancel_occurrence(slug, day, "holiday")
            elif kind == 1:
                moved = FIRST + timedelta(weeks=2 * i + 1, days=1)
                app.move_occurrence(slug, day, f"{moved}T14:00", f"{moved}T15:00")
            elif kind == 2:
                app.change_occurrence(slug, day, location="Room 2")
            else:
                for n in range(5):
                    app.sign_up(f"{slug}/{day}", f"Person {n}")
    store = ReadStore(app)
    store.catch_up(MODELS)
    web = create_app(app, store).test_client()
    return app, store, web


def median_pair(long: Callable[[], Any], short: Callable[[], Any], runs: int) -> tuple[float, float]:
    longs, shorts = [], []
    for _ in range(runs):
        for action, times in ((long, longs), (short, shorts)):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return statistics.median(longs) * 1000, statistics.median(shorts) * 1000


def bar_series(ctx: Any) -> list[Row]:
    from exports.calendar import feeds

    app, store, web = build(ctx.work / "series.sqlite")
    try:
        runs = max(ctx.size.read_runs * 5, 10) if ctx.size.name == "tiny" else RUNS
        occurrence = (FIRST + timedelta(weeks=7)).isoformat()  # one with sign-ups

        def page(slug: str) -> Callable[[], Any]:
            def get() -> Any:
                reply = web.get(f"/meetings/{slug}")
                if reply.status_code != 200:
                    raise RuntimeError(f"the series page answered {reply.status_code}")
                return reply

            return get

        figures = {
            "10a": (
                "series feed",
                *median_pair(
                    lambda: feeds.meeting_feed(store, "ten-years"), lambda: feeds.meeting_feed(store, "one-year"), runs
                ),
            ),
            "10b": ("series page", *median_pair(page("ten-years"), page("one-year"), runs)),
            "10c": (
                "occurrence load",
                *median_pair(
                    lambda: app.get_meeting(f"ten-years/{occurrence}"),
                    lambda: app.get_meeting(f"one-year/{occurrence}"),
                    runs,
                ),
            ),
        }
        events = feeds.meeting_feed(store, "ten-years").body.count(b"BEGIN:VEVENT")
        rows = []
        for bar, (what, long, short) in figures.items():
            rows.append(
                compare(
                    bar,
                    f"{what}: 10-year weekly series, 20 exceptions",
                    long,
                    "ms",
                    short,
                    "the same for a 1-year series with the same 20",
                    LIMIT,
                    at_most=True,
                    note=f"median of {runs} in-process runs each, interleaved; the feed holds {events} VEVENTs",
                )
            )
        return rows
    finally:
        app.close()
