"""Turn a listing time expression into exact instants, once, with the IANA rules.

``parse_when`` is the entry point: listing forms and ISO 8601 alike. Every refusal is a
:class:`TimeExpressionError` with a stable ``code``; every doubt that still resolves is an
:class:`Issue` in ``ResolvedTime.warnings``.
"""

from __future__ import annotations

import re
from datetime import date

from notifier.errors import TimeExpressionError
from notifier.times.checks import check_readings
from notifier.times.clocks import walls
from notifier.times.datefind import DateParts
from notifier.times.dates import make_date
from notifier.times.iso import parse_iso
from notifier.times.model import Issue, ResolvedTime, TimeContext
from notifier.times.parse import Parsed, Reading, ZoneRef, parse_parts
from notifier.times.wall import localize
from notifier.times.zonerefs import Choice, american, anchor, zone_choices
from notifier.times.zones import load_zone, zone_label

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
    day = _resolve_date(parsed, context, issues, american(parsed, venue))
    if parsed.start is None:
        raise TimeExpressionError(
            "missing-time", "no time of day; write one such as 09:10 or 1 p.m.", len(text)
        )
    first, tz, abbr = anchor(parsed, venue, day)
    first_day = _own_day(first, context) or day
    if first.start is None:  # anchor() only returns readings with a start
        raise TimeExpressionError("missing-time", "no time of day", len(text))
    start_wall, end_wall = walls(first.start, first.end, first_day)
    column = first.zones[0].column if first.zones else first.start.column
    start, start_issues = localize(start_wall, tz, abbr, column)
    issues += start_issues
    end = None
    if end_wall is not None and first.end is not None:
        end_column = first.zones[0].column if first.zones else first.end.column
        end, _ = localize(end_wall, tz, abbr, end_column)

    def resolve(ref: ZoneRef, checking: bool) -> list[Choice]:
        return zone_choices(ref, venue, first_day, checking)

    issues += check_readings(
        parsed.readings, first, (start, end), resolve, lambda r: _own_day(r, context)
    )
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
    venue = load_zone(context.zone) if context.zone else None
    return _resolve_date(parsed, context, [], american(parsed, venue))


def _resolve_date(
    parsed: Parsed, context: TimeContext, issues: list[Issue], american: bool | None = None
) -> date:
    if parsed.date is None:
        if context.day is None:
            raise TimeExpressionError(
                "missing-date",
                "no date; write one (23 May 2023) or put the row under a day heading",
                0,
            )
        day = make_date(context.day.year, context.day.month, context.day.day, None)
    else:
        parts = _settle_order(parsed.date, context, american)
        parsed.date = parts
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


def _own_day(reading: Reading, context: TimeContext) -> date | None:
    """The date written inside a parenthesised reading ("8 p.m. ET, April 15th"), if any."""
    parts = reading.own_date
    if parts is None:
        return None
    year = _first_given(parts.year, context.year, context.day.year if context.day else None)
    if year is None:
        raise TimeExpressionError("missing-year", "no year for the conversion's date", parts.column)
    return make_date(year, parts.month, parts.day, parts.column)


def _settle_order(parts: DateParts, context: TimeContext, american: bool | None) -> DateParts:
    """Day and month of a written date: the context's month for "the 18th", and the US or
    day-first reading of a slash date, whichever the zone or the calendar allows."""
    if parts.month == 0:
        if context.day is None:
            raise TimeExpressionError(
                "missing-date",
                f"the {parts.day}th of which month? write the month or put the row under a "
                "day heading",
                parts.column,
            )
        return DateParts(parts.day, context.day.month, parts.year or context.day.year, parts.column)
    if parts.month_first is None:
        return parts
    us = DateParts(parts.month_first[0], parts.month_first[1], parts.year, parts.column)
    valid = [p for p in (parts, us) if 1 <= p.month <= 12 and 1 <= p.day <= 31]
    if len(valid) == 1:
        return valid[0]
    if not valid:
        # "resolution 55/25" in running text: neither reading is a date
        raise TimeExpressionError(
            "invalid-date", f"{parts.day}/{parts.month} is not a date either way", parts.column
        )
    if american:
        return us
    raise TimeExpressionError(
        "ambiguous-date",
        f"{parts.day}/{parts.month} is {parts.day} {_month_name(parts.month)} day-first but "
        f"{_month_name(us.month)} {us.day} in the US; write the month in words, or set a US "
        "zone if the listing is American",
        parts.column,
    )
