"""Properties of the time engine: round trips, folds, and never crashing on what people type.

Instants are drawn both uniformly (1990–2037) and close to the zone's own offset changes, so
that gaps and folds are hit often rather than once in ten thousand draws.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.times import (
    ResolvedTime,
    TimeContext,
    TimeExpressionError,
    format_duration,
    parse_duration,
    parse_when,
    to_iso_zoned,
    to_listing,
)

ALL_ZONES = sorted(available_timezones())
# Listings write IANA names as Area/Location; one-word legacy links such as "EST" or "CET"
# collide with abbreviations, which the product reads as abbreviations on purpose.
AREA_ZONES = [zone for zone in ALL_ZONES if "/" in zone]

FIRST = datetime(1990, 1, 1, tzinfo=UTC)
LAST = datetime(2037, 12, 31, 23, 59, tzinfo=UTC)
MINUTES = int((LAST - FIRST) / timedelta(minutes=1))


def offset_changes(tz: ZoneInfo, year: int) -> list[datetime]:
    """UTC minutes in ``year`` at which ``tz`` starts a new offset (daily scan, then bisection)."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        before = day.astimezone(tz).utcoffset()
        if (day + timedelta(days=1)).astimezone(tz).utcoffset() != before:
            low, high = 0, 24 * 60
            while high - low > 1:
                middle = (low + high) // 2
                if (day + timedelta(minutes=middle)).astimezone(tz).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            found.append(day + timedelta(minutes=high))
        day += timedelta(days=1)
    return found


@st.composite
def zoned_instants(draw: st.DrawFn, zones: list[str]) -> tuple[str, datetime]:
    """A zone and a UTC instant on the minute, half the time within 3 hours of an offset change."""
    zone = draw(st.sampled_from(zones))
    uniform = FIRST + timedelta(minutes=draw(st.integers(0, MINUTES)))
    if not draw(st.booleans()):
        return zone, uniform
    changes = offset_changes(ZoneInfo(zone), uniform.year)
    if not changes:
        return zone, uniform
    near = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-180, 180)))
    return zone, near


