"""What a listing says about the whole event: its city and year, and a name for it.

A programme heading such as ``Vienna, 14–18 October 2024`` gives the year and, through a
small table of conference cities, the venue's IANA zone. Without one, the year is the one
the listing's written dates use most (``11 March 2021``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from notifier.listing.lines import Line
from notifier.listing.patterns import is_prose
from notifier.times.vocab import MONTHS

# Cities that host the conferences these listings come from; --zone covers the rest.
CITY_ZONES = {
    "abu dhabi": "Asia/Dubai",
    "addis ababa": "Africa/Addis_Ababa",
    "baku": "Asia/Baku",
    "bangkok": "Asia/Bangkok",
    "berlin": "Europe/Berlin",
    "bonn": "Europe/Berlin",
    "brussels": "Europe/Brussels",
    "cairo": "Africa/Cairo",
    "doha": "Asia/Qatar",
    "dubai": "Asia/Dubai",
    "geneva": "Europe/Zurich",
    "kyoto": "Asia/Tokyo",
    "lisbon": "Europe/Lisbon",
    "london": "Europe/London",
    "madrid": "Europe/Madrid",
    "nairobi": "Africa/Nairobi",
    "new york": "America/New_York",
    "palermo": "Europe/Rome",
    "paris": "Europe/Paris",
    "rome": "Europe/Rome",
    "salvador": "America/Bahia",
    "santiago": "America/Santiago",
    "the hague": "Europe/Amsterdam",
    "tokyo": "Asia/Tokyo",
    "vienna": "Europe/Vienna",
    "washington": "America/New_York",
}
# page furniture that is not the event's name
_CHROME = frozenset(
    {
        "event details",
        "add to google calendar",
        "add to calendar",
        "programme",
        "program",
        "agenda",
        "side events",
        "venue",
        "share",
        "register",
    }
)
_MAX_NAME = 120

_HEADING = re.compile(
    r"^\s*(?P<city>[^\W\d][\w .'’-]*?)\s*,\s*(?P<days>\d{1,2}(?:\s*[-–—]\s*\d{1,2})?)"
    r"\s+(?P<month>[A-Za-z]+)\s+(?P<year>\d{4})\s*$"
)
_DATED = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>(?:19|20|21)\d{2})\b"
    r"|\b(?P<month2>[A-Za-z]+)\s+\d{1,2}(?:st|nd|rd|th)?,\s+(?P<year2>(?:19|20|21)\d{2})\b"
)


@dataclass(frozen=True)
class Heading:
    """A ``City, 14–18 October 2024`` line; ``zone`` is None for a city not in the table."""

    line: int
    text: str
    city: str
    year: int
    zone: str | None


@dataclass(frozen=True)
class Facts:
    """What the listing as a whole says: a heading, the year its dates use, a name."""

    heading: Heading | None = None
    year: int | None = None
    name: tuple[int, str] | None = None


def read_facts(lines: Sequence[Line], first_session: int | None, page_name: str | None) -> Facts:
    """The facts of a listing; the name comes from the page (``<h1>``/``<title>``) or the
    first heading-like line above the first session (``first_session``, a line number)."""
    heading = next(filter(None, (_heading(line.number, line.text) for line in lines)), None)
    years: Counter[int] = Counter()
    for line in lines:
        for match in _DATED.finditer(line.text):
            month = (match["month"] or match["month2"]).lower()
            if month in MONTHS:
                years[int(match["year"] or match["year2"])] += 1
    year = heading.year if heading else (years.most_common(1)[0][0] if years else None)
    where = f" ({heading.text})" if heading else ""
    if page_name:
        return Facts(heading, year, (1, page_name + where))
    return Facts(heading, year, _name(lines, first_session, where))


def _heading(number: int, text: str) -> Heading | None:
    match = _HEADING.match(text)
    if match is None or match["month"].lower() not in MONTHS:
        return None
    city = match["city"].strip()
    return Heading(number, text.strip(), city, int(match["year"]), CITY_ZONES.get(city.lower()))


def _name(lines: Sequence[Line], first_session: int | None, where: str) -> tuple[int, str] | None:
    """A Markdown heading, else the first heading-like line, above the first session."""
    above = [
        line
        for line in lines
        if (first_session is None or line.number < first_session) and _name_like(line.text)
    ]
    chosen = next((line for line in above if line.heading), above[0] if above else None)
    return (chosen.number, chosen.text + where) if chosen else None


def _name_like(text: str) -> bool:
    return (
        bool(text.strip())
        and len(text) <= _MAX_NAME
        and text.casefold() not in _CHROME
        and not names_a_date(text)
        and not is_prose(text)
        and re.search(r"[^\W\d_]{3}", text) is not None
    )


def names_a_date(text: str) -> bool:
    """Whether ``text`` writes a month name or an ISO date."""
    return bool(re.search(r"\d{4}-\d{2}-\d{2}", text)) or any(
        word.lower() in MONTHS for word in re.findall(r"[A-Za-z]+", text)
    )
