"""Read a listing time expression into its parts, without resolving anything yet.

The grammar is the listings' own: a weekday, a date (:mod:`notifier.times.datefind`), and one
or more *readings* of the same moment, each a clock range with its zones: ``10:00 ET / 16:00
CEST``, ``2PM WAT; 3PM CAT``, ``9:00 -10:30 JST (1am – 2:30am CET)``, ``15:00 (3 p.m.)``.
The first reading that names its zone fixes the instant; the others are checked against it.
Separators, lead-ins and notes (``|``, ``@``, ``As of``, ``no later than``, ``(TBC)``) join
the parts. Anything else is an error that points at it: a word we do not understand is never
skipped.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from notifier.errors import TimeExpressionError
from notifier.times.datefind import DateParts, take_date
from notifier.times.lex import Token, tokenize
from notifier.times.places import city_first_words, city_zone
from notifier.times.vocab import (
    CITY_MARKERS,
    FILLERS,
    HOUR_WORDS,
    LEAD_INS,
    MONTHS,
    NOTE_WORDS,
    RANGE_WORDS,
    SPECIAL_TIMES,
    WEEKDAYS,
)
from notifier.times.zones import ABBREVIATIONS, UTC_NAMES

__all__ = [
    "FILLERS",
    "MONTHS",
    "RANGE_WORDS",
    "SPECIAL_TIMES",
    "WEEKDAYS",
    "Clock",
    "DateParts",
    "Parsed",
    "Reading",
    "ZoneRef",
    "parse_parts",
]


@dataclass(slots=True)  # treated as immutable; not frozen, which is slow to build
class Clock:
    """A written clock time: ``hour`` as written (1–12 with a meridiem).

    ``style24`` marks clocks that are 24-hour by the way they are written (``14h30``,
    ``1600 hrs``, ``09:30``), ``padded`` a leading zero.
    """

    hour: int
    minute: int
    meridiem: str | None
    column: int
    special: str | None = None
    second: int = 0
    style24: bool = False
    padded: bool = False

    @property
    def bare(self) -> bool:
        """Whether only the reader's guess could tell a.m. from p.m. (``2:30`` in a daybook)."""
        return self.meridiem is None and self.special is None and not self.style24


@dataclass(frozen=True)
class ZoneRef:
    """A written zone: ``kind`` is abbr, longname, offset, iana, utc or city (``key`` set)."""

    kind: str
    text: str
    column: int
    key: str | None = None


@dataclass
class Reading:
    """One reading of the moment: a clock range and the zones it is written in.

    ``own_date`` is a date written inside a parenthesised reading ("8 p.m. Eastern Time,
    April 15th"); ``same_zone`` marks a parenthesis that restates the time without a zone.
    """

    start: Clock | None = None
    end: Clock | None = None
    zones: list[ZoneRef] = field(default_factory=list)
    column: int = 0
    own_date: DateParts | None = None
    same_zone: bool = False


@dataclass
class Parsed:
    """The parts of one expression: its date and weekday, and its readings in written order."""

    date: DateParts | None = None
    weekday: tuple[int, int] | None = None  # (0=Monday, column)
    readings: list[Reading] = field(default_factory=list)

    @property
    def main(self) -> Reading:
        """The first reading with a time (or the empty one)."""
        return next((r for r in self.readings if r.start is not None), Reading())

    @property
    def start(self) -> Clock | None:
        return self.main.start

    @property
    def zone(self) -> ZoneRef | None:
        zoned = next((r for r in self.readings if r.zones), None)
        return zoned.zones[0] if zoned else None


def unrecognised(token: Token) -> TimeExpressionError:
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


