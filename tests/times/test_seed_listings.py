"""Every time form in the seed listings (shared/seeds/) resolves to the instant worked out by hand.

The expected instants are literals: the listing's wall time minus the zone's offset on that
date, done on paper (CEST = UTC+2, CET = UTC+1, JST = UTC+9, EST = UTC-5), never with zoneinfo.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from notifier.times import TimeContext, TimeExpressionError, parse_day, parse_when

CEST = timedelta(hours=2)
JST = timedelta(hours=9)
EST = timedelta(hours=-5)

CCPCJ_2023 = TimeContext(year=2023, zone="Europe/Vienna")
KYOTO_2021 = TimeContext(year=2021, zone="Asia/Tokyo")

CCPCJ_ROWS = [
    pytest.param(
        "Tuesday 23 May 09:10- 10:00 CEST",
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 8, 0, tzinfo=UTC),
        id="tue-23-0910",
    ),
    pytest.param(
        "**Tuesday 23 May\n09:10- 10:00 CEST**",
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 8, 0, tzinfo=UTC),
        id="tue-23-0910-raw-markdown",
    ),
    pytest.param(
        "Tuesday 23 May 13:00-13:50 CEST",
        datetime(2023, 5, 23, 11, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 11, 50, tzinfo=UTC),
        id="tue-23-1300",
    ),
    pytest.param(
        "Wednesday 24 May 08:00-08:50 CEST",
        datetime(2023, 5, 24, 6, 0, tzinfo=UTC),
        datetime(2023, 5, 24, 6, 50, tzinfo=UTC),
        id="wed-24-0800",
    ),
    pytest.param(
        "Thursday 25 May 09:10- 10:00 CEST",
        datetime(2023, 5, 25, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 25, 8, 0, tzinfo=UTC),
        id="thu-25-0910",
    ),
    pytest.param(
        "Friday 26 May 08:00-08:50 CEST",
        datetime(2023, 5, 26, 6, 0, tzinfo=UTC),
        datetime(2023, 5, 26, 6, 50, tzinfo=UTC),
        id="fri-26-0800",
    ),
    pytest.param(
        "Friday 26 May 13:00-13:50 CEST",
        datetime(2023, 5, 26, 11, 0, tzinfo=UTC),
        datetime(2023, 5, 26, 11, 50, tzinfo=UTC),
        id="fri-26-1300",
    ),
    pytest.param(
        "Tuesday 23 May 14:10-15:00 CEST",
        datetime(2023, 5, 23, 12, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 13, 0, tzinfo=UTC),
        id="tue-23-1410",
    ),
]


@pytest.mark.parametrize(("text", "start_utc", "end_utc"), CCPCJ_ROWS)
def test_ccpcj_2023_cest_rows_resolve_to_vienna_summer_time(
    text: str, start_utc: datetime, end_utc: datetime
) -> None:
    """The CCPCJ listing omits the year; with the event's year its CEST rows are UTC+2 in Vienna."""
    resolved = parse_when(text, CCPCJ_2023)

    assert resolved.start == start_utc
    assert resolved.end == end_utc
    assert resolved.start.utcoffset() == CEST
    assert resolved.end is not None
    assert resolved.end.utcoffset() == CEST
    assert resolved.zone == "Europe/Vienna"
    assert resolved.warnings == ()


KYOTO_SHORT_ROWS = [
    pytest.param(
        "Thursday 11th March, 9:00 -10:30 JST (1am – 2:30am CET)",
        datetime(2021, 3, 11, 0, 0, tzinfo=UTC),
        datetime(2021, 3, 11, 1, 30, tzinfo=UTC),
        id="thu-11-0900",
    ),
    pytest.param(
        "Thursday 11th March, 14:00 – 15:30 JST (6am – 07:30am CET)",
        datetime(2021, 3, 11, 5, 0, tzinfo=UTC),
        datetime(2021, 3, 11, 6, 30, tzinfo=UTC),
        id="thu-11-1400",
    ),
    pytest.param(
        "Friday 12th March, 11:30 – 13:00 JST (3:30am – 5:00am CET)",
        datetime(2021, 3, 12, 2, 30, tzinfo=UTC),
        datetime(2021, 3, 12, 4, 0, tzinfo=UTC),
        id="fri-12-1130",
    ),
]


@pytest.mark.parametrize(("text", "start_utc", "end_utc"), KYOTO_SHORT_ROWS)
def test_kyoto_2021_jst_rows_with_cet_conversion_resolve_to_tokyo_time(
    text: str, start_utc: datetime, end_utc: datetime
) -> None:
    """Kyoto Congress rows are JST (UTC+9) and their CET conversion agrees, so no warning."""
    resolved = parse_when(text, KYOTO_2021)

    assert resolved.start == start_utc
    assert resolved.end == end_utc
    assert resolved.start.utcoffset() == JST
    assert resolved.end is not None
    assert resolved.end.utcoffset() == JST
    assert resolved.zone == "Asia/Tokyo"
    assert resolved.warnings == ()


KYOTO_LONG_ROWS = [
    pytest.param(
        "Time: 09:00 – 10:30 – Japanese Standard Time (1am – 2:30am CET)",
        date(2021, 3, 11),
        datetime(2021, 3, 11, 0, 0, tzinfo=UTC),
        datetime(2021, 3, 11, 1, 30, tzinfo=UTC),
        id="session-166",
    ),
    pytest.param(
        "Time: 14:00 – 15:30 – Japanese Standard Time (6am – 7:30am CET)",
        date(2021, 3, 11),
        datetime(2021, 3, 11, 5, 0, tzinfo=UTC),
        datetime(2021, 3, 11, 6, 30, tzinfo=UTC),
        id="session-46",
    ),
    pytest.param(
        "Time: 11:30 – 13:00 – Japanese Standard Time (3:30am – 5am CET)",
        date(2021, 3, 12),
        datetime(2021, 3, 12, 2, 30, tzinfo=UTC),
        datetime(2021, 3, 12, 4, 0, tzinfo=UTC),
        id="session-40",
    ),
]


