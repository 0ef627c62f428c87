"""Turn found candidates into an event config: resolve every time once, merge, name, slug.

Every ``when`` and ``day`` stays the listing's text; each is resolved here with the same
context the config loader will use (event zone and year), so what validates here validates
there. A candidate whose time does not resolve is reported with its line and left out.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from notifier.errors import TimeExpressionError
from notifier.listing.model import Candidate, ReportLine, note, unplaced
from notifier.times import Issue, ResolvedTime, TimeContext, parse_day, parse_when

_STOP_WORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "in", "its", "of", "on", "or", "the", "to"}
)
_SLUG_WORDS = 6
_SLUG_CHARS = 48
_SAME_TITLE = 0.75
_PARENTHESES = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Placed:
    """A candidate whose time resolved; instants are UTC, ``day`` is the date as written
    (in the zone its time is written in, as the loader checks it against the event's dates)."""

    candidate: Candidate
    start_utc: datetime
    end_utc: datetime | None
    day: date
    warnings: tuple[Issue, ...] = ()


def place(
    candidate: Candidate, zone: str | None, year: int | None, today: date | None
) -> Placed | ReportLine:
    """Resolve a candidate's ``day`` and ``when`` as the loader will, or say why not."""
    try:
        day = (
            parse_day(candidate.day, TimeContext(year=year, today=today)) if candidate.day else None
        )
    except TimeExpressionError as exc:
        return unplaced(
            candidate.line,
            f'{_what(candidate)}: its day heading "{candidate.day}" (line {candidate.day_line}) '
            f"does not read as a date: {exc.message} [{exc.code}]",
        )
    try:
        resolved = resolve(candidate, zone, year, day, today)
    except TimeExpressionError as exc:
        return unplaced(candidate.line, f"{_what(candidate)}: {exc.message} [{exc.code}]")
    end = resolved.end.astimezone(UTC) if resolved.end else None
    start = resolved.start
    return Placed(candidate, start.astimezone(UTC), end, start.date(), resolved.warnings)


def resolve(
    candidate: Candidate, zone: str | None, year: int | None, day: date | None, today: date | None
) -> ResolvedTime:
    return parse_when(candidate.when, TimeContext(zone=zone, year=year, day=day, today=today))


def _what(candidate: Candidate) -> str:
    return f'"{_shorten(candidate.title)}" at "{candidate.when}"'


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def merge_repeats(placed: list[Placed]) -> tuple[list[Placed], list[ReportLine]]:
    """One session per (start, end, title): a summary list and its detailed blocks agree."""
    kept: list[Placed] = []
    notes: list[ReportLine] = []
    for item in placed:
        twin = next((k for k in kept if _same_session(k, item)), None)
        if twin is None:
            kept.append(item)
            continue
        kept[kept.index(twin)] = replace(twin, candidate=twin.candidate.merged_with(item.candidate))
        notes.append(
            note(item.candidate.line, f"the same session as line {twin.candidate.line}; merged")
        )
    return kept, notes


def drop_envelopes(placed: list[Placed]) -> tuple[list[Placed], list[ReportLine]]:
    """A dated time followed by an agenda inside it ("4 September 2020, 15:00-17:00", then
    "14:45 – 15:00: Welcome coffee", …) is the event's own span, not one more session: the
    agenda rows, which took their day from it, are the sessions."""
    kept: list[Placed] = []
    notes: list[ReportLine] = []
    for item in placed:
        inside = [
            other
            for other in placed
            if other.candidate.day_line == item.candidate.line
            and other is not item
            and _overlaps(item, other)
        ]
        if item.candidate.dated and item.end_utc is not None and len(inside) >= 2:
            lines = ", ".join(str(other.candidate.line) for other in inside)
            notes.append(
                note(
                    item.candidate.line,
                    f'"{item.candidate.when}" is the time of the whole event; its programme (lines '
                    f"{lines}) gives the sessions",
                )
            )
            continue
        kept.append(item)
    return kept, notes


def _overlaps(outer: Placed, inner: Placed) -> bool:
    end = outer.end_utc or outer.start_utc
    inner_end = inner.end_utc or inner.start_utc
    return inner.start_utc < end and inner_end > outer.start_utc


def _same_session(a: Placed, b: Placed) -> bool:
    if (a.start_utc, a.end_utc) != (b.start_utc, b.end_utc):
        return False
    ratio = difflib.SequenceMatcher(None, _comparable(a), _comparable(b)).ratio()
    return ratio >= _SAME_TITLE


def _comparable(placed: Placed) -> str:
    text = _PARENTHESES.sub(" ", placed.candidate.title).casefold()
    words = re.findall(r"\w+", text)
    return " ".join(words[1:] if words[:1] == ["the"] else words)


def slugify(text: str, taken: set[str], fallback: str) -> str:
    """A short unique id: the first significant words, ASCII, hyphenated."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", "").replace("’", ""))
    significant = [word for word in words if word not in _STOP_WORDS][:_SLUG_WORDS]
    base = ""
    for word in significant:
        if base and len(base) + 1 + len(word) > _SLUG_CHARS:
            break
        base = f"{base}-{word}" if base else word[:_SLUG_CHARS]
    base = base or fallback
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    taken.add(slug)
    return slug


def session_entry(placed: Placed, slug: str) -> dict[str, Any]:
    """The session as the config file writes it; empty keys are left out."""
    c = placed.candidate
    entry: dict[str, Any] = {
        "id": slug,
        "title": c.title,
        "description": c.description,
        "organizer": c.organizer,
        "day": c.day,
        "when": c.when,
        "join_url": c.join_url,
        "room": c.room,
        "mode": "online" if c.online else "hybrid",
    }
    if c.deadline:
        entry["kind"] = "deadline"
        del entry["mode"]
    return {key: value for key, value in entry.items() if value is not None}
