"""Reading mail as bytes, the way a receiving program meets it: header lines, encoded-words.

Nothing here parses a message back with Python's email package for the headers: that package
is the one that wrote the broken headers, and it reads back what it wrote. Only the calendar
attachment is taken out with it, to be read by two independent calendar libraries (vobject
and ics), neither of them the icalendar package that writes it.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import quopri
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import ics
import vobject

from notifier.channels import ReminderMessage

# RFC 2047 2: =?charset?encoding?encoded-text?=; the text may be empty only in a broken word
ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=")
LINE_LIMIT = 78  # RFC 5322 2.1.1: SHOULD
HARD_LIMIT = 998  # RFC 5322 2.1.1: MUST


class Wire(ABC):
    """One email channel, sending for real; each call returns the bytes it sent."""

    @abstractmethod
    async def reminder(self, message: ReminderMessage) -> bytes: ...

    @abstractmethod
    async def email(self, message: EmailMessage) -> bytes: ...


def header_block(raw: bytes) -> bytes:
    """The header section: every byte before the first empty line (CRLF line endings)."""
    head, separator, _ = raw.partition(b"\r\n\r\n")
    assert separator, "no CRLF CRLF after the headers: not SMTP line endings"
    return head + b"\r\n"


def header_lines(raw: bytes, name: str) -> list[bytes]:
    """The physical lines of the one top-level header ``name``: its first line and folds."""
    found: list[list[bytes]] = []
    for line in header_block(raw).split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            if found and found[-1]:
                found[-1].append(line)
            continue
        field = line.partition(b":")[0].decode("ascii")
        found.append([line] if field.lower() == name.lower() else [])
    matches = [lines for lines in found if lines]
    assert len(matches) == 1, f"{name}: {len(matches)} headers"
    return matches[0]


def unfolded_value(raw: bytes, name: str) -> bytes:
    """The header's value with folds undone (RFC 5322 2.2.3: drop each CRLF before a space)."""
    lines = header_lines(raw, name)
    value = b"".join(lines).partition(b":")[2]
    return value[1:] if value.startswith(b" ") else value


def decode_words(value: bytes) -> str:
    """RFC 2047 decoding, written out: adjacent encoded-words join without their spaces."""
    pieces: list[tuple[bool, str]] = []
    for token in re.split(rb"([ \t]+)", value):
        match = ENCODED_WORD.fullmatch(token)
        if match:
            pieces.append((True, _decode_word(match)))
        elif token:
            pieces.append((False, token.decode("ascii")))
    text = ""
    for i, (_, piece) in enumerate(pieces):
        between_words = piece.isspace() and 0 < i < len(pieces) - 1
        if between_words and pieces[i - 1][0] and pieces[i + 1][0]:
            continue  # RFC 2047 6.2: whitespace between two encoded-words is not shown
        text += piece
    return text


def _decode_word(match: re.Match[bytes]) -> str:
    charset, encoding, payload = (part.decode("ascii") for part in match.groups())
    assert payload, f"empty encoded-word {match.group(0)!r}"
    if encoding.lower() == "b":
        data = base64.b64decode(payload, validate=True)
    else:
        data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=True)
    return data.decode(charset)


def problems_in_header_block(raw: bytes) -> list[str]:
    """What a strict reader would trip on: 8-bit bytes, long lines, broken encoded-words."""
    block = header_block(raw)
    found = []
    if not block.isascii():
        found.append("8-bit bytes in the headers")
    for line in block.split(b"\r\n")[:-1]:
        words = line if line[:1] in (b" ", b"\t") else line.partition(b":")[2]
        foldable = len(words.split()) > 1
        if len(line) > HARD_LIMIT or (len(line) > LINE_LIMIT and foldable):
            # past 78 only for one unbreakable word (a URL, a Message-ID), never past 998
            found.append(f"line of {len(line)} characters: {line[:60]!r}…")
    for match in ENCODED_WORD.finditer(block):
        word = match.group(0)
        if not match.group(3):
            found.append(f"empty encoded-word {word!r}")
        elif len(word) > 75:
            found.append(f"encoded-word of {len(word)} characters")
        else:
            try:
                _decode_word(match)
            except (binascii.Error, UnicodeDecodeError, LookupError) as exc:
                found.append(f"undecodable encoded-word {word!r}: {exc}")
    return found


def calendar_text(raw: bytes) -> str:
    """The ``text/calendar`` attachment's text (taken out with the email package)."""
    return _part(raw, "text/calendar")


def plain_text(raw: bytes) -> str:
    """The ``text/plain`` body, quoted-printable decoded."""
    return _part(raw, "text/plain")


def _part(raw: bytes, content_type: str) -> str:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    for part in parsed.walk():
        if part.get_content_type() == content_type and isinstance(part, EmailMessage):
            content = part.get_content()
            return content.decode("utf-8") if isinstance(content, bytes) else str(content)
    raise AssertionError(f"no {content_type} part")


@dataclass(frozen=True)
class CalendarReading:
    """What one calendar library made of the event in an ``.ics`` file."""

    start: datetime
    end: datetime | None
    location: str | None
    url: str | None


def read_with_vobject(text: str) -> CalendarReading:
    """vobject: zones from the file's own VTIMEZONE, as Outlook reads them.

    vobject keeps the first VTIMEZONE it met for each TZID for the rest of the process, so
    each file is read as a fresh reader would: with only the built-in UTC registered.
    """
    tzids: dict[str, object] = vars(vobject.icalendar)["__tzidMap"]
    for tzid in [name for name in tzids if name != "UTC"]:
        del tzids[tzid]
    event = vobject.readOne(text).vevent
    contents: dict[str, list[Any]] = event.contents

    def value(name: str) -> Any:
        found = contents.get(name)
        return found[0].value if found else None

    return CalendarReading(
        _aware(value("dtstart")), _aware_or_none(value("dtend")), value("location"), value("url")
    )


def read_with_ics(text: str) -> CalendarReading:
    """ics (ics-py): zones from the TZID's IANA name, through dateutil."""
    (event,) = ics.Calendar(text).events
    end = _aware(event.end.datetime) if event.has_end() else None
    return CalendarReading(_aware(event.begin.datetime), end, event.location, event.url)


def _aware(value: object) -> datetime:
    assert isinstance(value, datetime), value
    assert value.utcoffset() is not None, f"{value} is naive"
    return value


def _aware_or_none(value: object) -> datetime | None:
    return None if value is None else _aware(value)
