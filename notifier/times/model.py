"""Values the time engine passes around: what was resolved, and what it needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo


@dataclass(frozen=True)
class Issue:
    """A warning about an expression that still resolved; ``code`` is stable."""

    code: str
    message: str
    column: int | None = None


@dataclass(frozen=True)
class TimeContext:
    """What the surrounding listing or config says, since expressions rarely say it all.

    ``zone`` is the venue's IANA zone (used when the expression names none, and to settle
    abbreviations); ``year`` completes dates written without one; ``day`` is the date of a
    day heading for rows that give only a time; ``today`` is the reference date used to pick
    the nearest matching year when only a weekday can settle it (never read from a clock here).
    """

    zone: str | None = None
    year: int | None = None
    day: date | None = None
    today: date | None = None


@dataclass(frozen=True)
class ResolvedTime:
    """An expression turned into exact instants.

    ``start`` and ``end`` are aware datetimes in ``tz`` (the zone the expression was
    written in); ``zone`` names it: an IANA key, or ``UTC+hh:mm`` for a fixed offset.
    """

    start: datetime
    end: datetime | None
    zone: str
    tz: tzinfo = field(compare=False)
    warnings: tuple[Issue, ...] = ()
