"""Programme tables: day headings, then one row per session with time, title and venue.

Layout (b), the CrimeCOP12 programme::

    Vienna, 14–18 October 2024
    MONDAY, 14 OCTOBER
    Plenary Hall, M-Building                       <- venue for rows that name none
    10 a.m.–1 p.m.<TAB>Item 1 (a). Opening of the session …
    1–1.50 p.m.<TAB>GUARDIANS OF THE EARTH … Organized by United Arab Emirates<TAB>CR3
    1–1.50 p.m.<TAB>COUNTERING … Organized by …<TAB>Meeting ID: 813 … Passcode: …<TAB>Online

Rows are split on tabs (or, without a tab, on runs of two or more spaces). The last column
after the title is the venue; columns between hold notes such as meeting IDs, kept as the
session's description. The row's time and its day heading are kept as written (``when`` and
``day``). Titles keep the listing's capitals: a gazetteer would be needed to tell UKRAINE'S
and TIP/SOM from ordinary words, and a wrong guess is worse than shouting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from notifier.listing.model import Candidate, Found, unplaced
from notifier.listing.patterns import (
    is_day_heading,
    is_prose,
    is_time_cell,
    looks_like_time,
    squash,
    strip_markup,
    web_address,
)
from notifier.listing.text import Line

_COLUMN_HEADERS = frozenset(
    {"venue", "room", "location", "time", "title", "event", "side events", "programme", "program"}
)
_MAX_VENUE = 60
_ORGANIZED_BY = re.compile(r"\s+organi[sz]ed by\s+", re.IGNORECASE)
_SPACED_COLUMNS = re.compile(r"\s{2,}")


@dataclass
class _Section:
    """Where the rows below a heading are: their day heading, and a venue heading if any."""

    day: Line | None = None
    venue: str | None = None


def read_programme(lines: Sequence[Line]) -> tuple[Found, set[int]]:
    """Every programme row, and the indexes of the heading and row lines it used."""
    found = Found()
    claimed: set[int] = set()
    if not any(row_cells(line.text) for line in lines):
        return found, claimed
    section = _Section()
    for index, line in enumerate(lines):
        text = squash(strip_markup(line.text))
        if not text:
            continue
        if is_day_heading(text) and "\t" not in line.text:
            section = _Section(day=Line(line.number, text))
            claimed.add(index)
        elif (cells := row_cells(line.text)) is not None:
            claimed.add(index)
            _add_row(line.number, cells, section, found)
        elif section.day is not None and _is_venue_heading(text):
            section.venue = text
    return found, claimed


def row_cells(text: str) -> list[str] | None:
    """The columns of a programme row, or None if ``text`` is not one."""
    tabbed = "\t" in text
    parts = text.split("\t") if tabbed else _SPACED_COLUMNS.split(text.strip())
    cells = [squash(part) for part in parts if part.strip()]
    if len(cells) < 2:
        return None
    # a tabbed line that starts with a number is a row even when its time is broken, so that
    # it is reported ("25–26.90 p.m.") instead of vanishing
    if is_time_cell(cells[0]) or (tabbed and cells[0][0].isdigit()):
        return cells
    return None


def _is_venue_heading(text: str) -> bool:
    """``Plenary Hall, M-Building``: short, not a sentence, a column header or a hashtag."""
    return (
        len(text) <= _MAX_VENUE
        and text.casefold() not in _COLUMN_HEADERS
        and not text.startswith("#")
        and not is_prose(text)
        and not looks_like_time(text)
    )


def _add_row(number: int, cells: list[str], section: _Section, found: Found) -> None:
    when, body, rest = cells[0], cells[1], cells[2:]
    title, *organizer = _ORGANIZED_BY.split(body, maxsplit=1)
    if section.day is None:
        found.report.append(
            unplaced(number, f'the row "{when}  {_shorten(title)}": no day heading above it')
        )
        return
    links = [cell for cell in rest if web_address(cell)]
    rest = [cell for cell in rest if not web_address(cell)]
    venue = rest[-1] if rest else section.venue
    online = venue is not None and venue.casefold() == "online"
    found.candidates.append(
        Candidate(
            line=number,
            title=title,
            when=when,
            day=section.day.text,
            day_line=section.day.number,
            description="\n".join(rest[:-1]) or None,
            room=None if online else venue,
            online=online,
            organizer=organizer[0] if organizer else None,
            join_url=links[0] if links else None,
        )
    )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
