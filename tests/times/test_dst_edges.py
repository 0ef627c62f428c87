"""DST gaps and folds, season abbreviations, ambiguous names and the clock and offset forms.

Each table row has an id. Every resolved case checks the instant (compared in UTC, because
Python never finds a fold=1 datetime equal to one in another zone) and the offset the zone
really has at that instant.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from notifier.times import TimeContext, TimeExpressionError, parse_when

VIENNA = TimeContext(zone="Europe/Vienna")
NEW_YORK = TimeContext(zone="America/New_York")
NOV_2026 = TimeContext(today=date(2026, 11, 25))
NO_CONTEXT = TimeContext()


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


RESOLVED = [
    # Europe/Vienna, spring forward on 26 March 2023: 02:00 CET jumps to 03:00 CEST (01:00Z).
    pytest.param(
        "26 March 2023 01:59 CET",
        VIENNA,
        datetime(2023, 3, 26, 0, 59, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        (),
        id="vienna-spring-0159-cet-before-gap",
    ),
    pytest.param(
        "26 March 2023 01:59",
        VIENNA,
        datetime(2023, 3, 26, 0, 59, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        (),
        id="vienna-spring-0159-venue-zone",
    ),
    pytest.param(
        "26 March 2023 03:00 CEST",
        VIENNA,
        datetime(2023, 3, 26, 1, 0, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="vienna-spring-0300-cest-after-gap",
    ),
    pytest.param(
        "26 March 2023 03:00 Europe/Vienna",
        NO_CONTEXT,
        datetime(2023, 3, 26, 1, 0, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="vienna-spring-0300-iana",
    ),
    # Europe/Vienna, fall back on 29 October 2023: 03:00 CEST returns to 02:00 CET (01:00Z).
    pytest.param(
        "29 October 2023 02:30 CEST",
        VIENNA,
        datetime(2023, 10, 29, 0, 30, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="vienna-fall-0230-cest-first",
    ),
    pytest.param(
        "29 October 2023 02:30 CET",
        VIENNA,
        datetime(2023, 10, 29, 1, 30, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        (),
        id="vienna-fall-0230-cet-second",
    ),
    pytest.param(
        "2023-10-29T02:30+02:00[Europe/Vienna]",
        NO_CONTEXT,
        datetime(2023, 10, 29, 0, 30, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="vienna-fall-iso-offset-settles-first",
    ),
    pytest.param(
        "2023-10-29T02:30+01:00[Europe/Vienna]",
        NO_CONTEXT,
        datetime(2023, 10, 29, 1, 30, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        (),
        id="vienna-fall-iso-offset-settles-second",
    ),
    # America/New_York: spring forward 12 March 2023 02:00 EST (07:00Z), fall back
    # 5 November 2023 02:00 EDT (06:00Z).
    pytest.param(
        "12 March 2023 01:59 ET",
        NO_CONTEXT,
        datetime(2023, 3, 12, 6, 59, tzinfo=UTC),
        hours(-5),
        "America/New_York",
        (),
        id="ny-spring-0159-et-before-gap",
    ),
    pytest.param(
        "12 March 2023 03:00 ET",
        NO_CONTEXT,
        datetime(2023, 3, 12, 7, 0, tzinfo=UTC),
        hours(-4),
        "America/New_York",
        (),
        id="ny-spring-0300-et-after-gap",
    ),
    pytest.param(
        "5 November 2023 01:30 EDT",
        NO_CONTEXT,
        datetime(2023, 11, 5, 5, 30, tzinfo=UTC),
        hours(-4),
        "America/New_York",
        (),
        id="ny-fall-0130-edt-first",
    ),
    pytest.param(
        "5 November 2023 01:30 EST",
        NO_CONTEXT,
        datetime(2023, 11, 5, 6, 30, tzinfo=UTC),
        hours(-5),
        "America/New_York",
        (),
        id="ny-fall-0130-est-second",
    ),
    # Asia/Tokyo has no DST: the Vienna and New York switch nights are ordinary there.
    pytest.param(
        "26 March 2023 02:30 JST",
        NO_CONTEXT,
        datetime(2023, 3, 25, 17, 30, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        (),
        id="tokyo-on-vienna-spring-night",
    ),
    pytest.param(
        "29 October 2023 02:30 Asia/Tokyo",
        NO_CONTEXT,
        datetime(2023, 10, 28, 17, 30, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        (),
        id="tokyo-on-vienna-fall-night",
    ),
    pytest.param(
        "12 March 2023 02:30 JST",
        NO_CONTEXT,
        datetime(2023, 3, 11, 17, 30, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        (),
        id="tokyo-on-ny-spring-night",
    ),
    pytest.param(
        "5 November 2023 01:30 Asia/Tokyo",
        NO_CONTEXT,
        datetime(2023, 11, 4, 16, 30, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        (),
        id="tokyo-on-ny-fall-night",
    ),
    pytest.param(
        "12 July 2024 10:00 JST",
        NO_CONTEXT,
        datetime(2024, 7, 12, 1, 0, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        (),
        id="tokyo-summer",
    ),
    # A season abbreviation that names the wrong season warns; the zone's real offset wins.
    pytest.param(
        "12 January 2024 10:00 CEST",
        VIENNA,
        datetime(2024, 1, 12, 9, 0, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        ("season-abbreviation",),
        id="cest-in-january-vienna",
    ),
    pytest.param(
        "12 July 2024 10:00 EST",
        NEW_YORK,
        datetime(2024, 7, 12, 14, 0, tzinfo=UTC),
        hours(-4),
        "America/New_York",
        ("season-abbreviation",),
        id="est-in-july-new-york",
    ),
    pytest.param(
        "12 July 2024 10:00 EST",
        NO_CONTEXT,
        datetime(2024, 7, 12, 14, 0, tzinfo=UTC),
        hours(-4),
        "America/New_York",
        ("season-abbreviation",),
        id="est-in-july-no-venue",
    ),
    # ET is America/New_York whatever the season.
    pytest.param(
        "12 July 2024 10:00 ET",
        NO_CONTEXT,
        datetime(2024, 7, 12, 14, 0, tzinfo=UTC),
        hours(-4),
        "America/New_York",
        (),
        id="et-in-summer-is-edt",
    ),
    pytest.param(
        "12 January 2024 10:00 ET",
        NO_CONTEXT,
        datetime(2024, 1, 12, 15, 0, tzinfo=UTC),
        hours(-5),
        "America/New_York",
        (),
        id="et-in-winter-is-est",
    ),
    # Ambiguous abbreviations settled by the event's zone.
    pytest.param(
        "12 July 2024 10:00 IST",
        TimeContext(zone="Asia/Kolkata"),
        datetime(2024, 7, 12, 4, 30, tzinfo=UTC),
        hours(5.5),
        "Asia/Kolkata",
        (),
        id="ist-settled-by-kolkata",
    ),
    pytest.param(
        "12 January 2024 10:00 CST",
        TimeContext(zone="America/Chicago"),
        datetime(2024, 1, 12, 16, 0, tzinfo=UTC),
        hours(-6),
        "America/Chicago",
        (),
        id="cst-settled-by-chicago",
    ),
    pytest.param(
        "12 July 2024 10:00 BST",
        TimeContext(zone="Europe/London"),
        datetime(2024, 7, 12, 9, 0, tzinfo=UTC),
        hours(1),
        "Europe/London",
        (),
        id="bst-settled-by-london",
    ),
    # CET is the venue's own Central European zone.
    pytest.param(
        "12 January 2024 10:00 CET",
        VIENNA,
        datetime(2024, 1, 12, 9, 0, tzinfo=UTC),
        hours(1),
        "Europe/Vienna",
        (),
        id="cet-is-the-venue-zone",
    ),
    # No year: a weekday and the reference date pick the nearest year with that weekday.
    pytest.param(
        "Thursday 11th March, 9:00 JST",
        NOV_2026,
        datetime(2027, 3, 11, 0, 0, tzinfo=UTC),
        hours(9),
        "Asia/Tokyo",
        ("inferred-year",),
        id="inferred-year-2027-forward",
    ),
    pytest.param(
        "Tuesday 23 May 09:10 CEST",
        TimeContext(zone="Europe/Vienna", today=date(2026, 11, 25)),
        datetime(2028, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        ("inferred-year",),
        id="inferred-year-2028-not-2023",
    ),
    pytest.param(
        "Wednesday 25 November 10:00 UTC",
        NOV_2026,
        datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        hours(0),
        "UTC",
        ("inferred-year",),
        id="inferred-year-is-this-year-when-it-fits",
    ),
    # Clock forms.
    pytest.param(
        "23 May 2023 noon UTC",
        NO_CONTEXT,
        datetime(2023, 5, 23, 12, 0, tzinfo=UTC),
        hours(0),
        "UTC",
        (),
        id="noon",
    ),
    pytest.param(
        "23 May 2023 midnight UTC",
        NO_CONTEXT,
        datetime(2023, 5, 23, 0, 0, tzinfo=UTC),
        hours(0),
        "UTC",
        (),
        id="midnight-starts-the-day",
    ),
    pytest.param(
        "23 May 2023 21:15 CEST",
        VIENNA,
        datetime(2023, 5, 23, 19, 15, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="24h-clock-evening",
    ),
    pytest.param(
        "23 May 2023 9:15 p.m. CEST",
        VIENNA,
        datetime(2023, 5, 23, 19, 15, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="12h-clock-pm",
    ),
    pytest.param(
        "23 May 2023 12:30 a.m. CEST",
        VIENNA,
        datetime(2023, 5, 22, 22, 30, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="12h-clock-half-past-midnight",
    ),
    pytest.param(
        "23 May 2023 12:30 p.m. CEST",
        VIENNA,
        datetime(2023, 5, 23, 10, 30, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="12h-clock-half-past-noon",
    ),
    # Explicit offsets.
    pytest.param(
        "23 May 2023 09:10 UTC+2",
        NO_CONTEXT,
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "UTC+02:00",
        (),
        id="offset-utc-plus-2",
    ),
    pytest.param(
        "23 May 2023 09:10 GMT-5",
        NO_CONTEXT,
        datetime(2023, 5, 23, 14, 10, tzinfo=UTC),
        hours(-5),
        "UTC-05:00",
        (),
        id="offset-gmt-minus-5",
    ),
    pytest.param(
        "23 May 2023 09:10 UTC+05:30",
        NO_CONTEXT,
        datetime(2023, 5, 23, 3, 40, tzinfo=UTC),
        hours(5.5),
        "UTC+05:30",
        (),
        id="offset-utc-plus-0530",
    ),
    # ISO 8601 and RFC 9557.
    pytest.param(
        "2023-05-23T09:10+02:00",
        NO_CONTEXT,
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "UTC+02:00",
        (),
        id="iso-with-offset",
    ),
    pytest.param(
        "2023-05-23T09:10[Europe/Vienna]",
        NO_CONTEXT,
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="iso-with-zone",
    ),
    pytest.param(
        "2023-05-23T09:10+02:00[Europe/Vienna]",
        NO_CONTEXT,
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="rfc9557-offset-and-zone",
    ),
    pytest.param(
        "2023-05-23T09:10",
        VIENNA,
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        hours(2),
        "Europe/Vienna",
        (),
        id="iso-local-in-venue-zone",
    ),
]


@pytest.mark.parametrize(
    ("text", "context", "start_utc", "offset", "zone", "warning_codes"), RESOLVED
)
def test_expression_resolves_to_the_instant_and_offset_the_zone_has_then(
    text: str,
    context: TimeContext,
    start_utc: datetime,
    offset: timedelta,
    zone: str,
    warning_codes: tuple[str, ...],
) -> None:
    """Each row is a hand-checked instant; a wrong offset here would move a reminder by an hour."""
    resolved = parse_when(text, context)

    assert resolved.start.astimezone(UTC) == start_utc
    assert resolved.start.utcoffset() == offset
    assert resolved.zone == zone
    assert tuple(issue.code for issue in resolved.warnings) == warning_codes


RANGES = [
    pytest.param(
        "23 May 2023 22:00 to 01:00 UTC",
        datetime(2023, 5, 23, 22, 0, tzinfo=UTC),
        datetime(2023, 5, 24, 1, 0, tzinfo=UTC),
        id="crosses-midnight-ends-next-day",
    ),
    pytest.param(
        "23 May 2023 8 p.m. to midnight UTC",
        datetime(2023, 5, 23, 20, 0, tzinfo=UTC),
        datetime(2023, 5, 24, 0, 0, tzinfo=UTC),
        id="to-midnight-ends-next-day",
    ),
    pytest.param(
        "23 May 2023 noon to 1 p.m. UTC",
        datetime(2023, 5, 23, 12, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 13, 0, tzinfo=UTC),
        id="from-noon",
    ),
    pytest.param(
        "23 May 2023 9:00–10:00 UTC",
        datetime(2023, 5, 23, 9, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 10, 0, tzinfo=UTC),
        id="en-dash",
    ),
    pytest.param(
        "23 May 2023 9:00—10:00 UTC",
        datetime(2023, 5, 23, 9, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 10, 0, tzinfo=UTC),
        id="em-dash",
    ),
    pytest.param(
        "23 May 2023 9:00 to 10:00 UTC",
        datetime(2023, 5, 23, 9, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 10, 0, tzinfo=UTC),
        id="word-to",
    ),
    pytest.param(
        "23 May 2023 21:00-22:30 UTC",
        datetime(2023, 5, 23, 21, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 22, 30, tzinfo=UTC),
        id="24h-clock-range",
    ),
    pytest.param(
        "23 May 2023 11 a.m.–1 p.m. UTC",
        datetime(2023, 5, 23, 11, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 13, 0, tzinfo=UTC),
        id="12h-clock-range-across-noon",
    ),
    pytest.param(
        "23 May 2023 11–1 p.m. UTC",
        datetime(2023, 5, 23, 11, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 13, 0, tzinfo=UTC),
        id="12h-start-borrows-shortest-half",
    ),
    pytest.param(
        "29 October 2023 01:00-04:00 Europe/Vienna",
        datetime(2023, 10, 28, 23, 0, tzinfo=UTC),
        datetime(2023, 10, 29, 3, 0, tzinfo=UTC),
        id="range-spanning-vienna-fall-back",
    ),
]


@pytest.mark.parametrize(("text", "start_utc", "end_utc"), RANGES)
def test_range_end_is_the_next_instant_after_the_start_at_the_written_clock(
    text: str, start_utc: datetime, end_utc: datetime
) -> None:
    """A session ending at or before its start clock ends the next day, never before it starts."""
    resolved = parse_when(text)

    assert resolved.start.astimezone(UTC) == start_utc
    assert resolved.end is not None
    assert resolved.end.astimezone(UTC) == end_utc


def test_range_across_fall_back_keeps_each_end_at_its_own_offset() -> None:
    """A range spanning the fall-back night starts in CEST and ends in CET, 4 hours later."""
    resolved = parse_when("29 October 2023 01:00-04:00 Europe/Vienna")

    assert resolved.start.utcoffset() == hours(2)
    assert resolved.end is not None
    assert resolved.end.utcoffset() == hours(1)
    assert resolved.end.astimezone(UTC) - resolved.start.astimezone(UTC) == hours(4)


ERRORS = [
    pytest.param("26 March 2023 02:30", VIENNA, "nonexistent-time", id="vienna-gap-venue"),
    pytest.param(
        "26 March 2023 02:30 Europe/Vienna", NO_CONTEXT, "nonexistent-time", id="vienna-gap-iana"
    ),
    pytest.param("26 March 2023 02:30 CEST", VIENNA, "nonexistent-time", id="vienna-gap-cest"),
    pytest.param("29 October 2023 02:30", VIENNA, "ambiguous-time", id="vienna-fold-venue"),
    pytest.param(
        "29 October 2023 02:30 Europe/Vienna", NO_CONTEXT, "ambiguous-time", id="vienna-fold-iana"
    ),
    pytest.param("12 March 2023 02:30 ET", NO_CONTEXT, "nonexistent-time", id="ny-gap-et"),
    pytest.param("12 March 2023 02:30", NEW_YORK, "nonexistent-time", id="ny-gap-venue"),
    pytest.param("5 November 2023 01:30 ET", NO_CONTEXT, "ambiguous-time", id="ny-fold-et"),
    pytest.param(
        "5 November 2023 01:30 America/New_York", NO_CONTEXT, "ambiguous-time", id="ny-fold-iana"
    ),
    pytest.param(
        "12 July 2024 10:00 IST", NO_CONTEXT, "ambiguous-abbreviation", id="ist-without-zone"
    ),
    pytest.param(
        "12 January 2024 10:00 CST", NO_CONTEXT, "ambiguous-abbreviation", id="cst-without-zone"
    ),
    pytest.param(
        "12 July 2024 10:00 BST", NO_CONTEXT, "ambiguous-abbreviation", id="bst-without-zone"
    ),
    pytest.param(
        "Monday 23 May 2023 09:10 CEST", NO_CONTEXT, "weekday-mismatch", id="weekday-mismatch"
    ),
    pytest.param(
        "Tuesday 24 May 09:10 CEST",
        TimeContext(year=2023),
        "weekday-mismatch",
        id="weekday-mismatch-with-event-year",
    ),
    pytest.param("23 May 09:10 CEST", NO_CONTEXT, "missing-year", id="no-year-no-weekday"),
    pytest.param(
        "23 May 09:10 CEST", NOV_2026, "missing-year", id="no-year-no-weekday-even-with-today"
    ),
    pytest.param(
        "2023-05-23T09:10+01:00[Europe/Vienna]",
        NO_CONTEXT,
        "offset-mismatch",
        id="rfc9557-offset-contradicts-zone",
    ),
    pytest.param(
        "2023-03-26T02:30[Europe/Vienna]", NO_CONTEXT, "nonexistent-time", id="iso-zone-in-gap"
    ),
    pytest.param("2023-03-26T02:30", VIENNA, "nonexistent-time", id="iso-venue-in-gap"),
    pytest.param(
        "2023-10-29T02:30[Europe/Vienna]", NO_CONTEXT, "ambiguous-time", id="iso-zone-in-fold"
    ),
]


@pytest.mark.parametrize(("text", "context", "code"), ERRORS)
def test_expression_that_cannot_name_one_instant_is_refused_with_a_stable_code(
    text: str, context: TimeContext, code: str
) -> None:
    """A gap, a doubled hour or a contradiction has no one answer; a guess sends at a wrong time."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_when(text, context)

    assert caught.value.code == code


