"""How the parts of a listing look: time lines, day headings, time cells, prose, join links.

These only recognise; :mod:`notifier.times` decides what a time means. A line that looks
like a time but does not parse is reported, never taken for a title.
"""

from __future__ import annotations

import difflib
import re

from notifier.times.parse import FILLERS, MONTHS, RANGE_WORDS, SPECIAL_TIMES, WEEKDAYS
from notifier.times.zones import ABBREVIATIONS, LONG_NAMES, UTC_NAMES

_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*[ap]\.?\s?m\b|\b(?:noon|midnight)\b", re.I)
_WORD = re.compile(r"[A-Za-z]+")
_TIME_WORDS = frozenset(
    {*MONTHS, *WEEKDAYS, *FILLERS, *RANGE_WORDS, *SPECIAL_TIMES}
    | {"a", "p", "m", "am", "pm", "st", "nd", "rd", "th"}
    | {name.lower() for name in (*ABBREVIATIONS, *UTC_NAMES)}
    | {word for name in LONG_NAMES for word in name.split()}
)
_MAX_TIME_LINE = 160

_DAY_HEADING = re.compile(
    r"^[\s*#_]*(?P<weekday>[A-Za-z]+)\s*,?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]+)"
    r"(?:,?\s+\d{4})?\s*(?:\(\s*continued\s*\))?[\s*_]*$",
    re.IGNORECASE,
)
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_CLOCK_CELL = r"(?:\d{1,2}(?:[.:]\d{2})?|noon|midday|midnight)\s*(?:[ap]\.?\s?m\b\.?)?"
_TIME_CELL = re.compile(
    rf"{_CLOCK_CELL}(?:\s*(?:[-\u2010-\u2015\u2212]|to|until|till)\s*{_CLOCK_CELL})?",
    re.IGNORECASE,
)

_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*$")
_LONG_TEXT = 250
_MARKUP = re.compile(r"\*\*|__|^\s*#{1,6}\s+")
_MD_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\((?P<target>[^)\s]*)\)")
_BARE_URL = re.compile(r"https?://\S+")
_JOIN_LABEL = re.compile(r"join|zoom|webex|teams|meet|watch|live|stream|register|link", re.I)
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+\S*")


def strip_markup(text: str) -> str:
    """``text`` without Markdown emphasis and heading marks, and without outer spaces."""
    return _MARKUP.sub("", text).strip()


def squash(text: str) -> str:
    """Runs of spaces, tabs and newlines as one space."""
    return " ".join(text.split())


def looks_like_time(text: str) -> bool:
    """A short line with a clock time whose words are mostly dates, times and zones."""
    if len(text) > _MAX_TIME_LINE or not _CLOCK.search(text):
        return False
    words = _WORD.findall(text)
    known = sum(word.lower() in _TIME_WORDS for word in words)
    return 2 * known >= len(words)


def is_day_heading(text: str) -> bool:
    """``MONDAY, 14 OCTOBER`` or ``Tuesday 15 October (continued)``; a misspelt weekday too,
    so that the heading is reported rather than skipped."""
    match = _DAY_HEADING.match(text)
    if match is None or match["month"].lower() not in MONTHS:
        return False
    weekday = match["weekday"].lower()
    return weekday in WEEKDAYS or bool(difflib.get_close_matches(weekday, _WEEKDAY_NAMES, 1, 0.7))


def is_time_cell(text: str) -> bool:
    """A programme row's first column: ``1–1.50 p.m.``, ``10 a.m.–1 p.m.``, ``9–9:50 a.m.``."""
    return _TIME_CELL.fullmatch(text.strip()) is not None


def is_prose(text: str) -> bool:
    """A sentence or more: a description, not a title, an organizer or a heading."""
    return len(text) > _LONG_TEXT or _SENTENCE_END.search(text.strip()) is not None


def join_link(text: str) -> str | None:
    """The target of a paragraph that is only a join link (``[Click here to join](…)``)."""
    stripped = strip_markup(text)
    match = _MD_LINK.fullmatch(stripped)
    if match is not None and _JOIN_LABEL.search(match["label"]):
        return match["target"]
    return stripped if _BARE_URL.fullmatch(stripped) else None


def web_address(target: str | None) -> str | None:
    """``target`` if it is an http(s) address a participant can open; ``#`` is not."""
    return target if target and _WEB_ADDRESS.fullmatch(target) else None


def names_a_date(text: str) -> bool:
    """Whether ``text`` writes a month (``23 May``) or an ISO date, not only a time."""
    return bool(re.search(r"\d{4}-\d{2}-\d{2}", text)) or any(
        word.lower() in MONTHS for word in _WORD.findall(text)
    )