@pytest.mark.parametrize(("text", "day", "start_utc", "end_utc"), KYOTO_LONG_ROWS)
def test_kyoto_long_form_with_japanese_standard_time_resolves_under_its_date_line(
    text: str, day: date, start_utc: datetime, end_utc: datetime
) -> None:
    """The long form names the zone in words and takes its date from the "Date:" line above."""
    resolved = parse_when(text, TimeContext(day=day))

    assert resolved.start == start_utc
    assert resolved.end == end_utc
    assert resolved.start.utcoffset() == JST
    assert resolved.zone == "Asia/Tokyo"
    assert resolved.warnings == ()


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        pytest.param("MONDAY, 14 OCTOBER", date(2024, 10, 14), id="monday-14"),
        pytest.param("TUESDAY, 15 OCTOBER", date(2024, 10, 15), id="tuesday-15"),
        pytest.param("FRIDAY, 18 OCTOBER", date(2024, 10, 18), id="friday-18"),
    ],
)
def test_crimecop12_day_heading_gives_the_date_in_the_programme_year(
    heading: str, expected: date
) -> None:
    """Programme rows carry no date; the heading above them, with the page's year, supplies it."""
    assert parse_day(heading, TimeContext(year=2024)) == expected


# Vienna is on CEST (UTC+2) until 27 October 2024, so 14-15 October rows are UTC+2.
CRIMECOP12_ROWS = [
    pytest.param(
        "MONDAY, 14 OCTOBER",
        "10 a.m.–1 p.m.",
        datetime(2024, 10, 14, 8, 0, tzinfo=UTC),
        datetime(2024, 10, 14, 11, 0, tzinfo=UTC),
        id="plenary-morning",
    ),
    pytest.param(
        "MONDAY, 14 OCTOBER",
        "3–6 p.m.",
        datetime(2024, 10, 14, 13, 0, tzinfo=UTC),
        datetime(2024, 10, 14, 16, 0, tzinfo=UTC),
        id="plenary-afternoon-pm-lent-to-start",
    ),
    pytest.param(
        "MONDAY, 14 OCTOBER",
        "1–1.50 p.m.",
        datetime(2024, 10, 14, 11, 0, tzinfo=UTC),
        datetime(2024, 10, 14, 11, 50, tzinfo=UTC),
        id="side-event-dot-minutes",
    ),
    pytest.param(
        "MONDAY, 14 OCTOBER",
        "1.15–2.10 p.m.",
        datetime(2024, 10, 14, 11, 15, tzinfo=UTC),
        datetime(2024, 10, 14, 12, 10, tzinfo=UTC),
        id="ministerial-dot-minutes-both-ends",
    ),
    pytest.param(
        "MONDAY, 14 OCTOBER",
        "2.10 p.m.",
        datetime(2024, 10, 14, 12, 10, tzinfo=UTC),
        None,
        id="exhibition-start-only",
    ),
    # In the seed this row sits under TUESDAY, 15 OCTOBER (and WEDNESDAY), not Monday.
    pytest.param(
        "TUESDAY, 15 OCTOBER",
        "9–9:50 a.m.",
        datetime(2024, 10, 15, 7, 0, tzinfo=UTC),
        datetime(2024, 10, 15, 7, 50, tzinfo=UTC),
        id="side-event-morning-colon-minutes",
    ),
]


@pytest.mark.parametrize(("heading", "row", "start_utc", "end_utc"), CRIMECOP12_ROWS)
def test_crimecop12_rows_without_zone_resolve_in_the_venue_zone_on_the_heading_day(
    heading: str, row: str, start_utc: datetime, end_utc: datetime | None
) -> None:
    """Rows give venue-local a.m./p.m. times and no zone; the venue zone and heading settle them."""
    day = parse_day(heading, TimeContext(year=2024))

    resolved = parse_when(row, TimeContext(zone="Europe/Vienna", day=day))

    assert resolved.start == start_utc
    assert resolved.end == end_utc
    assert resolved.start.utcoffset() == CEST
    assert resolved.zone == "Europe/Vienna"
    assert resolved.warnings == ()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("11:59 p.m. ET on 1 March 2025", id="bare"),
        pytest.param("by 11:59 p.m. ET on 1 March 2025", id="as-written-with-by"),
    ],
)
def test_nmun_deadline_in_et_resolves_to_eastern_standard_time_next_utc_day(text: str) -> None:
    """A deadline one minute before midnight ET on 1 March is 04:59Z on 2 March (EST, UTC-5)."""
    resolved = parse_when(text)

    assert resolved.start == datetime(2025, 3, 2, 4, 59, tzinfo=UTC)
    assert resolved.end is None
    assert resolved.start.utcoffset() == EST
    assert resolved.zone == "America/New_York"
    assert resolved.warnings == ()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        pytest.param("Thursday 11th March, 9:00 -10:30 JST (2am – 3:30am CET)", 38, id="both"),
        pytest.param("Thursday 11th March, 9:00 -10:30 JST (1am – 3:30am CET)", 44, id="end-only"),
    ],
)
def test_parenthetical_conversion_that_disagrees_with_the_time_is_refused(
    text: str, column: int
) -> None:
    """A wrong "(… CET)" conversion means one of the two times is a typo; guessing would mislead."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_when(text, KYOTO_2021)

    assert caught.value.code == "conversion-mismatch"
    assert caught.value.column == column