def is_doubled(local: datetime) -> bool:
    """Whether this wall time happens twice in its zone (the other fold has another offset)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


@settings(max_examples=300, deadline=None)
@given(zoned_instants(ALL_ZONES))
def test_to_listing_text_parses_back_to_the_same_instant(case: tuple[str, datetime]) -> None:
    """Reminders print times with to_listing; reading one back must never move it."""
    zone, instant = case
    local = instant.astimezone(ZoneInfo(zone))

    resolved = parse_when(to_listing(local))

    assert resolved.start.astimezone(UTC) == instant
    assert resolved.start.utcoffset() == local.utcoffset()
    assert resolved.end is None


@settings(max_examples=300, deadline=None)
@given(zoned_instants(ALL_ZONES))
def test_to_iso_zoned_text_parses_back_to_the_same_instant_and_zone(
    case: tuple[str, datetime],
) -> None:
    """RFC 9557 is the form configs are saved in; the offset must settle folds exactly."""
    zone, instant = case
    local = instant.astimezone(ZoneInfo(zone))

    resolved = parse_when(to_iso_zoned(local))

    assert resolved.start.astimezone(UTC) == instant
    assert resolved.start.utcoffset() == local.utcoffset()
    assert resolved.zone == zone


@settings(max_examples=300, deadline=None)
@given(zoned_instants(AREA_ZONES))
def test_wall_time_with_iana_zone_resolves_or_is_refused_exactly_when_doubled(
    case: tuple[str, datetime],
) -> None:
    """A wall time and zone name is one instant, except in a fold, where guessing would be wrong."""
    zone, instant = case
    local = instant.astimezone(ZoneInfo(zone))
    text = f"{local:%d %B %Y %H:%M} {zone}"

    if is_doubled(local):
        with pytest.raises(TimeExpressionError) as caught:
            parse_when(text)
        assert caught.value.code == "ambiguous-time"
    else:
        resolved = parse_when(text)
        assert resolved.start.astimezone(UTC) == instant
        assert resolved.zone == zone


CONTEXTS = st.sampled_from(
    [
        TimeContext(),
        TimeContext(zone="Europe/Vienna", year=2023),
        TimeContext(zone="Asia/Tokyo", day=date(2021, 3, 11)),
        TimeContext(zone="America/New_York", today=date(2026, 11, 25)),
    ]
)

LISTING_TOKENS = [
    *("Monday", "Tuesday", "Thursday", "Fri", "MONDAY", "11th", "1st", "22nd"),
    *("May", "March", "OCTOBER", "Feb", "December", "January"),
    *("1", "9", "12", "23", "29", "31", "2021", "2023", "2024", "0001", "9999"),
    *("9:00", "09:10", "1.50", "2.10", "12:00", "24:00", "23:59", "00:00", "25:61"),
    *("a.m.", "p.m.", "am", "pm", "-", "–", "—", "to", "until", "noon", "midnight"),
    *("CEST", "CET", "JST", "ET", "EST", "EDT", "IST", "BST", "CST", "UTC", "GMT", "Z"),
    *("UTC+2", "GMT-5", "UTC+05:30", "UTC+15", "Japanese Standard Time", "Eastern Time"),
    *("Europe/Vienna", "America/New_York", "Asia/Tokyo", "Foo/Bar"),
    *("(", ")", ",", ":", "Time:", "on", "by", "at", "T", "/", "[", "]"),
    *("2023-05-23", "2023-05-23T09:10", "+02:00", "[Europe/Vienna]", "2023-10-29T02:30"),
]
LISTINGISH = st.lists(
    st.tuples(st.sampled_from(LISTING_TOKENS), st.sampled_from(["", " ", " ", ", ", "\n"])),
    max_size=12,
).map(lambda parts: "".join(token + gap for token, gap in parts))


def resolves_or_refuses(text: str, context: TimeContext) -> None:
    """Call parse_when; only a ResolvedTime or a TimeExpressionError is an acceptable outcome."""
    try:
        resolved = parse_when(text, context)
    except TimeExpressionError:
        return
    assert isinstance(resolved, ResolvedTime)


@settings(max_examples=300, deadline=None)
@given(text=st.text(), context=CONTEXTS)
def test_any_text_resolves_or_raises_time_expression_error(text: str, context: TimeContext) -> None:
    """Validation reports TimeExpressionError with a place; any other exception is a crash."""
    resolves_or_refuses(text, context)


@settings(max_examples=300, deadline=None)
@given(text=LISTINGISH, context=CONTEXTS)
def test_listing_like_text_resolves_or_raises_time_expression_error(
    text: str, context: TimeContext
) -> None:
    """Near-miss listings reach deep into the parser; each must end in a result or a clear error."""
    resolves_or_refuses(text, context)


# Inputs found while exploring the properties above, at edges random draws rarely reach:
# lookalike letters that IGNORECASE matches, and calendar days next to year 1 and year 9999.
CRAFTED = [
    pytest.param("1ſt March 2021 10:00 UTC", TimeContext(), id="long-s-in-ordinal"),
    pytest.param(
        "11 March 2021 10:00 Japanese Standard Tıme", TimeContext(), id="dotless-i-in-long-name"
    ),
    pytest.param("11 March 2021 10:00 Eaſtern Time", TimeContext(), id="long-s-in-long-name"),
    pytest.param("31 December 9999 24:00 UTC", TimeContext(), id="24h-on-last-day"),
    pytest.param("31 December 9999 23:00 to 01:00 UTC", TimeContext(), id="range-past-9999"),
    pytest.param("1 January 0001 00:00 CEST", TimeContext(), id="before-year-1-in-utc"),
    pytest.param("1 January 0001 00:00 Europe/Vienna", TimeContext(), id="year-1-iana"),
    pytest.param("9999-12-31T23:59[America/New_York]", TimeContext(), id="iso-past-9999-in-utc"),
    pytest.param("0001-01-01T00:00[Europe/Vienna]", TimeContext(), id="iso-before-year-1"),
    pytest.param("23:00 - 01:00 UTC", TimeContext(day=date(9999, 12, 31)), id="heading-day-9999"),
]


@pytest.mark.parametrize(("text", "context"), CRAFTED)
def test_crafted_text_resolves_or_raises_time_expression_error(
    text: str, context: TimeContext
) -> None:
    """Lookalike letters and calendar edges must give a clear error, not crash config validation."""
    resolves_or_refuses(text, context)


@settings(max_examples=300, deadline=None)
@given(seconds=st.integers(min_value=1, max_value=366 * 86400))
def test_format_duration_parses_back_to_the_same_duration(seconds: int) -> None:
    """Reminder offsets are shown and stored as text; the text must mean the exact same duration."""
    duration = timedelta(seconds=seconds)

    assert parse_duration(format_duration(duration)) == duration
