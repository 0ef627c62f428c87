"""Each kind of config mistake is reported as file:line:column with a stable code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from textwrap import dedent

import pytest

from notifier.events import Loaded, load_event

TODAY = date(2026, 11, 25)
HEADER = """\
id: demo
name: Demo event
zone: Europe/Vienna
year: 2023
"""


def _load(body: str, header: str = HEADER) -> Loaded:
    return load_event(header + dedent(body), "events/demo.yaml", today=TODAY)


def _where(body: str, header: str = HEADER) -> list[str]:
    """Each problem as ``line:column code``, the part a test can pin down exactly."""
    return [f"{p.line}:{p.column} {p.code}" for p in _load(body, header).problems]


def test_a_valid_file_loads_with_no_problems() -> None:
    """The baseline the mistakes below are measured against."""
    loaded = _load("""\
        sessions:
          - id: opening
            title: Opening
            when: Tuesday 23 May 09:10-10:00 CEST
    """)
    assert loaded.problems == ()
    assert loaded.event is not None
    assert loaded.event.sessions[0].start.astimezone(UTC) == datetime(
        2023, 5, 23, 7, 10, tzinfo=UTC
    )


MISTAKES = [
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: [unclosed
        """,
        ["8:11 yaml-syntax"],  # the open bracket, not the end of the file where PyYAML stops
        id="yaml-syntax-error",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            title: B
            when: 23 May 09:10 CEST
        """,
        ["8:5 duplicate-key"],
        id="duplicate-key",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
            romm: CR3
        """,
        ["9:5 unknown-key"],
        id="unknown-key-with-suggestion",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            when: 23 May 09:10 CEST
        """,
        ["6:5 missing-key"],
        id="missing-title",
    ),
    pytest.param(
        """\
        sessions:
          - id: Opening Session
            title: A
            when: 23 May 09:10 CEST
        """,
        ["6:9 invalid-id"],
        id="invalid-session-id",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: Wednesday 23 May 09:10 CEST
        """,
        ["8:11 weekday-mismatch"],
        id="weekday-contradicts-date",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: "23 May 09:10 XYZ"
        """,
        ["8:25 unrecognised"],
        id="unknown-word-column-inside-quoted-string",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 12 January 10:00 CEST
        """,
        ["8:28 season-abbreviation"],
        id="cest-in-january-is-a-warning",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 IST
        """,
        ["8:24 ambiguous-abbreviation"],
        id="ambiguous-abbreviation",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 26 March 02:30
        """,
        ["8:20 nonexistent-time"],
        id="spring-forward-gap",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 29 October 02:30
        """,
        ["8:22 ambiguous-time"],
        id="fall-back-fold",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
            reminders: [1h, 1x]
        """,
        ["9:21 invalid-duration"],
        id="bad-reminder-offset",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
          - id: a
            title: B
            when: 24 May 09:10 CEST
        """,
        ["9:9 duplicate-session"],
        id="duplicate-session-id",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            kind: deadline
            when: 23 May 09:10-10:00 CEST
        """,
        ["9:11 deadline-range"],
        id="deadline-with-a-range",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            zone: Europe/Viena
            when: 23 May 09:10
        """,
        ["8:11 unknown-zone"],
        id="unknown-session-zone",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 9:10
        """,
        ["8:11 missing-date"],
        id="unquoted-time-stays-text-not-sexagesimal",
    ),
    pytest.param(
        """\
        sessions: []
        """,
        ["5:11 no-sessions"],
        id="no-sessions",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
            organizer: UNODC
            organizers: [UNODC, GI-TOC]
        """,
        ["10:17 invalid-value"],
        id="organizer-and-organizers-both-given",
    ),
    pytest.param(
        """\
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
            organizers: UNODC
        """,
        ["9:17 invalid-value"],
        id="organizers-not-a-list",
    ),
]


@pytest.mark.parametrize(("body", "expected"), MISTAKES)
def test_each_mistake_is_reported_at_its_line_and_column(body: str, expected: list[str]) -> None:
    """Organizers fix what the error points at; a wrong line sends them hunting."""
    assert _where(body) == expected


def test_errors_leave_no_event_but_warnings_do() -> None:
    """A file with any error yields no event (the last good config keeps running)."""
    bad = _load("""\
        sessions:
          - id: a
            title: A
            when: Wednesday 23 May 09:10 CEST
    """)
    assert bad.event is None
    warned = _load("""\
        sessions:
          - id: a
            title: A
            when: 12 January 10:00 CEST
    """)
    assert warned.event is not None
    assert [p.code for p in warned.warnings] == ["season-abbreviation"]


def test_problem_text_is_file_line_column_severity_message_code() -> None:
    """The printed form editors and CI annotate from."""
    loaded = _load("""\
        sessions:
          - id: a
            title: A
            when: 12 January 10:00 CEST
    """)
    text = str(loaded.problems[0])
    assert text.startswith('events/demo.yaml:8:28: warning: "CEST" on 12 January 2023 is winter')
    assert text.endswith("[season-abbreviation]")


def test_every_problem_in_a_file_is_listed_not_only_the_first() -> None:
    """Fixing one error per run is a slow way to learn a format."""
    header = "id: Bad_Id\nname: x\nzone: Europe/Viena\nyear: 2023\n"
    codes = [
        p.code
        for p in _load(
            """\
        sessions:
          - id: a
            title: A
            when: Wednesday 23 May 09:10 CEST
            romm: x
          - id: b
            title: B
            when: Wednesday 23 May 09:10 CEST
    """,
            header,
        ).problems
    ]
    assert codes == [
        "invalid-id",
        "unknown-zone",
        "weekday-mismatch",
        "unknown-key",
        "weekday-mismatch",
    ]


def test_sessions_override_reminders_channels_and_zone() -> None:
    """A session may differ from the event's defaults; offsets are exact durations."""
    loaded = _load("""\
        reminders: [1d, 1h]
        channels: [email]
        sessions:
          - id: a
            title: A
            when: 23 May 09:10 CEST
          - id: b
            title: B
            zone: Asia/Tokyo
            when: 23 May 09:10
            reminders: [1h30m, 10m]
            channels: [webhook]
            cancelled: true
    """)
    assert loaded.event is not None
    a, b = loaded.event.sessions
    assert a.reminders == (timedelta(days=1), timedelta(hours=1))
    assert a.channels == ("email",)
    assert b.reminders == (timedelta(hours=1, minutes=30), timedelta(minutes=10))
    assert b.channels == ("webhook",)
    assert b.cancelled is True
    assert b.start.astimezone(UTC) == datetime(2023, 5, 23, 0, 10, tzinfo=UTC)


def test_day_heading_gives_the_date_for_time_only_rows() -> None:
    """Programme rows under "MONDAY, 14 OCTOBER" carry only a time."""
    header = HEADER.replace("year: 2023", "year: 2024")
    loaded = _load(
        """\
        sessions:
          - id: a
            title: A
            day: MONDAY, 14 OCTOBER
            when: 1–1.50 p.m.
          - id: b
            title: B
            day: TUESDAY, 14 OCTOBER
            when: 1–1.50 p.m.
    """,
        header,
    )
    assert [f"{p.line}:{p.column} {p.code}" for p in loaded.problems] == ["12:10 weekday-mismatch"]


def test_session_outside_the_event_dates_is_a_warning() -> None:
    """A typo in a day number usually lands outside the event's days."""
    loaded = _load("""\
        dates: {start: 2023-05-22, end: 2023-05-26}
        sessions:
          - id: a
            title: A
            when: 28 May 09:10 CEST
    """)
    assert [p.code for p in loaded.problems] == ["outside-event-dates"]


def test_organizers_are_shown_as_one_line_in_the_order_written() -> None:
    """The event page and calendars print "Organized by UNODC, GI-TOC" as the programme does."""
    loaded = _load("""\
        sessions:
          - id: a
            title: A
            when: Tuesday 23 May 09:10-10:00 CEST
            description: Research on smuggling routes.
            organizers: [UNODC, "Government of
              the Netherlands"]
    """)
    assert loaded.problems == ()
    assert loaded.event is not None
    (session,) = loaded.event.sessions
    assert session.organizer == "UNODC, Government of the Netherlands"
    assert session.description == "Research on smuggling routes."
