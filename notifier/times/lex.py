"""Split a listing time expression into tokens, keeping each one's column.

Normalisation keeps the text's length, so a column here is a column in what the organizer
wrote: dashes of every kind become ``-``, markdown emphasis and odd spaces become spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notifier.times.zones import LONG_NAMES

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_BLANKS = str.maketrans({c: " " for c in "*\u00a0\u2009\u202f\t\r\n"})

_LONG_NAME = "|".join(sorted((re.escape(n) for n in LONG_NAMES), key=len, reverse=True))

_TOKEN = re.compile(
    rf"""
     (?P<paren>\([^()]*\))
    |(?P<isodate>\d{{4}}-\d{{2}}-\d{{2}})(?!\d)
    |(?P<offset>\b(?:UTC|GMT)\s*[+-]\s*\d{{1,2}}(?::?\d{{2}})?)(?![\d:])
    |(?P<iana>\b[A-Za-z]+(?:[_-][A-Za-z]+)*(?:/[A-Za-z0-9_+-]+)+)
    |(?P<longname>\b(?:{_LONG_NAME})\b)
    |(?P<ordinal>\b\d{{1,2}}(?:st|nd|rd|th)\b)
    |(?P<year>\b\d{{4}}\b)
    |(?P<clock>\b(?P<hour>\d{{1,2}})(?:[:.](?P<minute>\d{{2}}))?(?!\d)
        (?:\s*(?P<mer>[ap])\.?\s?m\b\.?)?)
    |(?P<word>[A-Za-z]+)
    |(?P<dash>-)
    |(?P<sep>[,:;./])
    |(?P<space>\s+)
    |(?P<other>.)
    """,
    # ASCII: with plain IGNORECASE, "ſ" matches "s" and "ı" matches "i", and the words found
    # would not be the keys the tables hold
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True)
class Token:
    """One piece of an expression: its kind, its text and where it starts."""

    kind: str
    text: str
    column: int
    hour: int | None = None
    minute: int | None = None
    meridiem: str | None = None

    @property
    def bare_number(self) -> bool:
        """A clock token that could be a day of the month (``23`` in ``23 May``)."""
        return self.kind == "clock" and self.minute is None and self.meridiem is None


def normalise(text: str) -> str:
    """Same length as ``text``: one dash, one kind of space, no markdown stars."""
    return text.translate(_DASHES).translate(_BLANKS)


def tokenize(text: str, base_column: int = 0) -> list[Token]:
    """Tokens of ``text`` without spaces; columns are offsets into the original text."""
    tokens = []
    for match in _TOKEN.finditer(normalise(text)):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        column = base_column + match.start()
        if kind == "clock":
            minute = match["minute"]
            mer = match["mer"]
            tokens.append(
                Token(
                    kind,
                    match[0],
                    column,
                    hour=int(match["hour"]),
                    minute=int(minute) if minute is not None else None,
                    meridiem=mer.lower() + "m" if mer else None,
                )
            )
        else:
            tokens.append(Token(kind, match[0], column))
    return tokens
