"""Read a listing time expression into its parts, without resolving anything yet.

The grammar is the listings' own: a weekday, a date (``23 May``, ``11th March``,
``1 March 2025``, ``2023-05-23``), a clock range (``09:10- 10:00``, ``1–1.50 p.m.``,
``9 to 10``, ``noon``), a zone (``CEST``, ``Europe/Vienna``, ``UTC+2``, ``Japanese Standard
Time``) and a conversion in parentheses, in any order, with fillers such as ``on`` and
``Time:``. Anything else is an error that points at it: a word we do not understand is never
skipped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from notifier.errors import TimeExpressionError
from notifier.times.lex import Token, tokenize
from notifier.times.zones import ABBREVIATIONS, UTC_NAMES

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
FILLERS = frozenset({"on", "at", "by", "from", "the", "of", "date", "time", "starting"})
RANGE_WORDS = frozenset({"to", "till", "until", "through"})
SPECIAL_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}


@dataclass(frozen=True)
class Clock:
    """A written clock time: ``hour`` as written (1–12 with a meridiem)."""

    hour: int
    minute: int
    meridiem: str | None
    column: int
    special: str | None = None


@dataclass(frozen=True)
class DateParts:
    day: int
    month: int
    year: int | None
    column: int


@dataclass(frozen=True)
class ZoneRef:
    """A written zone: ``kind`` is abbr, longname, offset, iana or utc."""

    kind: str
    text: str
    column: int


@dataclass
class Parsed:
    """The parts of one expression; ``conversion`` is the parenthetical, if any."""

    date: DateParts | None = None
    weekday: tuple[int, int] | None = None  # (0=Monday, column)
    start: Clock | None = None
    end: Clock | None = None
    zone: ZoneRef | None = None
    conversion: Parsed | None = None
    conversion_column: int = 0
    extra_dashes: list[int] = field(default_factory=list)


def _unrecognised(token: Token) -> TimeExpressionError:
    known = [*MONTHS, *WEEKDAYS, *(a.lower() for a in ABBREVIATIONS), *SPECIAL_TIMES]
    close = difflib.get_close_matches(token.text.lower(), known, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return TimeExpressionError(
        "unrecognised",
        f'"{token.text}" is not a date, time or time zone this parser knows{hint}',
        token.column,
    )


def _zone_ref(token: Token) -> ZoneRef | None:
    if token.kind in ("offset", "iana", "longname"):
        return ZoneRef(token.kind, token.text, token.column)
    if token.kind == "word":
        upper = token.text.upper()
        if upper in UTC_NAMES:
            return ZoneRef("utc", upper, token.column)
        if upper in ABBREVIATIONS:
            return ZoneRef("abbr", upper, token.column)
    return None


def _take_date(tokens: list[Token], used: set[int]) -> DateParts | None:
    """Find ``23 May``, ``May 23``, ``11th March, 2021`` or ``2023-05-23``."""
    found: DateParts | None = None
    for i, token in enumerate(tokens):
        part = _date_at(tokens, i, used) if token.kind in ("word", "isodate") else None
        if part is None:
            continue
        if found is not None:
            raise TimeExpressionError(
                "two-dates", "the expression gives two dates; keep one", part.column
            )
        found = part
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
    month = MONTHS.get(token.text.lower())
    if month is None:
        return None
    before = tokens[i - 1] if i > 0 and (i - 1) not in used else None
    after_index = i + 1
    day_index: int
    if _is_day(before):
        day_index = i - 1
        after = i + 1
    elif after_index < len(tokens) and _is_day(tokens[after_index]):
        day_index = after_index
        after = after_index + 1
    else:
        raise TimeExpressionError(
            "missing-day", f'"{token.text}" has no day of the month beside it', token.column
        )
    used.update((i, day_index))
    year = None
    if after < len(tokens) and tokens[after].kind == "sep" and tokens[after].text == ",":
        after += 1
    if after < len(tokens) and tokens[after].kind == "year":
        year = int(tokens[after].text)
        used.add(after)
    start = min(token.column, tokens[day_index].column)
    return DateParts(_day_of(tokens[day_index]), month, year, start)


def _clock(token: Token) -> Clock:
    special = SPECIAL_TIMES.get(token.text.lower())
    if special is not None:
        return Clock(special[0], special[1], None, token.column, token.text.lower())
    return Clock(token.hour or 0, token.minute or 0, token.meridiem, token.column)


def _is_clock(token: Token) -> bool:
    return token.kind == "clock" or (token.kind == "word" and token.text.lower() in SPECIAL_TIMES)


def _is_range(token: Token) -> bool:
    return token.kind == "dash" or (token.kind == "word" and token.text.lower() in RANGE_WORDS)


def _take_times(tokens: list[Token], parsed: Parsed) -> None:
    """The rest must be: clock [range-word clock], with fillers, zone and weekday around."""
    clocks: list[Clock] = []
    pending_range: Token | None = None
    for i, token in enumerate(tokens):
        if _is_clock(token):
            if (clocks and pending_range is None) or len(clocks) == 2:
                raise TimeExpressionError(
                    "two-times",
                    "two times without a range between them; write a range as 9:00-10:30",
                    token.column,
                )
            clocks.append(_clock(token))
            pending_range = None
        elif _is_range(token):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if len(clocks) == 1 and pending_range is None and nxt is not None and _is_clock(nxt):
                pending_range = token
            elif token.kind == "dash":
                parsed.extra_dashes.append(token.column)  # "09:00 – 10:30 – JST"
            else:
                raise _unrecognised(token)
        else:
            raise _unrecognised(token)
    if clocks:
        parsed.start = clocks[0]
        parsed.end = clocks[1] if len(clocks) == 2 else None


def _classify(token: Token, parsed: Parsed, rest: list[Token]) -> None:
    """Put one token that is not part of the date into ``parsed`` or ``rest``."""
    zone = _zone_ref(token)
    lower = token.text.lower()
    if zone is not None:
        if parsed.zone is not None:
            raise TimeExpressionError(
                "two-zones",
                f'two time zones ("{parsed.zone.text}" and "{token.text}"); keep one, and '
                "put a conversion in parentheses",
                token.column,
            )
        parsed.zone = zone
    elif token.kind == "word" and lower in WEEKDAYS:
        if parsed.weekday is not None:
            raise TimeExpressionError("two-weekdays", "two weekdays; keep one", token.column)
        parsed.weekday = (WEEKDAYS[lower], token.column)
    elif token.kind == "paren":
        if parsed.conversion is not None:
            raise TimeExpressionError("two-conversions", "only one conversion", token.column)
        parsed.conversion = parse_parts(token.text[1:-1], token.column + 1)
        parsed.conversion_column = token.column
    elif (token.kind == "word" and lower in FILLERS) or token.kind == "sep":
        return
    elif (
        (token.kind == "word" and lower not in RANGE_WORDS and lower not in SPECIAL_TIMES)
        or token.kind in ("ordinal", "year", "isodate", "other")
        or (token.kind == "word" and lower in MONTHS)
    ):
        raise _unrecognised(token)
    else:
        rest.append(token)


def parse_parts(text: str, base_column: int = 0) -> Parsed:
    """The parts of ``text``; raises :class:`TimeExpressionError` on anything it cannot place."""
    tokens = tokenize(text, base_column)
    if not tokens:
        raise TimeExpressionError("empty-expression", "the time expression is empty", base_column)
    used: set[int] = set()
    parsed = Parsed(date=_take_date(tokens, used))
    rest: list[Token] = []
    for i, token in enumerate(tokens):
        if i not in used:
            _classify(token, parsed, rest)
    _take_times(rest, parsed)
    return parsed
