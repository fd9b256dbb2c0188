"""The shapes real meeting pages take, each read by a general rule: schedules, day headings, timetables, presenters."""

from __future__ import annotations

from datetime import date, time

import pytest

from exports.pages.model import ParsedPage
from exports.pages.parser import parse_page


def topics(page: ParsedPage) -> list[tuple[str, str | None]]:
    return [(t.title, t.proposer) for top in page.topics for t in [top, *top.subtopics]]


def test_a_times_label_gives_its_first_nested_item_and_keeps_the_days_of_the_dates_label() -> None:
    page = parse_page(
        "# Plenary\n\n- **Dates**: 04-06 June 2019\n- **Times**:\n"
        "  - 10:00 to 17:00 CEST on 04 and 05 of June 2019\n  - 10:00 to 16:00 CEST on 06 of June 2019\n"
    )
    assert (page.start_date, page.end_date) == (date(2019, 6, 4), date(2019, 6, 6))
    assert (page.start_time, page.end_time, page.zone) == (time(10), time(17), "Europe/Berlin")


def test_a_second_date_field_for_a_side_event_does_not_move_the_meeting() -> None:
    page = parse_page(
        "# CG meeting\n\n- **Dates**: Wednesday-Thursday, October 26-27 2022\n- **Times**:\n"
        "    - Wednesday - 9:30am - 5:00pm\n\n### Research Day\n\n- Date & time: Tuesday, Oct 25th 2022\n"
    )
    assert (page.start_date, page.end_date) == (date(2022, 10, 26), date(2022, 10, 27))
    assert (page.start_time, page.end_time) == (time(9, 30), time(17))


def test_a_wrong_season_abbreviation_is_reported_and_the_zone_rules_apply() -> None:
    page = parse_page("# Summit\n\n**When**: 10:00 till 17:00 PST on 29th and 30th of July 2014\n")
    assert (page.start_date, page.end_date) == (date(2014, 7, 29), date(2014, 7, 30))
    assert (page.start_time, page.end_time, page.zone) == (time(10), time(17), "America/Los_Angeles")
    assert any(p.reason.startswith("PST does not hold on 2014-07-29") for p in page.problems)


def test_day_headings_give_the_days_and_the_line_under_the_first_its_hours() -> None:
    page = parse_page(
        "# WG agenda\n\n## Monday, 22 July 2019, Afternoon Session II\n\n_1550-1750, Room A_\n\n"
        "* 5 min - Agenda bashing\n\n## Thursday, 25 July 2019, Afternoon Session II\n\n_1550-1720, Room A_\n\n"
        "* 10 min - Editors' update - Erik Nygren\n"
    )
    assert (page.start_date, page.end_date) == (date(2019, 7, 22), date(2019, 7, 25))
    assert (page.start_time, page.end_time) == (time(15, 50), time(17, 50))
    assert [t for t, _ in topics(page)] == ["5 min - Agenda bashing", "10 min - Editors' update - Erik Nygren"]


def test_a_paragraph_is_read_for_dates_across_its_lines_without_its_deadline_sentences() -> None:
    page = parse_page(
        "# Interim\n\n## Schedule and Agenda\n\nRegistration closes on 10 January 2020. We'll be meeting\n"
        "Wednesday and Thursday, 5-6 February 2020. Meetings will begin at 9:30am and end\n"
        "at approximately 5pm on each day.\n"
    )
    assert (page.start_date, page.end_date) == (date(2020, 2, 5), date(2020, 2, 6))
    assert (page.start_time, page.end_time) == (time(9, 30), time(17))
    assert page.topics == []


@pytest.mark.parametrize(
    ("text", "expected", "start"),
    [
        (
            "# Summit\n\n## Agenda\n\n| Time | Room A | Room B |\n|---|---|---|\n"
            "| Zoom (ask an organizer) | https://zoom.us/j/1 | https://zoom.us/j/2 |\n"
            "| 1000 | Streams [216](https://example.org/issues/216) | Release WG |\n"
            "| 1230 | 🍍 Lunch |\n| 1300 | B R E A K | _previous session continues_ |\n",
            [("Streams", None), ("Release WG", None)],
            time(10),
        ),
        (
            "# Workshop\n\n## Programme\n\n<pre>\n09:00 Opening (0:10, Ada Lovelace)\n"
            "09:10-09:40 Type systems (0:30, Alan Turing)\n12:00 Lunch\n</pre>\n",
            [("Opening", "Ada Lovelace"), ("Type systems", "Alan Turing")],
            time(9),
        ),
    ],
    ids=["rooms-table", "pre"],
)
def test_a_timetable_gives_its_sessions_and_presenters_but_no_breaks_and_its_first_slot_starts_the_meeting(
    text: str, expected: list[tuple[str, str | None]], start: time
) -> None:
    page = parse_page(text)
    assert topics(page) == expected
    assert page.start_time == start


