"""One outbox row as a mail: a plain-text body, and for a change of the meeting an iTIP part.

The iTIP part (RFC 5546) is the meeting's VEVENT as the calendar feed writes it (exports/calendar/
ics.py), so its UID and SEQUENCE are the feed's: `METHOD:REQUEST` for a meeting that moved or
came back, `METHOD:CANCEL` for one that is cancelled. Every header and byte is derived from the
row, so a message sent again after a crash is the same message, with the same Message-ID.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

import orjson
import pytz

from exports.calendar import ics
from exports.notifier.config import MailConfig
from projections.notices import OutboxRow

MODES = {"in-person": "in person", "remote": "remote (video)", "undecided": "undecided"}


def when(meeting: dict[str, Any]) -> str:
    tz = pytz.timezone(meeting["timezone"])
    start = datetime.fromisoformat(meeting["start"]).astimezone(tz)
    end = datetime.fromisoformat(meeting["end"]).astimezone(tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%A %Y-%m-%d %H:%M}-{end_text} {meeting['timezone']}"


def subject_and_text(notice: dict[str, Any]) -> tuple[str, str]:
    m, kind = notice["meeting"], notice["kind"]
    title, at, actor = m["title"], when(m), notice.get("actor") or "An organizer"
    reason = notice.get("reason") or ""
    if kind == "promoted":
        return f"You have a seat: {title}", f"A seat came free at {title} ({at}): you are now seated, in person."
    if kind == "withdrawn":
        because = f"\nReason: {reason}" if reason else "\nNo reason was given."
        return f"You were withdrawn from {title}", f"{actor} withdrew your sign-up for {title} ({at}).{because}"
    if kind == "entry-changed":
        remark = f", remark: {notice['remark']}" if notice.get("remark") else ""
        mode = MODES.get(notice["mode"], notice["mode"])
        return f"Your sign-up for {title} changed", f"{actor} changed your sign-up for {title} ({at}): {mode}{remark}."
    lines = []
    for change in (kind, *notice.get("also", [])):
        if change == "rescheduled":
            lines.append(f"{title} has moved: it is now {at}.")
        elif change == "relocated":
            lines.append(f"{title} ({at}) is now at {m['location'] or 'no fixed place'}.")
        elif change == "video-link":
            lines.append(f"The video link of {title} ({at}) is now {m['video_url'] or 'gone'}.")
        elif change == "cancelled":
            lines.append(f"{title} ({at}) is cancelled." + (f"\nReason: {reason}" if reason else ""))
        elif change == "reinstated":
            lines.append(f"{title} ({at}) is on again: it is no longer cancelled.")
    heads = {
        "rescheduled": "Moved",
        "relocated": "New place",
        "video-link": "New video link",
        "cancelled": "Cancelled",
        "reinstated": "On again",
    }
    return f"{heads[kind]}: {title}", "\n".join(lines)


def itip(notice: dict[str, Any], method: str, config: MailConfig) -> bytes:
    """The VCALENDAR of the iTIP part: the feed's VEVENT, addressed from the organizer to the recipient."""
    from icalendar import Calendar
    from icalendar.prop import vCalAddress

    m = notice["meeting"]
    entry = ics.MeetingEntry(
        meeting=m, attendees=notice["attendees"], agenda=[], notes={}, organizer=m.get("created_by") or "meeting-ledger"
    )
    cal = Calendar()
    cal.add("PRODID", ics.PRODID)
    cal.add("VERSION", "2.0")
    cal.add("METHOD", method)
    if ics.uses_tzid(entry):
        cal.add_component(ics.vtimezone(m["timezone"], entry.start))
    event = ics.vevent(entry)
    # iTIP wants a mailbox for the organizer (RFC 5546 3.2.2): the notifier's sender, named as the organizer.
    organizer = vCalAddress(f"mailto:{config.sender}")
    organizer.params["CN"] = entry.organizer
    event.pop("ORGANIZER")
    event.add("ORGANIZER", organizer)
    attendee = vCalAddress(f"mailto:{notice['recipient']['email']}")
    attendee.params["CN"] = notice["recipient"]["name"]
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["RSVP"] = "FALSE"
    event.add("ATTENDEE", attendee)
    if method == "CANCEL":
        event.pop("STATUS")
        event.add("STATUS", "CANCELLED")
    cal.add_component(event)
    return bytes(cal.to_ical())


def build(row: OutboxRow, config: MailConfig, unsubscribe: str | None) -> EmailMessage:
    """The mail of one outbox row; `unsubscribe` is the recipient's unsubscribe URL."""
    notice = orjson.loads(row.body)
    subject, text = subject_and_text(notice)
    m, person = notice["meeting"], notice["recipient"]
    footer = []
    if config.base_url:
        footer.append(f"The meeting: {config.base_url}/meetings/{m['slug']}")
    if unsubscribe:
        footer.append(f"To receive no more of these mails: {unsubscribe}")
    body = f"Hello {person['name']},\n\n{text}\n\n-- \n" + "\n".join(footer or ["meeting-ledger"]) + "\n"
    msg = EmailMessage()
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(datetime.fromisoformat(notice["at"]))
    msg["From"] = formataddr(("Meetings", config.sender))
    msg["To"] = formataddr((person["name"], person["email"]))
    msg["Subject"] = subject
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg.set_content(body)
    method = notice.get("method")
    if method:
        part = itip(notice, method, config)
        msg.add_alternative(part, maintype="text", subtype="calendar", params={"method": method, "charset": "utf-8"})
    return msg
