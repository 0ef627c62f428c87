"""Written clock ranges to minutes after midnight, refusing the ones a reader could misread.

Three refusals keep wrong instants out, because each has two readings that real listings use:

- ``12 a.m.`` (on the hour) means midnight to some and noon to others (a programme row "12.00 am"
  between 11.30 am and 12.30 pm), and ``10pm-12pm`` means midnight: ``ambiguous-twelve``.
- ``2:30`` with no a.m./p.m., no leading zero and no 24-hour partner is 14:30 in a US daybook
  and 02:30 nowhere in a listing: hours 1 to 6 written that way are ``ambiguous-meridiem``.
- ``17h30-17h00`` is a typo, not a 23½-hour session: an end just before its start is
  ``reversed-range`` (a session that crosses midnight, ``22:00 to 01:00``, is fine).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from notifier.errors import TimeExpressionError
from notifier.times.parse import Clock

_DAY = 24 * 60
_LONGEST_OVERNIGHT = 18 * 60  # an overnight range longer than this is read as a typo


def _hours24(clock: Clock) -> int:
    """The hour on a 24-hour clock; errors for hours that cannot be."""
    if clock.meridiem is None or (clock.meridiem == "pm" and 13 <= clock.hour <= 23):
        # "13:00-15:00PM": a redundant p.m. after a 24-hour time
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
    if clock.hour == 12 and clock.minute == 0 and clock.meridiem == "am":
        raise TimeExpressionError(
            "ambiguous-twelve",
            "12 a.m. is read as midnight by some and as noon by others; write noon, "
            "midnight, 00:00 or 12:00",
            clock.column,
        )
    return clock.hour % 12 + (12 if clock.meridiem == "pm" else 0)


def _minutes(clock: Clock) -> int:
    return _hours24(clock) * 60 + clock.minute


def _check_bare(clock: Clock, partner: Clock | None) -> None:
    if not clock.bare or clock.padded or not 1 <= clock.hour <= 6:
        return
    if partner is not None and partner.hour >= 13:
        return  # the other end shows a 24-hour clock: "9:00 - 14:00", "5:30-13:00"
    raise TimeExpressionError(
        "ambiguous-meridiem",
        f"{clock.hour}:{clock.minute:02d} has no a.m./p.m. and no leading zero; write "
        f"{clock.hour}:{clock.minute:02d} p.m., {clock.hour + 12}:{clock.minute:02d} or "
        f"0{clock.hour}:{clock.minute:02d}",
        clock.column,
    )


def clock_minutes(start: Clock, end: Clock | None) -> tuple[int, int | None]:
    """Minutes after midnight of a range; ``3–6 p.m.`` lends its p.m. to the 3.

    A range with one meridiem takes, for the other end, whichever half of the day makes
    the shortest range: ``11–1 p.m.`` is 11 a.m. to 1 p.m., ``3–6 p.m.`` is 3 to 6 p.m.
    """
    if end is None:
        _check_bare(start, None)
        return _minutes(start), None
    if start.meridiem is None and end.meridiem is not None and start.special is None:
        return _borrow(start, _minutes(end), before=True), _minutes(end)
    if end.meridiem is None and start.meridiem is not None and end.special is None:
        return _minutes(start), _borrow(end, _minutes(start), before=False)
    _check_bare(start, end)
    _check_bare(end, start)
    start_min, end_min = _minutes(start), _minutes(end)
    if (end.hour, end.minute, end.meridiem, start.meridiem) == (
        12,
        0,
        "pm",
        "pm",
    ) and start.hour != 12:
        raise TimeExpressionError(
            "ambiguous-twelve",
            "a range from the evening to 12 p.m. (noon) is most likely meant to end at "
            "midnight; write midnight or 00:00",
            end.column,
        )
    overnight = (start_min - end_min) % _DAY
    if end.special is None and 0 < overnight < _DAY - _LONGEST_OVERNIGHT:
        raise TimeExpressionError(
            "reversed-range",
            f"the range ends at {end_min // 60:02d}:{end_min % 60:02d}, before it starts; "
            "fix the end, or write the end's date if it runs overnight",
            end.column,
        )
    return start_min, end_min


def _borrow(clock: Clock, other: int, *, before: bool) -> int:
    if clock.hour > 12 or clock.style24:
        return _minutes(clock)
    options = [(clock.hour % 12) * 60 + clock.minute, (clock.hour % 12 + 12) * 60 + clock.minute]
    if before:
        return min(options, key=lambda m: (other - m) % _DAY or _DAY)
    return min(options, key=lambda m: (m - other) % _DAY or _DAY)


def walls(start: Clock, end: Clock | None, day: date) -> tuple[datetime, datetime | None]:
    """Naive wall times of a range on ``day``; an end at or before the start is the next day."""
    start_min, end_min = clock_minutes(start, end)
    midnight = datetime.combine(day, time())
    start_wall = midnight + timedelta(minutes=start_min, seconds=start.second)
    if end_min is None or end is None:
        return start_wall, None
    if end_min == start_min:
        raise TimeExpressionError(
            "empty-range", "the range ends when it starts; fix the end time", end.column
        )
    # an end at or before the start is on the next day: "22:00-01:00", "8 p.m. to midnight"
    end_day = day + timedelta(days=1) if end_min < start_min else day
    end_wall = datetime.combine(end_day, time()) + timedelta(minutes=end_min, seconds=end.second)
    return start_wall, end_wall
