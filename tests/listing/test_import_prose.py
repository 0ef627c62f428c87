"""`notifier import` on pages that tell their sessions in sentences (issue #14): a press note,
a town-hall notice, a guide's deadline. Only used when a page has no programme at all."""

from __future__ import annotations

from datetime import UTC, date, datetime

from notifier.events import Event, load_event
from notifier.listing import ImportOptions, ImportResult, import_listing

TODAY = date(2026, 11, 25)

PRESS_NOTE = (  # https://ungeneva.org/…/human-rights-council-holds-its-twenty-fifth-regular-session-3-28
    "HUMAN RIGHTS COUNCIL HOLDS ITS TWENTY-FIFTH REGULAR SESSION FROM 3 to 28 MARCH 2014\n"
    "Secretary-General Ban Ki-moon will open the twenty-fifth regular session at 9 a.m. on "
    "Monday, 3 March, commencing the four-day High-Level Segment. The panel discussion on "
    "human rights mainstreaming will be held at 9 a.m. on Tuesday, 4 March, and at 3 p.m. that "
    "day the high-level dialogue on preventative approaches will take place.\n"
)
TOWN_HALLS = (  # https://scalaskanews.com/stories/635325814-three-virtual-town-halls
    "THREE VIRTUAL TOWN HALLS:Tuesday, November 29thWednesday, November 30thThursday, "
    "December 1st.\n"
    "All three town halls will be from 6 to 8 p.m. and will be live-streamed.\n"
    "If you would like to ask a question, you will need to sign-up by 5 p.m. the day before "
    "the virtual town hall date.\n"
)
DEADLINE = (
    "Dear Delegates,\n\nIn preparation for the conference, each delegation should submit a "
    "Position Paper by 11:59 p.m. ET on 1 March 2025 in accordance with the guidelines.\n"
)


def _event(result: ImportResult) -> Event:
    assert result.yaml_text is not None, result.report_lines("page")
    loaded = load_event(result.yaml_text, "draft.yaml", today=TODAY)
    assert [str(p) for p in loaded.problems] == []
    assert loaded.event is not None
    return loaded.event


def _import(text: str, **options: object) -> ImportResult:
    return import_listing(text, ImportOptions("page", today=TODAY, **options))  # type: ignore[arg-type]


def test_a_press_note_gives_one_session_per_time_and_says_titles_need_a_look() -> None:
    """ "at 9 a.m. on Monday, 3 March"; "and at 3 p.m. that day" is on 4 March."""
    result = _import(PRESS_NOTE, zone="Europe/Zurich", year=2014)
    starts = [s.start_utc for s in _event(result).sessions]
    assert starts == [
        datetime(2014, 3, 3, 8, 0, tzinfo=UTC),
        datetime(2014, 3, 4, 8, 0, tzinfo=UTC),
        datetime(2014, 3, 4, 14, 0, tzinfo=UTC),
    ]
    assert sum("read from a sentence" in line for line in result.report_lines("page")) == 3


def test_one_time_for_all_the_dates_listed_before_it() -> None:
    """Three town halls, 6 to 8 p.m. each; the sign-up time "the day before" is no session."""
    event = _event(_import(TOWN_HALLS, zone="America/Chicago", year=2022))
    assert [(s.start_utc, s.end_utc) for s in event.sessions] == [
        (datetime(2022, 11, 30, 0, 0, tzinfo=UTC), datetime(2022, 11, 30, 2, 0, tzinfo=UTC)),
        (datetime(2022, 12, 1, 0, 0, tzinfo=UTC), datetime(2022, 12, 1, 2, 0, tzinfo=UTC)),
        (datetime(2022, 12, 2, 0, 0, tzinfo=UTC), datetime(2022, 12, 2, 2, 0, tzinfo=UTC)),
    ]


def test_a_deadline_in_a_guide_is_a_deadline() -> None:
    """ "by 11:59 p.m. ET on 1 March 2025" is kind: deadline, at 04:59 UTC on 2 March."""
    [session] = _event(_import(DEADLINE)).sessions
    assert session.kind == "deadline"
    assert session.start_utc == datetime(2025, 3, 2, 4, 59, tzinfo=UTC)


def test_a_programme_page_does_not_read_its_sentences() -> None:
    """With a programme on the page, "the rooms open at 8:30 a.m." stays a note."""
    text = (
        "The rooms open at 8:30 a.m. on 14 October 2024.\n\n"
        "MONDAY, 14 OCTOBER 2024\n10:00 Opening\n"
    )
    result = _import(text, zone="Europe/Vienna")
    assert [s.title for s in _event(result).sessions] == ["Opening"]
    assert any(line.startswith("page:1: note:") for line in result.report_lines("page"))
