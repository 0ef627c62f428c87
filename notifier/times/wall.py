"""Wall-clock time in a zone to an exact instant: gaps, folds and seasons, by the IANA rules."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from notifier.errors import TimeExpressionError
from notifier.times.model import Issue
from notifier.times.zones import Abbreviation, format_offset


def offset_text(moment: datetime) -> str:
    """``UTC+02:00`` for an aware datetime."""
    offset = moment.utcoffset()
    return "UTC" + format_offset(offset) if offset else "UTC"


def describe(moment: datetime) -> str:
    """``CEST, UTC+02:00``: the abbreviation the zone prints, then the offset."""
    name = moment.tzname() or ""
    offset = offset_text(moment)
    if not name or name.startswith(("+", "-")) or name == offset:
        return offset
    return f"{name}, {offset}"


def _exists(aware: datetime) -> bool:
    back = aware.astimezone(UTC).astimezone(aware.tzinfo)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None, fold=0)


def _when(wall: datetime) -> str:
    return f"{wall:%H:%M} on {wall.day} {wall:%B %Y}"


def localize(
    wall: datetime, tz: tzinfo, abbr: Abbreviation | None, column: int | None
) -> tuple[datetime, list[Issue]]:
    """``wall`` (naive) as an aware datetime in ``tz``, with any season warning.

    A time in a spring-forward gap is an error; one in a fall-back fold is an error unless
    the written abbreviation names one of its two seasons (EDT or EST).
    """
    if not isinstance(tz, ZoneInfo):
        return wall.replace(tzinfo=tz), []
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if not _exists(first):
        raise TimeExpressionError(
            "nonexistent-time",
            f"{_when(wall)} does not exist in {tz.key}: the clocks go forward from "
            f"{describe(first)} to {describe(second)} and skip it; pick a time outside the "
            "gap, or write the UTC offset you mean",
            column,
        )
    if first.utcoffset() == second.utcoffset():
        return first, season_warnings(first, abbr, column)
    for candidate in (first, second):
        if abbr is not None and abbr.season != "generic" and candidate.tzname() == abbr.name:
            return candidate, []
    raise TimeExpressionError(
        "ambiguous-time",
        f"{_when(wall)} happens twice in {tz.key} (first {describe(first)}, then "
        f"{describe(second)}); write {first.tzname()} or {second.tzname()}, or the UTC offset",
        column,
    )


def season_warnings(moment: datetime, abbr: Abbreviation | None, column: int | None) -> list[Issue]:
    if abbr is None or abbr.season not in ("standard", "daylight"):
        return []
    actual = moment.tzname() or ""
    if actual == abbr.name or actual not in abbr.family:
        return []
    season = "summer (daylight saving) time" if moment.dst() else "winter (standard) time"
    zone = moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else ""
    return [
        Issue(
            "season-abbreviation",
            f'"{abbr.name}" on {moment.day} {moment:%B %Y} is {season} in {zone} '
            f"({describe(moment)}); the zone's real offset is used. Write {actual} or {zone}",
            column,
        )
    ]
