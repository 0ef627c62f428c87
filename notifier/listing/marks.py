"""What the scan finds on each line: a session's time (:class:`Slot`) and the line's kind
(:class:`Mark`), and the small tests every stage shares (a clock, a date, letters)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notifier.listing.lines import Line
from notifier.times.lex import tokenize
from notifier.times.vocab import MONTHS, SPECIAL_TIMES

TIME_WORDS = frozenset({"time", "times", "hour", "hours", "when", "start", "timing", "hora"})

ROOM_WORDS = frozenset({"location", "venue", "room", "rooms", "place", "where", "lieu", "sala"})

SKIP_WORDS = frozenset({"code", "no", "no.", "#", "id", "ref"})

HEADER_WORDS = (
    TIME_WORDS
    | ROOM_WORDS
    | SKIP_WORDS
    | frozenset(
        {"date", "day", "event", "events", "title", "session", "sessions", "activity", "topic"}
        | {"speaker", "speakers", "organizer", "organizers", "programme", "program", "agenda"}
        | {"details", "description", "format", "side events", "meeting", "actividad"}
    )
)


@dataclass(frozen=True)
class Slot:
    """One session's time on a line: ``when`` as written, ``day`` a date written before it on
    the same line, ``rest`` the line's other text (running text) or ``cells`` (a row, with
    their column numbers), ``dated`` when ``when`` names its own date."""

    when: str
    dated: bool
    rest: str = ""
    cells: tuple[tuple[int, str], ...] = ()
    day: str | None = None
    aside: str = ""  # "Plenary Hall" of "Title (Plenary Hall, 10 a.m. – 1 p.m.)"


@dataclass(frozen=True)
class Mark:
    """A line and what it is: blank, text, heading, day, anchor, header, timeless-row,
    time-text (a time-like span that is no session) or page-header."""

    index: int
    line: Line
    kind: str
    slots: tuple[Slot, ...] = ()
    day: str | None = None
    spans: tuple[str, ...] = ()
    headers: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return self.line.text


def has_clock(span: str) -> bool:
    return any(
        (t.kind == "clock" and not t.bare_number)
        or (t.kind == "word" and t.text.lower() in SPECIAL_TIMES)
        for t in tokenize(span)
    )


def has_letters(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None


def has_date(span: str) -> bool:
    return any(
        t.kind in ("isodate", "numdate", "dashdate", "ordinal")
        or (t.kind == "word" and t.text.lower() in MONTHS)
        for t in tokenize(span)
    )
