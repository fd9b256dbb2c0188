"""Rendering a meeting as a wiki page in the style of the original sig-node page.

The page is made to be read back: `meetings import markdown` of a rendered page gives
the same meeting (attendees with modes, remarks and order, the seated/waitlist split,
capacity, topics, notes per section, title, time, zone, place and video link).
Emails are written only when the organizer allows publishing them, and never in a public page
(`export markdown --public`: the attendee list at the meeting's `--attendee-list` level).
"""

from __future__ import annotations

from datetime import datetime

from exports.pages.escaping import escape_name, escape_notes, escape_remark, escape_text
from exports.pages.exact import EXACT_MARK, description_block
from exports.pages.parser import parse_page
from ledger.vocabulary import MODE_LABELS, sub_letter
from projections.results import AgendaView, AttendeeEntry, AttendeeList, MeetingView, Topic


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'am' if moment.hour < 12 else 'pm'}"


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def schedule_line(start_iso: str, end_iso: str, zone: str) -> str:
    """'7 November 2016; 1 pm to 4 pm (America/Los_Angeles)', with the end date when it differs."""
    start, end = datetime.fromisoformat(start_iso), datetime.fromisoformat(end_iso)
    if start.date() == end.date():
        return f"{_day(start)}; {_clock(start)} to {_clock(end)} ({zone})"
    return f"{_day(start)}, {_clock(start)} to {_day(end)}, {_clock(end)} ({zone})"


def attendee_line(number: int, entry: AttendeeEntry, show_email: bool) -> str:
    label = MODE_LABELS[entry.mode]
    if entry.waitlist_position is not None:
        label += f", waitlist {entry.waitlist_position}"
    email = f" <{entry.email}>" if show_email and entry.email else ""
    remark = f" {escape_remark(entry.remark)}" if entry.remark else ""
    return f"{number}. {escape_name(entry.name)}{email} ({label}){remark}"


def topic_text(topic: Topic) -> str:
    """'Proposer: title' as on the original page (the title's own brackets and colons are escaped)."""
    return f"{escape_name(topic.proposer)}: {escape_text(topic.title)}"


def title_line(title: str) -> str:
    """'# Title', or a 'Title:' field when a heading would read as a part of the page ("# Agenda")."""
    heading = f"# {escape_text(title)}"
    if parse_page(heading + "\n").title == title:
        return heading
    return f"**Title:** {escape_text(title)}"


def section_heading(number: str, title: str) -> str:
    """'## Title' for the topic's notes; numbered when the title alone would read otherwise ("Attendees", "1. x")."""
    heading = f"## {escape_text(title)}"
    trial = parse_page(f"# T\n\n**Topics:**\n\n1. Ann: {escape_text(title)}\n\n# Notes\n\n{heading}\n\nx\n")
    if [(s.topic, s.text) for s in trial.notes] != [((0, None), "x")]:
        heading = f"## {number}. {escape_text(title)}"
    return heading


def render_page(meeting: MeetingView, roster: AttendeeList, agenda: AgendaView, notes: dict[str, str]) -> str:
    """The page for one meeting, from the results of `projections.queries`."""
    # The mark makes the importer read the page as written (`exports.pages.exact`); the description is one block.
    description = description_block(meeting.description)
    out: list[str] = [EXACT_MARK, "", title_line(meeting.title), "", *description, *([""] if description else [])]
    if meeting.location:
        out += [f"**Location :** {escape_text(meeting.location)}", ""]
    out += [f"**Schedule:** {schedule_line(meeting.start, meeting.end, meeting.timezone)}", ""]
    if meeting.video_url:
        out += [f"**VC:** <{meeting.video_url}>", ""]
    limit = f" [Limit: {roster.capacity}]" if roster.capacity is not None else ""
    # Said out loud so that re-importing keeps everyone seated instead of waitlisting the last ones.
    over = " (over capacity)" if roster.counts.over_capacity else ""
    if roster.published == "hidden":
        out += ["**Attendees:** not published", ""]
    else:
        out += [f"**Attendees:{limit}{over}**", ""]
    if roster.published == "counts":
        c = roster.counts
        counted = f"{c.seated} in person, {c.waitlisted} waitlisted, {c.remote} remote, {c.undecided} undecided"
        out += [f"{c.total} signed up: {counted}.", ""]
    out += [attendee_line(e.position, e, meeting.publish_emails) for e in roster.attendees]
    if roster.attendees:
        out.append("")
    out += ["**Proposed discussion topics:**", ""]
    for item in agenda:
        out.append(f"{item.number}. {topic_text(item)}")
        for index, sub in enumerate(item.subtopics):
            out.append(f"  - {sub_letter(index)}. {topic_text(sub)}")
    if agenda:
        out.append("")
    out += ["# Notes", ""]
    general = notes.get("general", "")
    if general:
        out += [*escape_notes(general), ""]
    for topic in agenda.topics():
        out += [section_heading(topic.number, topic.title), ""]
        body = notes.get(f"topic-{topic.id}", "")
        if body:
            out += [*escape_notes(body), ""]
    return "\n".join(out).rstrip("\n") + "\n"
