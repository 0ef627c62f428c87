"""Nothing silent: every line with a time-like span that did not become a session says why.

A time that looked like a session but could not be placed (no title, a refused time, a day
heading that is no date) is ``unplaced``: ``notifier import --strict`` fails on it, and so on
a table row with no time. A time the importer judged not to be a session (inside a sentence,
a range of dates, a page header, a time in a session's description) is a ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable

from notifier.listing.marks import Mark, has_clock
from notifier.listing.model import ReportLine, note, unplaced

_SHORT = 60


def report_loose(marks: Iterable[Mark], skip_lines: set[int]) -> list[ReportLine]:
    """A line for each mark no session used that holds a time-like span or is a timeless row."""
    report: list[ReportLine] = []
    for mark in marks:
        number = mark.line.number
        if number in skip_lines:
            continue
        if mark.kind == "timeless-row":
            report.append(
                unplaced(number, f'the row "{shorten(mark.text)}" has no time; not imported')
            )
        elif mark.kind == "page-header":
            report.append(note(number, f'"{mark.text}" repeats the page header; not a day'))
        elif mark.spans:
            report.append(note(number, _why(mark)))
    return report


def _why(mark: Mark) -> str:
    spans = ", ".join(f'"{span}"' for span in mark.spans)
    if any(has_clock(span) for span in mark.spans):
        return (
            f"{spans} is not read as a session: the time is inside running text, not at the "
            "start of a programme line or in a table's time column"
        )
    return f"{spans} is not read as a day heading: a date in running text or a range of dates"


def shorten(text: str, limit: int = _SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
