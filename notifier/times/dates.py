"""Calendar dates within the range this tool handles."""

from __future__ import annotations

from datetime import date

from notifier.errors import TimeExpressionError

# Far enough for any event; near enough that a day either side never leaves datetime's range
MIN_YEAR, MAX_YEAR = 1900, 2200


def make_date(year: int, month: int, day: int, column: int | None) -> date:
    """A date in the years this tool handles; an error naming the problem otherwise."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise TimeExpressionError(
            "invalid-date", f"the year {year} is outside {MIN_YEAR}–{MAX_YEAR}", column
        )
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise TimeExpressionError("invalid-date", f"there is no such date: {exc}", column) from exc
