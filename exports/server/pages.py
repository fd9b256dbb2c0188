"""The index page and /feeds.json: every public feed with its subscribe links."""

from __future__ import annotations

import html
from urllib.parse import quote

from projections.store import ReadStore


def listing(store: ReadStore, base: str) -> list[dict[str, str]]:
    """The public feeds (personal ones are secret and never listed), with subscribe links."""
    # An occurrence of a series is subscribed with its series, whose feed is listed instead.
    docs = sorted(
        (doc for _, doc in [*store.all("meetings"), *store.all("series")] if "/" not in doc["slug"]),
        key=lambda d: (d["start"], d["slug"]),
    )
    entries = [("All meetings", "/calendar.ics")]
    entries += [(doc["title"], f"/meetings/{doc['slug']}.ics") for doc in docs]
    return [subscribe_links(title, base + path) for title, path in entries]


def subscribe_links(title: str, url: str) -> dict[str, str]:
    webcal = "webcal://" + url.split("://", 1)[1]
    return {
        "title": title,
        "url": url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
    }


def index_page(listing: list[dict[str, str]]) -> str:
    rows = "\n".join(
        f'<li>{html.escape(item["title"])}: <a href="{html.escape(item["url"])}">.ics</a>'
        f' · <a href="{html.escape(item["webcal"])}">subscribe (Apple, Outlook, Thunderbird)</a>'
        f' · <a href="{html.escape(item["google"])}">add to Google Calendar</a></li>'
        for item in listing
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Meeting calendars</title></head>\n'
        f"<body><h1>Meeting calendars</h1>\n<ul>\n{rows}\n</ul>\n"
        "<p>Personal feeds: <code>meetings feed-token issue NAME</code>.</p></body></html>\n"
    )
