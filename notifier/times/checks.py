"""Every other reading of the moment must agree with the one that fixed it.

A listing that writes the same time twice (``10:00 ET / 16:00 CEST``, ``11:59PM EDT
(UTC-4)``, ``Tokyo time (JST)``, ``15:00 (3 p.m.)``) contradicts itself when the two disagree,
and we cannot know which half is right: that is ``conversion-mismatch``, an error. A reading
in an ambiguous abbreviation (``7:30pm IST`` beside ``2pm GMT``) agrees when one of the zones
it may mean agrees; it only checks, it never fixes the instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, tzinfo

from notifier.errors import TimeExpressionError
from notifier.times.clocks import clock_minutes
from notifier.times.model import Issue
from notifier.times.parse import Clock, Reading, ZoneRef
from notifier.times.wall import describe, season_warnings
from notifier.times.zones import Abbreviation

ZoneResolver = Callable[[ZoneRef, bool], list[tuple[tzinfo, Abbreviation | None]]]
Span = tuple[datetime, datetime | None]


def check_readings(
    readings: list[Reading],
    anchor: Reading,
    span: Span,
    resolve: ZoneResolver,
    own_day: Callable[[Reading], date | None],
) -> list[Issue]:
    """Warnings from readings that agree; an error for the first one that does not."""
    issues: list[Issue] = []
    for reading, ref in _pairs(readings, anchor):
        choices: list[tuple[tzinfo | None, Abbreviation | None]] = (
            list(resolve(ref, True)) if ref is not None else [(span[0].tzinfo, None)]
        )
        issues += _check_one(reading, ref, choices, span, own_day(reading))
    return issues


def _pairs(readings: list[Reading], anchor: Reading) -> Iterator[tuple[Reading, ZoneRef | None]]:
    for reading in readings:
        if reading is anchor:
            yield from ((reading, ref) for ref in reading.zones[1:])
        elif reading.same_zone or not reading.zones:
            yield reading, None
        else:
            yield from ((reading, ref) for ref in reading.zones)


def _check_one(
    reading: Reading,
    ref: ZoneRef | None,
    choices: list[tuple[tzinfo | None, Abbreviation | None]],
    span: Span,
    day: date | None,
) -> list[Issue]:
    if reading.start is None:
        return []
    written_start, written_end = clock_minutes(reading.start, reading.end)
    pairs: list[tuple[int, datetime, Clock]] = [(written_start, span[0], reading.start)]
    if written_end is not None and reading.end is not None:
        if span[1] is None:
            raise TimeExpressionError(
                "conversion-mismatch",
                "the conversion gives an end time but the time before it has none",
                reading.end.column,
            )
        pairs.append((written_end, span[1], reading.end))
    failure: TimeExpressionError | None = None
    for tz, abbr in choices:
        failure = _mismatch(pairs, tz, ref, day)
        if failure is None:
            column = ref.column if ref is not None else reading.column
            return season_warnings(span[0].astimezone(tz), abbr, column) if tz else []
    raise failure or TimeExpressionError("conversion-mismatch", "no zone", reading.column)


def _mismatch(
    pairs: list[tuple[int, datetime, Clock]],
    tz: tzinfo | None,
    ref: ZoneRef | None,
    day: date | None,
) -> TimeExpressionError | None:
    for index, (written, instant, clock) in enumerate(pairs):
        local = instant.astimezone(tz)
        same_clock = local.hour * 60 + local.minute == written % (24 * 60)
        same_day = day is None or index > 0 or local.date() == day
        if not (same_clock and same_day):
            label = ref.text if ref is not None else "as written"
            written_day = f" on {day.day} {day:%B %Y}" if day is not None else ""
            return TimeExpressionError(
                "conversion-mismatch",
                f"the listing also says {written // 60:02d}:{written % 60:02d} {label}"
                f"{written_day}, but {instant:%H:%M} {instant.tzname()} is {local:%H:%M} "
                f"({describe(local)}) on {local.day} {local:%B %Y}; correct one of them",
                clock.column,
            )
    return None