COLUMNS = [
    pytest.param("Tuesday 23 May 2023 09:10 XYZ", NO_CONTEXT, 26, "XYZ", id="unknown-word"),
    pytest.param("Monday 23 May 2023 09:10 CEST", NO_CONTEXT, 0, "Monday", id="wrong-weekday"),
    pytest.param("12 July 2024 10:00 IST", NO_CONTEXT, 19, "IST", id="ambiguous-abbreviation"),
    pytest.param("23 May 09:10 CEST", NO_CONTEXT, 0, "23 May", id="missing-year"),
    pytest.param(
        "2023-05-23T09:10+02:00[Foo/Bar]", NO_CONTEXT, 23, "Foo/Bar", id="unknown-iso-zone"
    ),
]


@pytest.mark.parametrize(("text", "context", "column", "fragment"), COLUMNS)
def test_error_column_points_at_the_offending_text(
    text: str, context: TimeContext, column: int, fragment: str
) -> None:
    """Config errors are reported as file:line:column, so the column must land on the culprit."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_when(text, context)

    assert caught.value.column == column
    assert text[column:].startswith(fragment)


def test_season_abbreviation_warning_points_at_the_abbreviation() -> None:
    """The warning tells the organizer what to rewrite, so it must point at "CEST" itself."""
    text = "12 January 2024 10:00 CEST"

    resolved = parse_when(text, VIENNA)

    (issue,) = resolved.warnings
    assert issue.code == "season-abbreviation"
    assert issue.column == 22
    assert text[22:] == "CEST"


def test_host_localtime_is_not_accepted_as_an_iana_zone() -> None:
    """The "localtime" key is the host's setting: one config must mean one instant on every host."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_when("2023-05-23T09:10[localtime]")

    assert caught.value.code == "unknown-zone"
