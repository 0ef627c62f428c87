"""How the parts of a listing look: prose, join links, rooms, labels, titles.

These only recognise text; :mod:`notifier.times` decides what a time means. A line that holds
a time that does not parse is reported, never taken for a title.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*$")
_SENTENCE_INSIDE = re.compile(r"\w{3,}[.!?]\s+[A-Z“\"]")
_LONG_TEXT = 250
_JOIN_LABEL = re.compile(r"join|zoom|webex|teams|meet|watch|live|stream|register|link", re.I)
_BARE_URL = re.compile(r"https?://\S+")
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+\S*")
_ORGANIZED_BY = re.compile(r"(?:^|\s+|\()organi[sz]ed by\s*:?\s+", re.IGNORECASE)
_ROOM_START = re.compile(
    r"^(?:(?:conference|meeting|board|press briefing|side event)\s*room|boardroom|room|hall|salle|"
    r"sala|cr)\s+[A-Z0-9][\w./-]*(?:,\s*[A-Z][\w-]*(?:-Building)?)?",
    re.IGNORECASE,
)
_ROOM_WORD = re.compile(
    r"\b(?:room|hall|salle|sala|chamber|auditorium|ballroom|building|floor)\b", re.IGNORECASE
)
_ONLINE = re.compile(r"^(?:online|virtual|virtual meeting|online only|web|zoom|webex)$", re.I)
_ONLINE_TEXT = re.compile(
    r"\b(?:online|virtual)\s+(?:event|webinar|session|meeting|only|format)\b|\bwebinar\b"
    r"|\bvia\s+(?:zoom|webex|teams)\b|\bfully virtual\b",
    re.IGNORECASE,
)
_NO_ROOM = frozenset({"tba", "tbc", "tbd", "to be announced", "to be confirmed", "n/a", "-"})
_EDGE = " \t:;,|•·*–—-/"


def is_prose(text: str) -> bool:
    """A sentence or more: a description, not a title, an organizer or a heading."""
    stripped = text.strip()
    return len(stripped) > _LONG_TEXT or (
        _SENTENCE_END.search(stripped) is not None and len(stripped.split()) > 3
    )


def is_title_like(text: str, limit: int = 200) -> bool:
    """Short, not a sentence, with letters: a title, a heading, an organizer or a room."""
    stripped = text.strip()
    return (
        bool(re.search(r"[^\W\d_]{2}", stripped))
        and len(stripped) <= limit
        and not is_prose(stripped)
        and not stripped.endswith(":")
    )


def join_target(label: str, target: str) -> str | None:
    """The target of a link that is a join link (``Click here to join``, a Zoom link)."""
    return target if _JOIN_LABEL.search(label) or _JOIN_LABEL.search(target) else None


def bare_url(text: str) -> str | None:
    stripped = text.strip()
    return stripped if _BARE_URL.fullmatch(stripped) else None


def web_address(target: str | None) -> str | None:
    """``target`` if it is an http(s) address a participant can open; ``#`` is not."""
    return target if target and _WEB_ADDRESS.fullmatch(target) else None


def squash(text: str) -> str:
    """Runs of spaces, tabs and newlines as one space."""
    return " ".join(text.split())


def clean_title(text: str) -> str:
    """A title without the separators, bullets and colon the layout put around it."""
    return squash(text).strip(_EDGE).strip()


def split_organizer(text: str) -> tuple[str, str | None]:
    """``TITLE Organized by X`` as (title, organizer)."""
    title, *rest = _ORGANIZED_BY.split(text, maxsplit=1)
    return clean_title(title), (clean_title(rest[0]) or None) if rest else None


def room_at_start(text: str) -> str | None:
    """``Conference Room M2 The joint side event…`` starts with a room: its name."""
    match = _ROOM_START.match(text.strip())
    return match[0] if match else None


def is_room_line(text: str) -> bool:
    """A line that is only a room's name: ``Conference Room 6``, ``Boardroom B``, ``Hall A``."""
    room = room_at_start(text)
    return room is not None and squash(room) == squash(text).rstrip(" .")


def names_a_room(text: str) -> bool:
    """``Plenary Hall, M-Building``, ``Plenary meetings – Room XX``: a room heading."""
    return _ROOM_WORD.search(text) is not None and is_title_like(text, 80)


def is_online(text: str | None) -> bool:
    return bool(text) and _ONLINE.match(squash(text or "")) is not None


def says_online(text: str | None) -> bool:
    """A description that says the session itself is online (``This online webinar …``)."""
    return bool(text) and _ONLINE_TEXT.search(text or "") is not None


def no_room(text: str) -> bool:
    return squash(text).casefold() in _NO_ROOM


def sentence_inside(text: str) -> bool:
    return _SENTENCE_INSIDE.search(text) is not None
