"""Labelled lines: ``Venue: Church Center``, ``Organized by: …``, ``Event: …``, ``Date: …``.

A label names what its value is, so it wins over any guess from layout. Labels are matched
at the start of a line, case-insensitively, with a colon (``Venue:``); ``Organized by`` and a
short ``Location Online`` need none. Unknown labels (``Chair:``, ``Resolution:``) are left to
the description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KINDS = {
    "title": ("event", "title", "session", "topic", "side event", "event title", "panel title"),
    "day": ("date", "day", "dates"),
    "time": ("time", "times", "timing", "when", "hour", "hours"),
    "room": ("venue", "room", "location", "place", "where", "meeting room", "conference room"),
    "organizer": (
        "organized by",
        "organised by",
        "organizer",
        "organizers",
        "organiser",
        "organisers",
        "host",
        "hosts",
        "hosted by",
        "convener",
        "conveners",
        "convened by",
        "sponsor",
        "sponsors",
        "sponsored by",
    ),
    "join": ("join", "link", "zoom", "zoom link", "webex", "webinar link", "meeting link"),
    "mode": ("format", "mode", "modality", "event type"),
}
_BY_WORD = {word: kind for kind, words in _KINDS.items() for word in words}
_LABEL = re.compile(
    r"^[\s•·*-]*(?P<label>[A-Za-z][A-Za-z ]{0,24}?)\s*:\s*(?P<value>.*)$", re.DOTALL
)
_BARE = re.compile(r"^(?P<label>organi[sz]ed by|hosted by|location|venue)\s+(?P<value>\S.*)$", re.I)
_BARE_MAX_WORDS = {"location": 3, "venue": 6}


@dataclass(frozen=True)
class Label:
    """A labelled line: ``kind`` is title, day, time, room, organizer, join or mode."""

    kind: str
    label: str
    value: str


def read_label(text: str) -> Label | None:
    """The label at the start of ``text``, if it is one we know."""
    match = _LABEL.match(text)
    if match is not None:
        kind = _BY_WORD.get(" ".join(match["label"].lower().split()))
        if kind is not None:
            return Label(kind, match["label"].strip(), match["value"].strip())
    bare = _BARE.match(text.strip())
    if bare is None:
        return None
    word = bare["label"].lower()
    limit = _BARE_MAX_WORDS.get(word)
    if limit is not None and len(bare["value"].split()) > limit:
        return None
    kind = _BY_WORD.get(" ".join(word.split()), "organizer")
    return Label(kind, bare["label"], bare["value"].strip())


def strip_label(text: str, kinds: tuple[str, ...] = ("day", "time")) -> str:
    """``text`` without a leading ``Date:``/``Time:`` label."""
    label = read_label(text)
    return label.value if label is not None and label.kind in kinds else text
