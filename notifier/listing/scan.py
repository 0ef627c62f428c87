"""Find the times first: every line is scanned with :func:`notifier.times.find_times`.

A line (or a row's cell) whose span holds a clock is a session *anchor*; a short line whose
only span is one date is a *day* heading for the anchors below it; a row with no time in a
table of timed rows is reported; any other line with a time-like span is kept with its spans
so the report can say why it did not become a session. The span's own text becomes the
session's ``when``, so the draft re-parses to exactly what was found.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from notifier.listing.labels import read_label, strip_label
from notifier.listing.lines import Line, spaced_cells
from notifier.listing.marks import HEADER_WORDS, Mark, Slot, has_clock, has_date, has_letters
from notifier.listing.model import Tick
from notifier.listing.passes import page_header, split_ranges, untimed_tables
from notifier.listing.patterns import is_prose
from notifier.times import Found, find_times
from notifier.times.lex import tokenize
from notifier.times.vocab import WEEKDAYS

_MILITARY = re.compile(r"\d{4}\s*(?:-\s*\d{4})?\s*(?:hrs|hours|h)?|\d{4}\s*-\s*\d{4}")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MAX_DAY_LINE = 90
_SAME_CELL = -1  # a pseudo column for the text beside a time in its own cell
_MAX_DAY_WORDS_LINE = 40
_CAPS_RUN = 3
_PREFIX_WORDS = 4


def scan(lines: list[Line], tick: Tick | None = None) -> list[Mark]:
    """Every line marked, in order; ``tick`` hears of each line read (the slow part)."""
    first = next((line.text for line in lines if not line.blank), None)
    marks = []
    for i, line in enumerate(lines):
        marks.append(_mark(i, line))
        if tick is not None:
            tick("reading lines", i + 1, len(lines))
    marks = [page_header(mark, first, i, lines) for i, mark in enumerate(marks)]
    return untimed_tables(split_ranges(marks))


def _mark(index: int, line: Line) -> Mark:
    if line.blank:
        return Mark(index, line, "blank")
    if line.cells:
        return _row(index, line)
    columns = spaced_cells(line.raw or line.text)
    if columns and _time_cell(columns[0]):
        # "10 a.m.–1 p.m.   General debate   Conference Room 4": columns aligned with spaces
        return _row(index, replace(line, cells=columns))
    return _text(index, line)


def _clock_spans(text: str) -> tuple[list[Found], list[Found]]:
    found = find_times(text)
    clocks = [f for f in found if has_clock(f.text)]
    return clocks, [f for f in found if f not in clocks]


def _text(index: int, line: Line) -> Mark:
    text = line.text
    clocks, dates = _clock_spans(text)
    spans = tuple(f.text for f in (*clocks, *dates))
    if clocks and _starts_row(text, clocks[0]):
        return Mark(index, line, "anchor", (_slot(text, clocks[0], dates),), spans=spans)
    if clocks and (slot := _closing_aside(text, clocks[0])) is not None:
        return Mark(index, line, "anchor", (slot,), spans=spans)
    if clocks:
        return Mark(index, line, "time-text", spans=spans)
    if dates:
        day = _day_text(text, dates)
        kind = "day" if day is not None else "time-text"
        return Mark(index, line, kind, day=day, spans=spans)
    if _day_like(text):
        # "Friday 23d October" reads as no date: a day heading all the same, so the rows
        # below are reported instead of landing silently on the day before
        return Mark(index, line, "day", day=text.strip(" :*#"), spans=(text,))
    return Mark(index, line, "heading" if line.heading else "text")


def _day_like(text: str) -> bool:
    words = text.strip(" *#").split()
    return (
        bool(words)
        and len(text) <= _MAX_DAY_WORDS_LINE
        and words[0].strip(",.").lower() in WEEKDAYS
        and any(char.isdigit() for char in text)
    )


def _starts_row(text: str, span: Found) -> bool:
    """The time opens the line (after a label, a bullet or a date), as a programme row does;
    or follows a short heading and leads a title in capitals (a PDF flattened to one line)."""
    start = _misspelt_weekday_start(text, span.start)
    prefix = strip_label(text[:start].strip(" \t-•·*>|#"), ("day", "time", "title"))
    if not prefix.strip(" :,-–—|") or not has_letters(prefix) or _all_dates(prefix):
        return True
    words = text[span.end :].split()
    caps = 0
    for word in words:
        if not word.isupper() or not re.search("[A-Z]", word):
            break
        caps += 1
    return len(prefix.split()) <= _PREFIX_WORDS and caps >= _CAPS_RUN


def _closing_aside(text: str, span: Found) -> Slot | None:
    """``1st plenary meeting (Plenary Hall, 10 a.m. – 1 p.m.)``: a title, then its room and
    time in a parenthesis that ends the line."""
    opening = text.rfind("(", 0, span.start)
    closing = text.find(")", span.end)
    if opening < 0 or closing < 0 or ")" in text[opening : span.start]:
        return None
    if text[closing + 1 :].strip(" .;") or not has_letters(text[:opening]):
        return None
    inside = (text[opening + 1 : span.start] + " " + text[span.end : closing]).strip(" ,;–-")
    title = text[:opening].strip(" \t-•·*>▶►")
    return Slot(span.text, has_date(span.text), rest=title, aside=" ".join(inside.split()))


def _all_dates(text: str) -> bool:
    found = find_times(text)
    covered = "".join(text[f.start : f.end] for f in found)
    return bool(found) and len(covered.strip()) >= len(text.strip(" ,-–—:|")) - 1


def _slot(text: str, span: Found, dates: list[Found]) -> Slot:
    start = _misspelt_weekday_start(text, span.start)
    when = text[start : span.end]
    before = [d for d in dates if d.end <= start]
    day = before[-1].text if before and not has_date(when) else None
    return Slot(when, has_date(when), rest=text[span.end :].strip(), day=day)


def _misspelt_weekday_start(text: str, start: int) -> int:
    """``Tusday 23 May``: a word just before the span that is nearly a weekday is kept with
    it, so the span is refused and reported instead of read without its wrong weekday."""
    match = re.search(r"([A-Za-z]+)[\s,]*$", text[:start])
    if match is None or match[1].lower() in WEEKDAYS:
        return start
    close = difflib.get_close_matches(match[1].lower(), _WEEKDAY_NAMES, 1, 0.7)
    return match.start(1) if close else start


def _day_text(text: str, dates: list[Found]) -> str | None:
    """The day a short line names (``MONDAY, 14 OCTOBER``, ``Date: 11 March 2021``), or None
    for a date in running text or a range of dates (an event's dates)."""
    body = strip_label(text)
    if len(body) > _MAX_DAY_LINE or is_prose(body) or len(dates) != 1:
        return None
    span = dates[0]
    if span.kind == "date" and span.day is None and span.error in ("two-dates", "invalid-date"):
        return None
    if len([t for t in tokenize(span.text) if t.kind in ("ordinal",) or t.bare_number]) > 1:
        return None  # "14-22 March 2019": an event's dates, not one day
    start = _misspelt_weekday_start(text, span.start)
    return text[start : span.end]


def _row(index: int, line: Line) -> Mark:
    cells = line.cells
    times = [i for i, cell in enumerate(cells) if _time_cell(cell)]
    spans = tuple(s for cell in cells for s in (f.text for f in find_times(cell)))
    if times:
        return Mark(index, line, "anchor", _row_slots(cells, times), spans=spans)
    filled = [i for i, cell in enumerate(cells) if cell]
    if filled:
        day = _date_cell(cells[filled[0]])
        others = [cells[i] for i in filled[1:]]
        if day is not None and all(cell.casefold() in HEADER_WORDS for cell in others):
            return Mark(index, line, "day", day=day, spans=spans, headers=cells)
    if line.header or all(not cell or cell.casefold() in HEADER_WORDS for cell in cells):
        return Mark(index, line, "header", headers=cells)
    return Mark(index, line, "timeless-row", spans=spans)


def _time_cell(cell: str) -> bool:
    clocks, _ = _clock_spans(cell)
    if clocks:
        return True
    return _MILITARY.fullmatch(cell.strip()) is not None and read_label(cell) is None


def _row_slots(cells: tuple[str, ...], times: list[int]) -> tuple[Slot, ...]:
    """One slot per time cell; the cells up to the next time cell are its columns (and the
    cells before the first time cell belong to the first: ``Opening ceremony | 09.00 | Hall``)."""
    slots = []
    dates = {i: day for i, cell in enumerate(cells) if (day := _date_cell(cell)) is not None}
    row_day = next(iter(dates.values()), None)
    for n, column in enumerate(times):
        start = 0 if n == 0 else column + 1
        end = times[n + 1] if n + 1 < len(times) else len(cells)
        own = tuple((i, cells[i]) for i in range(start, end) if i != column and i not in dates)
        when = _cell_when(cells[column])
        # "10:00–11:00<br>Opening" in one cell: the rest of the time's cell comes first
        rest = cells[column].replace(when, " ", 1).strip(" \n:–—-|")
        if has_letters(rest):
            own = ((_SAME_CELL, rest), *own)
        dated = has_date(when)
        slots.append(Slot(when, dated, cells=own, day=None if dated else row_day))
    return tuple(slots)


def _date_cell(cell: str) -> str | None:
    """The day a cell names when it holds one date and nothing else (a date column)."""
    clocks, dates = _clock_spans(cell)
    return None if clocks or not dates else _day_text(cell, dates)


def _cell_when(cell: str) -> str:
    clocks, _ = _clock_spans(cell)
    return clocks[0].text if clocks else cell.strip()
