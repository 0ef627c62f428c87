"""Reminder offsets as exact durations, and instants shown to people in their own zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifier.times import (
    TimeExpressionError,
    format_moment,
    format_range,
    parse_duration,
    to_iso_zoned,
    to_listing,
    utc_z,
)

VIENNA = ZoneInfo("Europe/Vienna")
TOKYO = ZoneInfo("Asia/Tokyo")
# 23 May 2023 09:10-10:00 CEST, the first CCPCJ side event: 07:10Z-08:00Z.
CCPCJ_START = datetime(2023, 5, 23, 9, 10, tzinfo=VIENNA)
CCPCJ_END = datetime(2023, 5, 23, 10, 0, tzinfo=VIENNA)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1d", timedelta(hours=24), id="one-day-is-24-hours"),
        pytest.param("1h", timedelta(hours=1), id="one-hour"),
        pytest.param("10m", timedelta(minutes=10), id="ten-minutes"),
        pytest.param("1h30m", timedelta(minutes=90), id="hours-and-minutes"),
        pytest.param("2w", timedelta(days=14), id="two-weeks"),
    ],
)
def test_parse_duration_reads_reminder_offsets_as_exact_durations(
    text: str, expected: timedelta
) -> None:
    """ "1d before" is 24 hours before the instant, even across a DST change."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("0m", id="zero"),
        pytest.param("0h0m", id="zero-in-parts"),
        pytest.param("abc", id="letters"),
        pytest.param("1x", id="unknown-unit"),
        pytest.param("-1h", id="negative"),
        pytest.param("1.5h", id="fraction"),
        pytest.param("h", id="unit-without-number"),
        pytest.param("1m1h", id="units-out-of-order"),
        pytest.param("99999999999w", id="too-large-for-timedelta"),
    ],
)
def test_parse_duration_refuses_bad_offsets_with_invalid_duration(text: str) -> None:
    """An offset that is not a positive duration must fail validation, not schedule oddly."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_duration(text)

    assert caught.value.code == "invalid-duration"


def test_format_moment_shows_the_participant_zone_with_abbreviation_and_offset() -> None:
    """A participant in Tokyo must read 16:10 JST for the 09:10 Vienna session, not venue time."""
    text = format_moment(CCPCJ_START, TOKYO)

    assert "16:10" in text
    assert "JST (UTC+09:00)" in text
    assert "23 May 2023" in text


def test_format_range_shows_both_ends_in_the_participant_zone() -> None:
    """The reminder's range line must move both ends into the reader's zone."""
    text = format_range(CCPCJ_START, CCPCJ_END, TOKYO)

    assert "16:10" in text
    assert "17:00" in text
    assert "JST (UTC+09:00)" in text


def test_format_range_names_the_end_date_when_it_falls_on_another_day() -> None:
    """A session ending after the reader's midnight must not look like it ends before it starts."""
    text = format_range(
        datetime(2023, 5, 23, 22, 0, tzinfo=UTC), datetime(2023, 5, 24, 1, 0, tzinfo=UTC), UTC
    )

    assert "Tue 23 May 2023 22:00" in text
    assert "Wed 24 May 2023 01:00" in text


def test_format_range_labels_each_end_when_the_offset_changes_inside_it() -> None:
    """Across the fall-back night the two ends have different offsets; one label would be wrong."""
    text = format_range(
        datetime(2023, 10, 28, 23, 0, tzinfo=UTC), datetime(2023, 10, 29, 3, 0, tzinfo=UTC), VIENNA
    )

    assert "01:00 CEST (UTC+02:00)" in text
    assert "04:00 CET (UTC+01:00)" in text


def test_utc_z_writes_the_instant_in_utc_with_a_trailing_z() -> None:
    """APIs and JSON carry the instant as ...Z; a local offset there would be misread as UTC."""
    text = utc_z(CCPCJ_START)

    assert text == "2023-05-23T07:10:00Z"
    assert text.endswith("Z")


def test_to_iso_zoned_writes_offset_and_zone_key() -> None:
    """RFC 9557 keeps the zone for display and the offset for exactness, so both must be there."""
    assert to_iso_zoned(CCPCJ_START) == "2023-05-23T09:10:00+02:00[Europe/Vienna]"


def test_to_listing_writes_weekday_date_time_and_offset() -> None:
    """The listing form is what organizers read back; it carries the offset, not an abbreviation."""
    assert to_listing(CCPCJ_START) == "Tuesday 23 May 2023 09:10 UTC+02:00"


def test_offsets_over_a_year_are_refused() -> None:
    """A typo such as 1000d must not schedule a reminder years early (or overflow)."""
    with pytest.raises(TimeExpressionError) as caught:
        parse_duration("367d")
    assert caught.value.code == "invalid-duration"
    assert parse_duration("366d") == timedelta(days=366)
