"""Passes over the scanned lines that need their neighbours: a running page header, a range
a flattened table split over two lines, rows of a table that has no time at all."""

from __future__ import annotations

import re
from dataclasses import replace

from notifier.listing.lines import Line
from notifier.listing.marks import Mark
from notifier.times import find_times

_OPEN_RANGE = re.compile(r"(?:\s[-–—]|\bto|\buntil)$")


def split_ranges(marks: list[Mark]) -> list[Mark]:
    """``4:00 pm - |`` then ``6:00 pm |``: a range a flattened table wrote over two lines."""
    out = list(marks)
    for i, mark in enumerate(marks):
        if mark.kind != "anchor" or mark.line.cells or len(mark.slots) != 1:
            continue
        head = mark.text.rstrip(" |")
        if not _OPEN_RANGE.search(head):
            continue
        j = next((k for k in range(i + 1, len(marks)) if marks[k].kind != "blank"), None)
        if j is None or marks[j].kind != "anchor" or marks[j].line.cells:
            continue
        end = marks[j].slots[0]
        if end.rest.strip(" |") or end.dated:
            continue
        when = f"{head.lstrip(' |')} {end.when}"
        found = find_times(when)
        if len(found) == 1 and found[0].text == when:
            slot = replace(mark.slots[0], when=when, rest="")
            out[i] = replace(mark, slots=(slot,))
            out[j] = replace(marks[j], kind="blank", slots=())
    return out


def untimed_tables(marks: list[Mark]) -> list[Mark]:
    """A row without a time matters only in a table of timed rows (a contents page is not)."""
    out = list(marks)
    table: list[int] = []
    for i, mark in enumerate([*marks, None]):
        if mark is not None and (mark.line.cells or mark.kind == "blank"):
            table.append(i)
            continue
        if not any(marks[j].kind == "anchor" and marks[j].line.cells for j in table):
            for j in table:
                if marks[j].kind == "timeless-row":
                    out[j] = replace(marks[j], kind="text")
        table = []
    return out


def page_header(mark: Mark, first: str | None, i: int, lines: list[Line]) -> Mark:
    """A day line that repeats the page's first line further down is a running page header."""
    if mark.kind == "day" and i > 0 and mark.text == first and lines[i - 1].text != first:
        return Mark(mark.index, mark.line, "page-header", spans=mark.spans)
    return mark
