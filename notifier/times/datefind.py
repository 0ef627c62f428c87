"""Find the one date in an expression: ``23 May``, ``Sept. 28``, ``10th of December, 2023``,
``2023-05-23``, ``03.07.2024``, ``01-Apr-2020``, ``6/18/26``, or ``the 18th``.

Numeric dates with slashes are written day first in most of the world and month first in the
United States, so ``6/7/26`` keeps both readings here (:attr:`DateParts.month_first`); the
zone decides later (:func:`notifier.times.resolve`), and a date it cannot settle is refused.
Dotted numeric dates (``03.07.2024``) are day first everywhere they are written.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifier.errors import TimeExpressionError
from notifier.times.lex import Token
from notifier.times.vocab import MONTHS


@dataclass(frozen=True)
class DateParts:
    """A written date. ``month`` 0 means "the month of the context" (``the 18th``).

    ``month_first`` is the (day, month) of the US reading of a slash date when it differs
    from the day-first one.
    """

    day: int
    month: int
    year: int | None
    column: int
    month_first: tuple[int, int] | None = None


def take_date(tokens: list[Token], used: set[int]) -> DateParts | None:
    """The date in ``tokens``, marking the tokens it uses; two dates are an error."""
    found: DateParts | None = None
    for i in range(len(tokens)):
        if i in used:
            continue
        part = _date_at(tokens, i, used)
        if part is None:
            continue
        if found is not None:
            raise TimeExpressionError(
                "two-dates", "the expression gives two dates; keep one", part.column
            )
        found = part
    if found is None:
        found = _ordinal_alone(tokens, used)
    return found


def _is_day(token: Token | None) -> bool:
    return token is not None and (token.kind == "ordinal" or token.bare_number)


def _day_of(token: Token) -> int:
    return int(token.text.rstrip("stndrhSTNDRH")) if token.kind == "ordinal" else token.hour or 0


def _date_at(tokens: list[Token], i: int, used: set[int]) -> DateParts | None:
    token = tokens[i]
    if token.kind == "isodate":
        used.add(i)
        iso_year, iso_month, iso_day = (int(p) for p in token.text.split("-"))
        return DateParts(iso_day, iso_month, iso_year, token.column)
    if token.kind == "numdate":
        used.add(i)
        return _numeric(token)
    if token.kind == "dashdate":
        used.add(i)
        day, name, year = token.text.split("-")
        return DateParts(int(day), MONTHS[name.lower()], int(year), token.column)
    month = MONTHS.get(token.text.lower()) if token.kind == "word" else None
    if month is None:
        return None
    return _month_date(tokens, i, month, used)


def _neighbour(tokens: list[Token], i: int, step: int, used: set[int]) -> int | None:
    """The index next to ``i``, looking past a dot ("Sept.") and "of" ("10th of December")."""
    j = i + step
    while 0 <= j < len(tokens) and j not in used:
        token = tokens[j]
        if (token.kind == "sep" and token.text == ".") or token.text.lower() == "of":
            j += step
            continue
        return j
    return None


def _month_date(tokens: list[Token], i: int, month: int, used: set[int]) -> DateParts:
    token = tokens[i]
    before = _neighbour(tokens, i, -1, used)
    after = _neighbour(tokens, i, 1, used)
    if before is not None and _is_day(tokens[before]):
        day_index, rest = before, i + 1
    elif after is not None and _is_day(tokens[after]):
        day_index, rest = after, after + 1
    else:
        raise TimeExpressionError(
            "missing-day", f'"{token.text}" has no day of the month beside it', token.column
        )
    used.update(range(min(i, day_index), max(i, day_index) + 1))
    year = None
    while rest < len(tokens) and tokens[rest].kind == "sep" and tokens[rest].text in ",.":
        rest += 1
    if rest < len(tokens) and tokens[rest].kind == "year" and rest not in used:
        year = int(tokens[rest].text)
        used.add(rest)
    start = min(token.column, tokens[day_index].column)
    return DateParts(_day_of(tokens[day_index]), month, year, start)


def _numeric(token: Token) -> DateParts:
    separator = "." if "." in token.text else "/"
    parts = [int(p) for p in token.text.split(separator)]
    year = None
    if len(parts) == 3:
        year = parts[2] + (2000 if parts[2] < 100 else 0)
    first, second = parts[0], parts[1]
    if separator == ".":
        return DateParts(first, second, year, token.column)
    us = (second, first) if first != second else None
    return DateParts(first, second, year, token.column, month_first=us)


def _ordinal_alone(tokens: list[Token], used: set[int]) -> DateParts | None:
    """``the 18th``: a day of the month with the month taken from the context."""
    for i, token in enumerate(tokens):
        if token.kind == "ordinal" and i not in used:
            used.add(i)
            return DateParts(_day_of(token), 0, None, token.column)
    return None
