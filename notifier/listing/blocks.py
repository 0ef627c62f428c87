"""Paragraph listings: a time line, then the session's link, organizers, title, description.

Layout (a), the GI-TOC side-event page::

    **Tuesday 23 May
    09:10- 10:00 CEST**

    [Click here to join](#)

    Government of the Netherlands        <- organizer lines (logos)
    The dynamics of human smuggling …    <- title: the last short paragraph
    The side event will present …        <- description: the sentences after it

and its mirror, a summary list where each title comes just before its time (the top of the
Kyoto page). A paragraph ending in ":" just before a time heads the next block ("GI-TOC will
also participate in the following event:"), so it is not taken as a description.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from notifier.listing.model import Candidate, Found, ReportLine, note, unplaced
from notifier.listing.patterns import (
    is_day_heading,
    is_prose,
    join_link,
    looks_like_time,
    names_a_date,
    strip_markup,
    web_address,
)
from notifier.listing.text import Line

_MAX_TITLE = 300


@dataclass(frozen=True)
class Paragraph:
    """Consecutive non-blank lines; ``text`` joins them without Markdown emphasis.

    ``first`` is the index of the first line in the listing's line list (not its line number:
    one HTML source line can give several lines).
    """

    first: int
    lines: tuple[Line, ...]

    @property
    def indexes(self) -> range:
        return range(self.first, self.first + len(self.lines))

    @property
    def number(self) -> int:
        return self.lines[0].number

    @property
    def text(self) -> str:
        return " ".join(part for line in self.lines if (part := strip_markup(line.text)))


def group_paragraphs(lines: Sequence[Line], claimed: set[int]) -> list[Paragraph | None]:
    """Paragraphs of ``lines``; ``None`` stands where claimed lines (another layout's) were."""
    paragraphs: list[Paragraph | None] = []
    current: list[Line] = []
    for index, line in enumerate(lines):
        barrier = index in claimed
        if barrier or not strip_markup(line.text):
            if current:
                paragraphs.append(Paragraph(index - len(current), tuple(current)))
                current = []
            if barrier and (not paragraphs or paragraphs[-1] is not None):
                paragraphs.append(None)
            continue
        current.append(line)
    if current:
        paragraphs.append(Paragraph(len(lines) - len(current), tuple(current)))
    return paragraphs


def read_time_blocks(paragraphs: Sequence[Paragraph | None]) -> Found:
    """Every session block led (or, in a summary list, followed) by a time line."""
    found = Found()
    for segment in _segments(paragraphs):
        times = [i for i, paragraph in enumerate(segment) if looks_like_time(paragraph.text)]
        if not times:
            continue
        if _titles_lead(segment, times):
            for i in times:
                found.candidates.append(_with_day(segment, i, segment[i - 1].text))
            continue
        for i, end in zip(times, [*times[1:], len(segment)], strict=True):
            _trailing_block(segment, i, end, found)
    return found


def _segments(paragraphs: Sequence[Paragraph | None]) -> Iterator[list[Paragraph]]:
    segment: list[Paragraph] = []
    for paragraph in paragraphs:
        if paragraph is None:
            yield segment
            segment = []
        else:
            segment.append(paragraph)
    yield segment


def _title_like(paragraph: Paragraph) -> bool:
    text = paragraph.text
    return not (
        is_prose(text) or join_link(text) or looks_like_time(text) or len(text) > _MAX_TITLE
    )


def _titles_lead(segment: list[Paragraph], times: list[int]) -> bool:
    """A summary list: title, time, title, time, … with sentences (or nothing) after it."""
    if len(times) < 2 or times[0] == 0 or any(b - a != 2 for a, b in pairwise(times)):
        return False
    after = times[-1] + 1
    ends = after >= len(segment) or is_prose(segment[after].text)
    return ends and all(_title_like(segment[i - 1]) for i in times)


def _with_day(segment: list[Paragraph], i: int, title: str) -> Candidate:
    """The candidate for the time at ``i``, under the day heading above it if it names no date."""
    when = segment[i].text
    heading = next(
        (
            p
            for p in reversed(segment[:i])
            if is_day_heading(p.text) and not looks_like_time(p.text)
        ),
        None,
    )
    if heading is None or names_a_date(when):
        return Candidate(segment[i].number, title, when)
    return Candidate(segment[i].number, title, when, day=heading.text, day_line=heading.number)


def _trailing_block(segment: list[Paragraph], i: int, end: int, found: Found) -> None:
    members = segment[i + 1 : end]
    if members and end < len(segment) and members[-1].text.endswith(":"):
        members = members[:-1]  # it introduces the next block
    links = [(p, target) for p in members if (target := join_link(p.text)) is not None]
    texts = [p for p in members if join_link(p.text) is None]
    head = _leading(texts, prose=False)
    prose = _leading(texts[len(head) :], prose=True)
    if not head and prose and len(prose[0].text) <= _MAX_TITLE:
        head, prose = prose[:1], prose[1:]
    if not head:
        found.report.append(
            unplaced(segment[i].number, f'the session at "{segment[i].text}": no title after it')
        )
        return
    candidate = _with_day(segment, i, head[-1].text)
    organizers = ", ".join(p.text for p in head[:-1]) or None
    description = "\n\n".join(p.text for p in prose) or None
    join_url = None
    for paragraph, target in links[:1]:
        join_url = web_address(target)
        if join_url is None:
            found.report.append(_link_note(paragraph.number, target))
    found.candidates.append(
        replace(candidate, organizer=organizers, description=description, join_url=join_url)
    )


def _leading(paragraphs: Sequence[Paragraph], *, prose: bool) -> list[Paragraph]:
    """The paragraphs at the start of ``paragraphs`` that are (or are not) prose."""
    run: list[Paragraph] = []
    for paragraph in paragraphs:
        if is_prose(paragraph.text) != prose:
            break
        run.append(paragraph)
    return run


def _link_note(line: int, target: str) -> ReportLine:
    return note(line, f'the join link points to "{target}", not a web address; join_url left out')
