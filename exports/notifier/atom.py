"""A meeting's changes as an Atom 1.0 feed (RFC 4287): the same changes the notifier mails to attendees.

Entries are newest first. A series' feed holds the changes of every occurrence (the meetings whose
slug is the series' slug, a slash, and the occurrence's date). Each entry's id is a `urn:uuid:`
derived from the meeting's id and the version of the event, so it never changes; its `updated` is
the event's time. Only what the meeting's public page shows is said (no attendee names or emails).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from exports.notifier.mail import subject_and_text, when

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def entry_id(meeting_id: str, version: int) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.UUID(hex=meeting_id), f'changes/{version}')}"


def rfc3339(stamp: str) -> str:
    return datetime.fromisoformat(stamp).isoformat(timespec="seconds")


def describe(change: dict[str, Any]) -> tuple[str, str]:
    m = change["meeting"]
    if change["kinds"][0] == "scheduled":
        where = f" at {m['location']}" if m["location"] else ""
        return f"Scheduled: {m['title']}", f"{m['title']} is scheduled for {when(m)}{where}."
    notice = {"kind": change["kinds"][0], "also": change["kinds"][1:], **change}
    return subject_and_text(notice)


def render(feed_id: str, title: str, page: str, changes: list[dict[str, Any]]) -> bytes:
    """The feed; each change carries its meeting's `meeting_id` (entry ids are unique across meetings)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    ordered = sorted(changes, key=lambda c: (c["at"], c["meeting_id"], c["version"]))
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", rfc3339(ordered[-1]["at"]) if ordered else "1970-01-01T00:00:00+00:00")
    sub(feed, "link", rel="self", type="application/atom+xml", href=f"{page}/changes.atom")
    sub(feed, "link", rel="alternate", type="text/html", href=page)
    author = sub(feed, "author")
    sub(author, "name", "meeting-ledger")
    sub(feed, "generator", "meeting-ledger")
    for change in reversed(ordered):
        heading, text = describe(change)
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(change["meeting_id"], change["version"]))
        sub(entry, "title", heading)
        sub(entry, "updated", rfc3339(change["at"]))
        sub(entry, "link", rel="alternate", type="text/html", href=change["page"])
        if change.get("actor"):
            sub(sub(entry, "author"), "name", change["actor"])
        sub(entry, "content", text, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def meeting_feed_id(meeting_id: str) -> str:
    return f"urn:uuid:{uuid.UUID(hex=meeting_id)}"


def series_feed_id(slug: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'/series/{slug}/changes')}"
