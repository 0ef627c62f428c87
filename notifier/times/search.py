"""Find every date, time and range in running text, with where it is (for the importer).

``find_times(text, context)`` scans a paragraph ("The sessions will take place from 9.00 to
17:15 on the first day …") and returns each span that reads as a date, a time or a range,
with its start and end offsets in ``text``, and what :func:`parse_when` makes of it in
``context``. It reuses the tokenizer, so a span is exactly what the grammar reads; it never
guesses: a span that does not resolve keeps the refusal's code for the caller to report.

A span is a run of time words (clocks, dates, weekdays, zones, range words, joins) that holds
at least one *anchor*: a clock with minutes, a.m./p.m., ``h`` or ``noon``, or a date with its
day. Bare numbers ("23 participants") and lone month names ("you may register") are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from notifier.errors import TimeExpressionError
from notifier.times.lex import Token, tokenize
from notifier.times.model import ResolvedTime, TimeContext
from notifier.times.parse import parse_parts
from notifier.times.resolve import parse_day, parse_when
from notifier.times.vocab import FILLERS, MONTHS, RANGE_WORDS, SPECIAL_TIMES, WEEKDAYS
from notifier.times.zones import ABBREVIATIONS, UTC_NAMES

_JOIN_WORDS = FILLERS | RANGE_WORDS | {"and", "between", "till", "hrs", "hours", "h"}
_JOIN_SEPS = frozenset(",|/@;:.")


@dataclass(frozen=True)
class Found:
    """One span of ``text``: ``text[start:end]`` reads as a ``kind`` (date, time, range or
    datetime). ``resolved`` is its instant in the context; ``error`` the refusal's code when
    it does not resolve; ``day`` the date of a date-only span (a day heading)."""

    start: int
    end: int
    text: str
    kind: str
    resolved: ResolvedTime | None = None
    error: str | None = None
    day: date | None = None


def find_times(text: str, context: TimeContext | None = None) -> list[Found]:
    """Every date, time or range in ``text``, in order, with its offsets."""
    tokens = tokenize(text)
    found = []
    runs = _runs(tokens, text)
    for run in runs:
        start, end = run[0].column, run[-1].column + len(run[-1].text)
        found.append(_resolve(text, start, end, context))
    # a time inside a parenthesis that is not itself a time: "(Plenary Hall, 10 a.m. – 1 p.m.)"
    used = {id(token) for run in runs for token in run}
    for token in tokens:
        if token.kind == "paren" and id(token) not in used and len(token.text) > 2:
            inner = find_times(text[token.column + 1 : token.column + len(token.text) - 1], context)
            found += [_shifted(f, token.column + 1, text, context) for f in inner]
    return sorted(found, key=lambda f: f.start)


def _shifted(found: Found, offset: int, text: str, context: TimeContext | None) -> Found:
    return _resolve(text, found.start + offset, found.end + offset, context)


def _runs(tokens: list[Token], text: str) -> list[list[Token]]:
    """Runs of time words; a line break or a full stop ends one (list items, sentences)."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for i, token in enumerate(tokens):
        if current and (
            "\n" in text[current[-1].column + len(current[-1].text) : token.column]
            or _date_again(current, tokens, i)
        ):
            runs.append(current)
            current = []
        if _part(tokens, i) and not _sentence_end(tokens, i):
            current.append(token)
            continue
        if current and token.kind == "word" and _is_weekday(current[-1]):
            current.pop()  # "7:00 PM – Sun Room": the weekday starts a name
        runs.append(current)
        current = []
    runs.append(current)
    return [trimmed for run in runs if (trimmed := _trim(run)) and _has_anchor(trimmed)]


def _date_again(run: list[Token], tokens: list[Token], i: int) -> bool:
    """A second date right after a whole date ("Thursday 11th June 2020 11th June 2020 4:30pm",
    a page that prints a date twice) starts a new span instead of making one of two dates."""
    token, last = tokens[i], run[-1]
    starts_date = token.kind in ("ordinal", "isodate", "numdate", "dashdate") or (
        token.bare_number and i + 1 < len(tokens) and tokens[i + 1].text.lower() in MONTHS
    )
    return starts_date and last.kind == "year" and any(t.text.lower() in MONTHS for t in run)


