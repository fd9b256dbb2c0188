"""The meeting list: each meeting's details, status and calendar sequence."""

from __future__ import annotations

from typing import Any

from projections.events import LedgerEvent
from projections.store import DocumentModel, PerMeeting

# Changes a calendar subscriber must see raise the iCalendar SEQUENCE (RFC 5545 3.8.7.4).
SEQUENCED_FIELDS = frozenset({"title", "location", "video_url"})


class MeetingsModel(PerMeeting, DocumentModel):
    """One document per meeting: what `meetings list`, `show` and the calendar need."""

    name = "meetings"
    version = 1
    kinds = frozenset(
        {
            "Scheduled",
            "Edited",
            "Rescheduled",
            "Cancelled",
            "Reinstated",
            "CapacityChanged",
            "SignedUp",
            "Withdrew",
            "AttendanceChanged",
            "Promoted",
            "EmailChanged",
            "TopicProposed",
            "TopicRetitled",
            "TopicMoved",
            "TopicWithdrawn",
            "NotesEdited",
        }
    )
    # Its creator; every later event only dates the document and moves its version.
    personal_kinds = frozenset({"Scheduled"})

    def apply(self, doc: dict[str, Any] | None, event: LedgerEvent) -> dict[str, Any] | None:
        data = event.data
        if event.kind == "Scheduled":
            doc = {
                "meeting_id": event.meeting_id,
                "slug": data["slug"],
                "title": data["title"],
                "start": data["start"],
                "end": data["end"],
                "timezone": data["timezone"],
                "location": data["location"],
                "video_url": data["video_url"],
                "description": data["description"],
                "capacity": data["capacity"],
                "calendar_uid": data["calendar_uid"],
                "publish_emails": False,
                "cancelled": False,
                "cancel_reason": "",
                "sequence": 0,
                "created_at": event.timestamp,
                "created_by": event.actor,
            }
        assert doc is not None, f"event {event.position} precedes its meeting's creation"
        if event.kind == "Edited":
            doc.update(data["changes"])
            if SEQUENCED_FIELDS & set(data["changes"]):
                doc["sequence"] += 1
        elif event.kind == "Rescheduled":
            doc.update(start=data["start"], end=data["end"], timezone=data["timezone"])
            doc["sequence"] += 1
        elif event.kind == "Cancelled":
            doc.update(cancelled=True, cancel_reason=data["reason"])
            doc["sequence"] += 1
        elif event.kind == "Reinstated":
            doc.update(cancelled=False, cancel_reason="")
            doc["sequence"] += 1
        elif event.kind == "CapacityChanged":
            doc["capacity"] = data["capacity"]
        # Any event changes what the meeting's page and calendar entry show (counts, agenda).
        doc["updated_at"] = max(doc.get("updated_at", ""), event.timestamp)
        doc["version"] = event.version
        doc["position"] = event.position
        return doc
