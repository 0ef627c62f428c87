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

# First parts of IANA keys: "Europe/Viena" stays one (misspelt) zone name, while "CEST/Geneva"
# and "Paris/Zurich" are two names with a slash between them.
_AREAS = frozenset(
    [
        "africa",
        "america",
        "antarctica",
        "arctic",
        "asia",
        "atlantic",
        "australia",
        "europe",
        "indian",
        "pacific",
        "etc",
        "us",
        "canada",
        "brazil",
        "chile",
        "mexico",
    ]
)
# Long names ("Japanese Standard Time") are merged from word tokens after the scan: one regex
# alternative per name, tried at every position, cost more than the rest of the scan.
_LONG_NAMES = {tuple(name.split()): name for name in LONG_NAMES}
_LONGEST = max(len(words) for words in _LONG_NAMES)
_FIRST_WORDS = frozenset(words[0] for words in _LONG_NAMES)
_MONTH_ABBR = r"jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec"

_TOKEN = re.compile(
    rf"""
     (?P<paren>\((?:[^()]|\([^()]*\))*\))
    |(?P<isodate>\d{{4}}-\d{{2}}-\d{{2}})(?:T(?=\d)|(?!\d))
    |(?P<numdate>\b\d{{1,2}}(?P<numsep>[./])\d{{1,2}}(?P=numsep)\d{{2,4}}\b|\b\d{{1,2}}/\d{{1,2}}\b)
        (?![:.]?\d)
    |(?P<dashdate>\b\d{{1,2}}-(?:{_MONTH_ABBR})-\d{{4}}\b)
    |(?P<offset>\b(?:UTC|GMT)\s*[+-]\s*\d{{1,2}}(?::?\d{{2}})?)(?![\d:])
    |(?P<ordinal>(?:\b|(?<=(?:19|20)\d\d))(?:\d{{1,2}}(?:st|nd|rd|th)|(?:2|3|22|23)d)\b)
    |(?P<year>\b\d{{4}}(?=\b|[A-Za-z]|\d{{1,2}}(?:st|nd|rd|th)\b))
    |(?P<clock>(?:(?<=\dT)|\b)(?P<hour>\d{{1,2}})
        (?:[:.](?P<minute>\d{{2}})(?::(?P<second>\d{{2}}))?|\s?(?P<hmark>h)(?P<hmin>\d{{2}})?(?![a-z]))?
        (?!\d)
        (?:\s*(?P<mer>[ap])\.?\s?m\b\.?|\s?(?P<named>noon|midnight)\b)?)
    |(?P<word>[A-Za-z]+(?P<slash>(?:[_-][A-Za-z]+)*(?:/[A-Za-z0-9_+-]+)+)?)
    |(?P<dash>-)
    |(?P<sep>[,:;./|@])
    |(?P<space>\s+)
    |(?P<other>.)
    """,
    # ASCII: with plain IGNORECASE, "ſ" matches "s" and "ı" matches "i", and the words found
    # would not be the keys the tables hold
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, and tokens are many
class Token:
    """One piece of an expression: its kind, its text and where it starts.

    A clock written European-style (``14h30``, ``9 h``) has ``hour_style``: it is a 24-hour
    clock by convention, like a 4-digit military time (``1600 hrs``).
    """

    kind: str
    text: str
    column: int
    hour: int | None = None
    minute: int | None = None
    meridiem: str | None = None
    second: int | None = None
    named: str | None = None
    hour_style: bool = False

    @property
    def bare_number(self) -> bool:
        """A clock token that could be a day of the month (``23`` in ``23 May``)."""
        return (
            self.kind == "clock"
            and self.minute is None
            and self.meridiem is None
            and self.named is None
            and not self.hour_style
        )


def normalise(text: str) -> str:
    """Same length as ``text``: one dash, one kind of space, no markdown stars."""
    return text.translate(_DASHES).translate(_BLANKS)


def _clock(match: re.Match[str], column: int) -> Token:
    minute = match["minute"] or match["hmin"]
    mer = match["mer"]
    named = match["named"]
    return Token(
        "clock",
        match[0],
        column,
        hour=int(match["hour"]),
        minute=int(minute) if minute is not None else None,
        meridiem=mer.lower() + "m" if mer else None,
        second=int(match["second"]) if match["second"] else None,
        named=named.lower() if named else None,
        hour_style=match["hmark"] is not None,
    )


def tokenize(text: str, base_column: int = 0) -> list[Token]:
    """Tokens of ``text`` without spaces; columns are offsets into the original text."""
    tokens: list[Token] = []
    normal = normalise(text)
    for match in _TOKEN.finditer(normal):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        if kind == "word" and match["slash"]:
            kind = "iana"
        column = base_column + match.start()
        if kind == "clock":
            tokens.append(_clock(match, column))
        elif kind == "isodate":
            tokens.append(Token(kind, match["isodate"], column))
        elif kind == "iana" and match[0].split("/")[0].lower() not in _AREAS:
            tokens += _split_slashes(match[0], column)
        else:
            tokens.append(Token(kind, match[0], column))
    return _merge_long_names(tokens, normal, base_column)


def _merge_long_names(tokens: list[Token], text: str, base_column: int) -> list[Token]:
    merged: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "word" or tokens[i].text.lower() not in _FIRST_WORDS:
            merged.append(tokens[i])
            i += 1
            continue
        for length in range(min(_LONGEST, len(tokens) - i), 0, -1):
            words = tokens[i : i + length]
            key = tuple(t.text.lower() for t in words)
            if all(t.kind == "word" for t in words) and key in _LONG_NAMES:
                end = words[-1].column + len(words[-1].text) - base_column
                name = text[words[0].column - base_column : end]
                merged.append(Token("longname", name, words[0].column))
                i += length
                break
        else:
            merged.append(tokens[i])
            i += 1
    return merged


def _split_slashes(text: str, column: int) -> list[Token]:
    """``CEST/Geneva`` as a zone, a slash and a city."""
    tokens = []
    offset = 0
    for index, part in enumerate(text.split("/")):
        if index:
            tokens.append(Token("sep", "/", column + offset - 1))
        tokens += tokenize(part, column + offset)
        offset += len(part) + 1
    return tokens