def test_a_timetable_with_a_presenter_column_gives_the_first_person_it_names() -> None:
    page = parse_page(
        "# Plenary\n\n## Agenda items\n\n| ☑️ | timebox | topic | presenter |\n|:--:|:--:|---|---|\n"
        "| ☑️ | 10m | [eval(nonString) should not side effect][] ([slides][evalnc]) | Mike Samuel |\n"
        "| | 10m | Atomics.notify Status Report | Leo Balter, Rick Waldron |\n"
        "| | 60m | Fastify | Matteo Collina @mcollina |\n"
    )
    assert topics(page) == [
        ("eval(nonString) should not side effect", "Mike Samuel"),
        ("Atomics.notify Status Report", "Leo Balter"),
        ("Fastify", "Matteo Collina"),
    ]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("HTTP (Mike) (1 hour)", ("HTTP", "Mike")),
        ("ECN Proposal (1 hour) (Magnus) (#1372)", ("ECN Proposal", "Magnus")),
        ("Report from the Secretariat (15m, Istvan Sebestyen)", ("Report from the Secretariat", "Istvan Sebestyen")),
        ("Session 6 (Future)", ("Session 6 (Future)", None)),
        ("Agenda for meeting(s)", ("Agenda for meeting(s)", None)),
    ],
)
def test_a_presenter_in_brackets_is_found_past_the_brackets_that_time_or_document_the_topic(
    item: str, expected: tuple[str, str | None]
) -> None:
    assert topics(parse_page(f"# Interim\n\n## Agenda\n\n* {item}\n")) == [expected]


def test_a_place_in_brackets_is_not_a_proposer() -> None:
    page = parse_page("# Interim\n\n**Location**: Boston, MA\n\n## Topics\n\n1. Interop results (Boston)\n")
    assert topics(page) == [("Interop results (Boston)", None)]


def test_a_duration_under_a_topic_names_its_presenter_and_is_no_sub_topic() -> None:
    page = parse_page(
        "# CG\n\n## Agenda items\n\n- GC proposal update\n  - 45 mins (Thomas Lively + Jakob Kummerow)\n"
        "- Threads update\n  - 30 mins [slides](https://example.org/s)(Conrad Watt) (schedule Thu morning)\n"
    )
    assert topics(page) == [("GC proposal update", "Thomas Lively"), ("Threads update", "Conrad Watt")]


def test_a_session_slot_after_its_title_and_a_start_line_in_the_agenda_give_the_schedule() -> None:
    page = parse_page(
        "## 2015: Aug 6-7, San Francisco\n\n## Agenda\n\n* **Session 1 (Intros)** *10am - 12pm Thursday*\n"
        "  * Starting at 10:00 A.M. Pacific\n* **Session 2 (CI)** *1pm - 3pm Thursday*\n"
    )
    assert topics(page) == [("Session 1 (Intros)", None), ("Session 2 (CI)", None)]
    assert (page.start_date, page.start_time, page.zone) == (date(2015, 8, 6), time(10), "America/Los_Angeles")


def test_logistics_and_link_texts_are_neither_topics_nor_sign_ups() -> None:
    page = parse_page(
        "# Meeting\n\n* [Meetecho](http://example.org/m) remote participation\n\n## Agenda items\n\n"
        "- **Dinner** on Wednesday:\n    - 8:30 PM: Dinner at a restaurant\n- **Dinner Options**:\n"
        "  - Restaurants: Ozumo, Amber\n- Opening\n\n#### Call for Proposals\n\n* Hashing out technical issues\n"
    )
    assert page.attendees == []
    assert topics(page) == [("Opening", None)]


def test_rules_for_the_agenda_are_no_topics_and_other_meetings_dates_are_not_this_ones() -> None:
    page = parse_page(
        "# Plenary\n\n## Agenda topic rules\n\n1. Proposals must be added before the deadline.\n\n"
        "## Dates and locations of future meetings\n\n| Dates | Location |\n|---|---|\n"
        "| 2018-09-25 to 2018-09-27 | New York |\n"
    )
    assert page.topics == [] and page.start_date is None
    assert not [p for p in page.problems if "schedule" in p.reason]
