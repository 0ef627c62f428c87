"""Turn a listing time expression into exact instants, once, with the IANA rules.

``parse_when`` is the entry point: listing forms and ISO 8601 alike. Every refusal is a
:class:`TimeExpressionError` with a stable ``code``; every doubt that still resolves is an
:class:`Issue` in ``ResolvedTime.warnings``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from notifier.errors import TimeExpressionError
from notifier.times.dates import make_date
from notifier.times.iso import parse_iso
from notifier.times.model import Issue, ResolvedTime, TimeContext
from notifier.times.parse import Clock, Parsed, parse_parts
from notifier.times.wall import describe, localize, season_warnings
from notifier.times.zones import (
    ABBREVIATIONS,
    LONG_NAMES,
    Abbreviation,
    fixed_zone,
    load_zone,
    parse_offset,
    resolve_abbreviation,
    zone_label,
)

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CONTINUED = re.compile(r"\(\s*continued\s*\)", re.IGNORECASE)
_YEAR_SEARCH = 40
# a month-day falls on each weekday at least once in any 11 years


def parse_when(text: str, context: TimeContext | None = None) -> ResolvedTime:
    """Resolve ``text`` (a listing expression or ISO 8601) in ``context``."""
    context = context or TimeContext()
    venue = load_zone(context.zone) if context.zone else None
    iso = parse_iso(text, venue)
    if iso is not None:
        return iso
    parsed = parse_parts(text)
    issues: list[Issue] = []
    day = _resolve_date(parsed, context, issues)
    if parsed.start is None:
        raise TimeExpressionError(
            "missing-time", "no time of day; write one such as 09:10 or 1 p.m.", len(text)
        )
    tz, abbr = _resolve_zone(parsed, venue, day)
    start_wall, end_wall = _walls(parsed.start, parsed.end, day)
    start, start_issues = localize(start_wall, tz, abbr, _zone_column(parsed, parsed.start))
    issues += start_issues
    end = None
    if end_wall is not None and parsed.end is not None:
        end, _ = localize(end_wall, tz, abbr, _zone_column(parsed, parsed.end))
    if parsed.conversion is not None:
        issues += _check_conversion(parsed.conversion, parsed, (start, end), venue, day)
    return ResolvedTime(start, end, zone_label(tz), tz, tuple(issues))


def parse_day(text: str, context: TimeContext | None = None) -> date:
    """A day heading (``MONDAY, 14 OCTOBER``) or an ISO date, as a date."""
    context = context or TimeContext()
    # programmes repeat a heading after a page break as "TUESDAY, 15 OCTOBER (CONTINUED)"
    parsed = parse_parts(_CONTINUED.sub(lambda m: " " * len(m[0]), text))
    if parsed.start is not None or parsed.zone is not None:
        column = parsed.start.column if parsed.start else None
        raise TimeExpressionError(
            "not-a-day", "a day heading has a date and no time or zone", column
        )
    if parsed.date is None:
        raise TimeExpressionError("missing-date", "no date; write one such as 14 October", 0)
    return _resolve_date(parsed, context, [])


def _zone_column(parsed: Parsed, clock: Clock) -> int:
    return parsed.zone.column if parsed.zone is not None else clock.column


def _resolve_date(parsed: Parsed, context: TimeContext, issues: list[Issue]) -> date:
    if parsed.date is None:
        if context.day is None:
            raise TimeExpressionError(
                "missing-date",
                "no date; write one (23 May 2023) or put the row under a day heading",
                0,
            )
        day = make_date(context.day.year, context.day.month, context.day.day, None)
    else:
        parts = parsed.date
        year = _first_given(parts.year, context.year, context.day.year if context.day else None)
        if year is None:
            year = _year_from_weekday(parsed, context, issues)
        day = make_date(year, parts.month, parts.day, parts.column)
    if parsed.weekday is not None and parsed.weekday[0] != day.weekday():
        written = _WEEKDAY_NAMES[parsed.weekday[0]]
        raise TimeExpressionError(
            "weekday-mismatch",
            f"{day.day} {day:%B %Y} is a {_WEEKDAY_NAMES[day.weekday()]}, not a {written}; "
            "fix the weekday, the date or the year",
            parsed.weekday[1],
        )
    return day


def _first_given(*years: int | None) -> int | None:
    return next((year for year in years if year is not None), None)


def _year_from_weekday(parsed: Parsed, context: TimeContext, issues: list[Issue]) -> int:
    """The year nearest ``context.today`` in which the date falls on the written weekday."""
    parts = parsed.date
    if parts is None:
        raise TimeExpressionError("missing-date", "no date; write one such as 23 May 2023", 0)
    if parsed.weekday is None or context.today is None:
        raise TimeExpressionError(
            "missing-year",
            f"no year for {parts.day} {_month_name(parts.month)}; write it "
            f"({parts.day} {_month_name(parts.month)} 2025) or set the event's year",
            parts.column,
        )
    today = context.today
    best: date | None = None
    for year in range(today.year - _YEAR_SEARCH, today.year + _YEAR_SEARCH + 1):
        try:
            candidate = date(year, parts.month, parts.day)
        except ValueError:
            continue
        if candidate.weekday() == parsed.weekday[0] and (
            best is None or abs(candidate - today) < abs(best - today)
        ):
            best = candidate
    if best is None:
        raise TimeExpressionError(
            "missing-year", "no nearby year has that date on that weekday", parts.column
        )
    issues.append(
        Issue(
            "inferred-year",
            f"no year given; {parts.day} {_month_name(parts.month)} is a "
            f"{_WEEKDAY_NAMES[best.weekday()]} in {best.year}, the nearest such year; "
            "write the year or set the event's year",
            parts.column,
        )
    )
    return best.year


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B")


def _resolve_zone(
    parsed: Parsed, venue: ZoneInfo | None, day: date
) -> tuple[tzinfo, Abbreviation | None]:
    ref = parsed.zone
    if ref is None:
        if venue is None:
            raise TimeExpressionError(
                "missing-zone",
                "no time zone; write one (CEST, Europe/Vienna, UTC+2) or set the event's zone",
                parsed.start.column if parsed.start else 0,
            )
        return venue, None
    if ref.kind == "iana":
        return load_zone(ref.text, ref.column), None
    if ref.kind == "utc":
        return UTC, None
    if ref.kind == "offset":
        return fixed_zone(parse_offset(ref.text[3:], ref.column)), None
    abbr = ABBREVIATIONS[ref.text] if ref.kind == "abbr" else LONG_NAMES[ref.text.lower()]
    return resolve_abbreviation(abbr, venue, day, ref.column), abbr


def _hours24(clock: Clock) -> int:
    """The hour on a 24-hour clock; errors for hours that cannot be."""
    if clock.meridiem is None:
        if clock.hour > 24 or clock.minute > 59 or (clock.hour == 24 and clock.minute):
            raise TimeExpressionError(
                "invalid-time", f"{clock.hour}:{clock.minute:02d} is not a time", clock.column
            )
        return clock.hour
    if not 1 <= clock.hour <= 12 or clock.minute > 59:
        raise TimeExpressionError(
            "invalid-time",
            f"{clock.hour}:{clock.minute:02d} {clock.meridiem} is not a time; with a.m./p.m. "
            "the hour is 1 to 12",
            clock.column,
        )
    return clock.hour % 12 + (12 if clock.meridiem == "pm" else 0)


def _minutes(clock: Clock) -> int:
    return _hours24(clock) * 60 + clock.minute


def clock_minutes(start: Clock, end: Clock | None) -> tuple[int, int | None]:
    """Minutes after midnight of a range; ``3–6 p.m.`` lends its p.m. to the 3.

    A range with one meridiem takes, for the other end, whichever half of the day makes
    the shortest range: ``11–1 p.m.`` is 11 a.m. to 1 p.m., ``3–6 p.m.`` is 3 to 6 p.m.
    """
    if end is None:
        return _minutes(start), None
    if start.meridiem is None and end.meridiem is not None and start.special is None:
        return _borrow(start, _minutes(end), before=True), _minutes(end)
    if end.meridiem is None and start.meridiem is not None and end.special is None:
        return _minutes(start), _borrow(end, _minutes(start), before=False)
    return _minutes(start), _minutes(end)


def _borrow(clock: Clock, other: int, *, before: bool) -> int:
    if clock.hour > 12:
        return _minutes(clock)
    day = 24 * 60
    options = [(clock.hour % 12) * 60 + clock.minute, (clock.hour % 12 + 12) * 60 + clock.minute]
    if before:
        return min(options, key=lambda m: (other - m) % day or day)
    return min(options, key=lambda m: (m - other) % day or day)


def _walls(start: Clock, end: Clock | None, day: date) -> tuple[datetime, datetime | None]:
    start_min, end_min = clock_minutes(start, end)
    midnight = datetime.combine(day, time())
    start_wall = midnight + timedelta(minutes=start_min)
    if end_min is None or end is None:
        return start_wall, None
    if end_min == start_min:
        raise TimeExpressionError(
            "empty-range", "the range ends when it starts; fix the end time", end.column
        )
    # an end at or before the start is on the next day: "22:00-01:00", "8 p.m. to midnight"
    end_day = day + timedelta(days=1) if end_min < start_min else day
    end_wall = datetime.combine(end_day, time()) + timedelta(minutes=end_min)
    return start_wall, end_wall


def _check_conversion(
    conv: Parsed,
    parsed: Parsed,
    span: tuple[datetime, datetime | None],
    venue: ZoneInfo | None,
    day: date,
) -> list[Issue]:
    """A conversion written beside the time, ``(1am – 2:30am CET)``, must agree with it."""
    start, end = span
    column = parsed.conversion_column
    if conv.start is None or conv.zone is None:
        raise TimeExpressionError(
            "conversion-invalid",
            "the text in parentheses is not a time with a zone, such as (1am - 2:30am CET)",
            column,
        )
    if conv.date is not None or conv.weekday is not None:
        raise TimeExpressionError(
            "conversion-invalid", "write the conversion as times and a zone only", column
        )
    tz, abbr = _resolve_zone(conv, venue, day)
    written_start, written_end = clock_minutes(conv.start, conv.end)
    pairs = [(written_start, start, conv.start)]
    if written_end is not None and conv.end is not None:
        if end is None:
            raise TimeExpressionError(
                "conversion-mismatch",
                "the conversion gives an end time but the time before it has none",
                conv.end.column,
            )
        pairs.append((written_end, end, conv.end))
    for written, instant, clock in pairs:
        local = instant.astimezone(tz)
        if local.hour * 60 + local.minute != written % (24 * 60):
            raise TimeExpressionError(
                "conversion-mismatch",
                f"the conversion says {written // 60:02d}:{written % 60:02d} {conv.zone.text}, "
                f"but {instant:%H:%M} {instant.tzname()} is {local:%H:%M} ({describe(local)}) "
                f"on {local.day} {local:%B %Y}; correct one of them",
                clock.column,
            )
    return season_warnings(start.astimezone(tz), abbr, conv.zone.column)
