""" "Did you mean ...?": a mistyped meeting slug is answered with the nearest slug the ledger has."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from exports.cli.support import Session

NO_MEETING = re.compile(r"^no meeting '(?P<slug>.*)'$")


def did_you_mean(message: str, session: Session | None) -> str:
    """ " (did you mean sig-node-f2f-2016?)" when `message` is a missing meeting and one is close, else ""."""
    found = NO_MEETING.match(message)
    if found is None or session is None or not session.opened:
        return ""
    import difflib

    from projections import queries

    try:
        slugs = [row.slug for row in queries.meeting_list(session.store(), datetime.now(UTC))]
    except Exception:  # noqa: BLE001 - a hint must never turn one error into another
        return ""
    typed = found["slug"]
    close = difflib.get_close_matches(typed, slugs, n=1, cutoff=0.75) or [
        slug for slug in slugs if slug.casefold() == typed.casefold()
    ]
    return f" (did you mean {close[0]}?)" if close else ""
