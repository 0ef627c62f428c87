"""find_times: every date, time and range in a real listing paragraph, with its offsets.

The paragraphs are copied from public pages (the corpus's sources); the importer (#14) will
scan text like this and must get each span's position and instant, and skip the numbers and
month names that are not times.
"""

from datetime import UTC, date, datetime

from notifier.times import TimeContext, find_times

VIENNA_NOTE = (  # https://docslib.org/doc/9359102/practical-information-note
    "The sessions will take place from 9.00 to 17:15 on the first and from 9:00 to 15:45 on "
    "the second day, with time for a lunch break/side events from 12:00 to 13:30 on the first "
    "and from 12:30 to 13:30 on the second day. The official programme of the conference will "
    "start with a high-level segment on Tuesday, 1 October from 9:00 to 10:00."
)
CFP = (  # https://www.wpes2023.conf.kth.se/cfp.html
    "Papers must be received by the deadline of July 31, 2023 (11:59 PM AoE, UTC-12) to be "
    "considered. Notification of acceptance or rejection will be sent to authors by September "
    "12, 2023. Submissions should be no more than 12 pages in the ACM double-column format."
)
WEBINARS = (  # https://www.eujapanspa.jp/home
    "from June to October, a total of 9 webinars will be held.\n"
    "- 17th Sep 2020 4:30pm JST | 9.30am CET\n"
    "- 7th Oct 2020 - 4:30pm JST | 9.30am CET\n"
)


def test_ranges_in_a_practical_note_are_found_where_they_are_written() -> None:
    """Each span's offsets point at the text itself, so the importer can quote it back."""
    found = find_times(VIENNA_NOTE, TimeContext(zone="Europe/Vienna", day=date(2019, 10, 1)))

    assert [f.text for f in found] == [
        "9.00 to 17:15",
        "9:00 to 15:45",
        "12:00 to 13:30",
        "12:30 to 13:30",
        "Tuesday, 1 October from 9:00 to 10:00",
    ]
    assert all(VIENNA_NOTE[f.start : f.end] == f.text for f in found)
    assert all(f.kind == "range" for f in found)
    last = found[-1].resolved
    assert last is not None
    assert last.start.astimezone(UTC) == datetime(2019, 10, 1, 7, 0, tzinfo=UTC)


def test_a_deadline_and_a_date_are_found_and_page_counts_are_not() -> None:
    """ "12 pages" is a number, not a time; a date without a time is reported as a date."""
    found = find_times(CFP)

    deadline, notification = found
    assert deadline.text == "July 31, 2023 (11:59 PM AoE, UTC-12)"
    assert deadline.resolved is not None
    assert deadline.resolved.start.astimezone(UTC) == datetime(2023, 8, 1, 11, 59, tzinfo=UTC)
    assert notification.kind == "date"
    assert notification.day == date(2023, 9, 12)


def test_each_line_of_a_webinar_list_is_one_span_with_both_zones_checked() -> None:
    """ "9.30am CET" in September is a season slip: a warning, and the JST time still wins."""
    found = find_times(WEBINARS)

    assert [f.text for f in found] == [
        "17th Sep 2020 4:30pm JST | 9.30am CET",
        "7th Oct 2020 - 4:30pm JST | 9.30am CET",
    ]
    first = found[0].resolved
    assert first is not None
    assert first.start.astimezone(UTC) == datetime(2020, 9, 17, 7, 30, tzinfo=UTC)
    assert [w.code for w in first.warnings] == ["season-abbreviation"]


def test_a_span_that_does_not_resolve_keeps_the_refusal_code() -> None:
    """The importer reports what to fix instead of dropping or guessing the time."""
    (found,) = find_times(
        "Join us at 10:00 CEST (3:00 a.m. EST) for the launch.", TimeContext(day=date(2026, 6, 2))
    )

    assert found.text == "10:00 CEST (3:00 a.m. EST)"
    assert found.resolved is None
    assert found.error == "conversion-mismatch"


def test_a_numbered_label_is_not_a_one_oclock() -> None:
    """ "Day 1: 30th March" heads a programme day; reading "1:" as a clock refused the day."""
    found = find_times("Day 1: 30th March", TimeContext(year=2020))
    assert [(f.text, f.kind, f.day) for f in found] == [("30th March", "date", date(2020, 3, 30))]


def test_a_date_printed_twice_is_two_spans_not_two_dates() -> None:
    """The EU-Japan page prints each date twice, glued: the time goes with the second one."""
    text = "- Thursday 11th June 202011th June 2020 4:30pm JST | 9.30am CET"
    found = find_times(text, TimeContext(zone="Asia/Tokyo"))
    assert [f.text for f in found] == [
        "Thursday 11th June 2020",
        "11th June 2020 4:30pm JST | 9.30am CET",
    ]
    assert found[1].resolved is not None
    assert found[1].resolved.start.astimezone(UTC) == datetime(2020, 6, 11, 7, 30, tzinfo=UTC)


def test_a_weekday_that_starts_a_room_name_is_left_out() -> None:
    """ "7:00 PM – Sun Room, Memorial Union": Sun is a room, not Sunday."""
    found = find_times("7:00 PM – Sun Room, Memorial Union", TimeContext(day=date(2018, 2, 22)))
    assert [f.text for f in found] == ["7:00 PM"]


def test_a_resolution_number_that_is_no_date_either_way_is_refused_not_a_crash() -> None:
    """ "resolution 55/25" in a background guide: 55/25 is neither day-first nor month-first."""
    [found] = find_times("defined organized crime in resolution 55/25 at 10:00")
    assert found.error == "invalid-date"


def test_a_time_inside_a_parenthesis_of_words_is_found() -> None:
    """ "(Plenary Hall, 10 a.m. – 1 p.m.)" was one opaque token: its time was never seen."""
    text = "▶ 1st plenary meeting  (Plenary Hall,  10 a.m. – 1 p.m.)"
    [found] = find_times(text)
    assert (found.text, text[found.start : found.end]) == ("10 a.m. – 1 p.m.", "10 a.m. – 1 p.m.")


def test_old_style_ordinal_days() -> None:
    """US pages still write the 2d, 3d, 22d, 23d of a month."""
    [found] = find_times("Friday 23d October", TimeContext(year=2020))
    assert found.day == date(2020, 10, 23)