def _is_weekday(token: Token) -> bool:
    return token.kind == "word" and token.text.lower() in WEEKDAYS


def _sentence_end(tokens: list[Token], i: int) -> bool:
    """A full stop after anything but a month abbreviation ("Sept. 28") ends the span."""
    token = tokens[i]
    if token.kind != "sep" or token.text != ".":
        return False
    previous = tokens[i - 1] if i else None
    return previous is None or previous.text.lower() not in MONTHS


def _part(tokens: list[Token], i: int) -> bool:
    token = tokens[i]
    lower = token.text.lower()
    if token.kind in ("clock", "year", "ordinal", "isodate", "numdate", "dashdate"):
        return True
    if token.kind in ("offset", "iana", "longname", "dash"):
        return True
    if token.kind == "sep":
        return token.text in _JOIN_SEPS
    if token.kind == "paren":
        return _paren_is_time(token)
    if token.kind != "word":
        return False
    return (
        lower in WEEKDAYS
        or lower in SPECIAL_TIMES
        or lower in _JOIN_WORDS
        or token.text.upper() in ABBREVIATIONS
        or token.text.upper() in UTC_NAMES
        or (lower in MONTHS and _beside_day(tokens, i))
    )


def _beside_day(tokens: list[Token], i: int) -> bool:
    near = [tokens[j] for j in (i - 1, i + 1, i + 2) if 0 <= j < len(tokens)]
    return any(t.kind in ("ordinal", "year") or (t.kind == "clock" and t.bare_number) for t in near)


def _paren_is_time(token: Token) -> bool:
    try:
        parse_parts(token.text[1:-1], token.column + 1)
    except TimeExpressionError:
        return False
    return True


def _trim(run: list[Token]) -> list[Token]:
    """Without joins at either end: "at 10:00, " is the span "10:00"; and without a numbered
    label's number: "Day 1: 30th March" is the span "30th March", not a 1 o'clock."""
    start, end = 0, len(run)
    while start < end and (_is_join(run[start]) or _is_label_number(run, start)):
        start += 1
    while end > start and _is_join(run[end - 1]):
        end -= 1
    return run[start:end]


def _is_label_number(run: list[Token], i: int) -> bool:
    """``1`` in ``Day 1: 30th March`` or ``Session 2: 10:00``: a bare number before a colon."""
    follows = run[i + 1] if i + 1 < len(run) else None
    return run[i].bare_number and follows is not None and follows.text == ":"


def _is_join(token: Token) -> bool:
    return token.kind in ("sep", "dash") or (
        token.kind == "word" and token.text.lower() in _JOIN_WORDS
    )


def _has_anchor(run: list[Token]) -> bool:
    for i, token in enumerate(run):
        if token.kind == "clock" and not token.bare_number:
            return True
        if token.kind in ("isodate", "numdate", "dashdate"):
            return True
        if token.kind == "word" and token.text.lower() in SPECIAL_TIMES:
            return True
        if token.kind == "word" and token.text.lower() in MONTHS and _beside_day(run, i):
            return True
    return False


def _resolve(text: str, start: int, end: int, context: TimeContext | None) -> Found:
    span = text[start:end]
    try:
        resolved = parse_when(span, context)
    except TimeExpressionError as exc:
        if exc.code != "missing-time":
            return Found(start, end, span, "time", None, exc.code)
        try:
            return Found(start, end, span, "date", day=parse_day(span, context))
        except TimeExpressionError as day_error:
            return Found(start, end, span, "date", None, day_error.code)
    has_date = any(
        t.kind in _DATE_KINDS or (t.kind == "word" and t.text.lower() in MONTHS)
        for t in tokenize(span)
    )
    kind = "range" if resolved.end is not None else "datetime" if has_date else "time"
    return Found(start, end, span, kind, resolved, None)


_DATE_KINDS = frozenset({"isodate", "numdate", "dashdate"})