def _clock(token: Token) -> Clock:
    special = SPECIAL_TIMES.get(token.text.lower()) if token.kind == "word" else None
    if special is not None:
        return Clock(special[0], special[1], None, token.column, token.text.lower())
    if token.kind == "year":  # a 4-digit military time: "1600 hrs", "2000UTC", "UTC 1300"
        value = int(token.text)
        return Clock(value // 100, value % 100, None, token.column, style24=True, padded=True)
    if token.named is not None:
        if token.hour != 12 or token.minute not in (None, 0):
            raise TimeExpressionError(
                "invalid-time", f'"{token.text}": write 12 noon or 12 midnight', token.column
            )
        minutes = SPECIAL_TIMES[token.named]
        return Clock(minutes[0], minutes[1], None, token.column, token.named)
    return Clock(
        token.hour or 0,
        token.minute or 0,
        token.meridiem,
        token.column,
        second=token.second or 0,
        style24=token.hour_style,
        padded=token.text.startswith("0"),
    )


def _is_clock(token: Token) -> bool:
    if token.kind == "clock":
        return True
    if token.kind == "year":
        value = int(token.text)
        return value // 100 < 24 and value % 100 < 60
    return token.kind == "word" and token.text.lower() in SPECIAL_TIMES


def parse_parts(text: str, base_column: int = 0) -> Parsed:
    """The parts of ``text``; raises :class:`TimeExpressionError` on anything it cannot place."""
    tokens = tokenize(text, base_column)
    if not tokens:
        raise TimeExpressionError("empty-expression", "the time expression is empty", base_column)
    used: set[int] = set()
    parsed = Parsed(date=take_date(tokens, used))
    rest = [token for i, token in enumerate(tokens) if i not in used]
    _Reader(parsed).read(rest)
    return parsed


class _Reader:
    """Walks the tokens left after the date, building the readings in written order."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.current = Reading()
        parsed.readings.append(self.current)
        self.pending_range: Token | None = None
        self.between = False
        self.previous: Token | None = None

    def read(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            i = self._step(tokens, i)
        if self.pending_range is not None:
            raise unrecognised(self.pending_range)
        self.parsed.readings = [r for r in self.parsed.readings if r.start or r.zones]

    def _step(self, tokens: list[Token], i: int) -> int:
        token = tokens[i]
        lower = token.text.lower()
        city = self._city_at(tokens, i)
        if city is not None:
            ref, i = city
            self._zone(ref)
        elif _is_clock(token):
            self._add_clock(_clock(token))
        elif self._is_range(tokens, i):
            self.pending_range = token
        elif (zone := _zone_ref(token)) is not None:
            self._zone(zone)
        elif token.kind == "word" and lower in WEEKDAYS:
            self._weekday(WEEKDAYS[lower], token.column)
        elif token.kind == "paren":
            self._paren(token)
        elif not self._joiner(token, lower):
            raise unrecognised(token)
        self.previous = tokens[i]
        return i + 1

    def _joiner(self, token: Token, lower: str) -> bool:
        """Hour words after a clock, "between", fillers, lead-ins and separators."""
        if token.kind == "word" and lower in HOUR_WORDS and self._after_clock():
            self._mark_24h()
        elif token.kind == "word" and lower == "between":
            self.between = True
        elif not (
            (token.kind == "word" and lower in FILLERS | LEAD_INS)
            or token.kind in ("sep", "dash")  # "4:00 pm ET – Monday, March 29"
        ):
            return False
        return True

    def _after_clock(self) -> bool:
        return self.previous is not None and _is_clock(self.previous)

    def _mark_24h(self) -> None:
        reading = self.current
        if reading.end is not None:
            reading.end = _as_24h(reading.end)
            if reading.start is not None:
                reading.start = _as_24h(reading.start)
        elif reading.start is not None:
            reading.start = _as_24h(reading.start)

    def _is_range(self, tokens: list[Token], i: int) -> bool:
        token = tokens[i]
        lower = token.text.lower()
        joins = token.kind == "dash" or (token.kind == "word" and lower in RANGE_WORDS)
        joins = joins or (token.kind == "word" and lower == "and" and self.between)
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        return (
            joins
            and self.current.start is not None
            and self.current.end is None
            and self.pending_range is None
            and not self.current.zones
            and following is not None
            and _is_clock(following)
        )

    def _add_clock(self, clock: Clock) -> None:
        reading = self.current
        if reading.start is None:
            reading.start = clock
            reading.column = clock.column
        elif self.pending_range is not None and reading.end is None:
            reading.end = clock
            self.pending_range = None
        elif reading.zones:
            self.current = Reading(start=clock, column=clock.column)
            self.parsed.readings.append(self.current)
        else:
            raise TimeExpressionError(
                "two-times",
                "two times without a range or a zone between them; write a range as "
                "9:00-10:30, or give each time its zone (10:00 ET / 16:00 CEST)",
                clock.column,
            )

    def _zone(self, ref: ZoneRef) -> None:
        self.current.zones.append(ref)

    def _weekday(self, number: int, column: int) -> None:
        if self.parsed.weekday is not None:
            raise TimeExpressionError("two-weekdays", "two weekdays; keep one", column)
        self.parsed.weekday = (number, column)

    def _city_at(self, tokens: list[Token], i: int) -> tuple[ZoneRef, int] | None:
        """A city as a zone, where listings put one: after a time, or before "time"/"local"."""
        if tokens[i].kind != "word" or tokens[i].text.lower() not in city_first_words():
            return None
        for length in (3, 2, 1):
            words = tokens[i : i + length]
            if len(words) < length or any(w.kind != "word" for w in words):
                continue
            key = city_zone(" ".join(w.text for w in words))
            if key is None:
                continue
            following = tokens[i + length] if i + length < len(tokens) else None
            marked = following is not None and following.text.lower() in CITY_MARKERS
            if marked or self._after_clock() or self.in_zone_paren:
                text = " ".join(w.text for w in words)
                return ZoneRef("city", text, tokens[i].column, key), i + length - 1
        return None

    in_zone_paren = False

    def _paren(self, token: Token) -> None:
        inner = tokenize(token.text[1:-1], token.column + 1)
        words = {t.text.lower() for t in inner if t.kind == "word"}
        if not inner or (all(t.kind in ("word", "sep") for t in inner) and words <= NOTE_WORDS):
            return  # "(TBC)", "(local times)"
        if all(t.kind == "sep" or t.text.lower() in WEEKDAYS for t in inner):
            day = next(t for t in inner if t.kind != "sep")
            self._weekday(WEEKDAYS[day.text.lower()], day.column)
            return
        if not any(_is_clock(t) for t in inner):
            self._zone_paren(inner, token)
            return
        sub = parse_parts(token.text[1:-1], token.column + 1)
        if sub.weekday is not None:
            raise TimeExpressionError(
                "conversion-invalid", "write the conversion as times and a zone", token.column
            )
        for reading in sub.readings:
            reading.own_date = sub.date
            reading.same_zone = not reading.zones
            self.parsed.readings.append(reading)
        # the reading before the parenthesis stays open for a zone written after it
        # ("23:59 (11:59pm) in the AoE time zone")

    def _zone_paren(self, inner: list[Token], paren: Token) -> None:
        """``(CEST)``, ``(UTC-4)``, ``(CEST/Geneva)``, ``(Nairobi time (UTC + 3))``, ``(03/25)``."""
        reader = _Reader(Parsed())
        reader.in_zone_paren = True
        used: set[int] = set()
        date = take_date(inner, used)
        if date is not None:
            if self.parsed.date is not None:
                raise TimeExpressionError("two-dates", "two dates; keep one", date.column)
            self.parsed.date = date
        reader.read([t for i, t in enumerate(inner) if i not in used])
        if reader.parsed.weekday is not None:
            self._weekday(*reader.parsed.weekday)
        for ref in (z for r in reader.parsed.readings for z in r.zones):
            self._zone(ref)
        if not any(r.zones for r in reader.parsed.readings) and date is None:
            raise TimeExpressionError(
                "conversion-invalid",
                "the text in parentheses is not a time, a date or a zone",
                paren.column,
            )


def _as_24h(clock: Clock) -> Clock:
    return Clock(
        clock.hour,
        clock.minute,
        clock.meridiem,
        clock.column,
        clock.special,
        clock.second,
        style24=True,
        padded=clock.padded,
    )
