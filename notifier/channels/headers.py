"""Headers as mail programs read them: structured ones unencoded, text ones encoded safely.

Python's email package folds a header longer than a line by cutting it into RFC 2047
encoded-words, structured headers too (python/cpython#85725): ``List-Unsubscribe:
=?utf-8?q?=3Chttps=3A//…?=`` hides the URL from one-click unsubscribe (RFC 8058). Its folder can
also write an empty encoded-word (``=?utf-8?q??=``) and glue two words together by dropping
the space between encoded-words (python/cpython#144156), for example in the Subject of the
CrimeCOP12 example sessions. So the headers we write fold themselves, only at whitespace:

- a structured value (``<url>``, ``<list-id>``) is never encoded; a token longer than a line
  stays whole (RFC 5322 allows lines of up to 998 octets);
- text (Subject, a display name) keeps its ASCII words as they are and puts each run of words
  that need encoding (with the spaces inside the run) into base64 encoded-words of at most
  75 characters, none empty, cut between characters, so every space survives decoding.

Each header is a ``str`` holding the decoded value (what ``message[name]`` reads) that folds
itself: the email package calls ``fold()`` whichever policy serialises the message (the
outbox's ``as_bytes()``, aiosmtplib's ``policy.SMTP``), so every path writes the same bytes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from email import errors as email_errors
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy

from notifier.errors import PermanentDeliveryError

# RFC 5322 2.1.1: lines SHOULD stay within 78 characters and MUST within 998
_HARD_LIMIT = 998
# RFC 2047 2: an encoded-word is at most 75 characters; "=?utf-8?b?" + "?=" leave 63, and
# base64 turns each 3 bytes into 4 characters: 45 bytes of UTF-8 per word
_EW_BYTES = 45
# a bare ASCII address in its most common form: dot-atom letters, digits, "._+-" before the @,
# LDH labels after it; the email package reads it as written, and IDNA leaves it as it is
PLAIN_ADDRESS = re.compile(
    r"(?P<local>[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@(?P<domain>[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)"
)


class WireHeader(str):
    """A header value (decoded, as code reads it) that writes its own folded, 7-bit form."""

    name: str
    units: tuple[str, ...]

    def __new__(cls, name: str, value: str, units: Iterable[str]) -> WireHeader:
        header = super().__new__(cls, value)
        header.name = name
        header.units = tuple(units)
        return header

    def __getnewargs__(self) -> tuple[str, str, tuple[str, ...]]:  # type: ignore[override]
        # copy.deepcopy and pickle rebuild a str subclass from these
        return (self.name, str(self), self.units)

    def fold(self, *, policy: Policy) -> str:
        """``Name: unit unit`` in lines of at most ``policy.max_line_length``, folded at spaces."""
        limit = policy.max_line_length or _HARD_LIMIT
        lines = [f"{self.name}:"]
        fresh = True  # no unit on this line yet: a long unit goes here rather than alone below
        for unit in self.units:
            if not fresh and len(lines[-1]) + 1 + len(unit) > limit:
                lines.append("")
            lines[-1] += f" {unit}"
            fresh = False
        if any(len(line) > _HARD_LIMIT for line in lines):
            raise PermanentDeliveryError(
                f"the {self.name} header has a word longer than {_HARD_LIMIT} characters; "
                "shorten it (a URL: a shorter NOTIFIER_PUBLIC_BASE_URL)"
            )
        return policy.linesep.join(lines) + policy.linesep


def parse_mailbox(text: str, what: str) -> Address:
    """One ASCII address (IDN domains as punycode), or :class:`PermanentDeliveryError`."""
    if plain := PLAIN_ADDRESS.fullmatch(text):
        # most addresses: what the email package's parser would return, at 1/50 of its cost
        return Address(username=plain["local"], domain=plain["domain"])
    if any(ch in text for ch in "\r\n\0") or not text.strip():
        raise PermanentDeliveryError(f"{what} is empty or holds a line break; fix the address")
    try:
        header = email_policy.default.header_factory("to", text)
        found = header.addresses[0] if len(header.addresses) == 1 else None
        domain = found.domain.encode("idna").decode("ascii") if found else ""
    except (email_errors.HeaderParseError, IndexError, UnicodeError, ValueError) as exc:
        raise PermanentDeliveryError(f"{what} is not a valid email address") from exc
    if found is None or header.defects or not found.username or "." not in domain:
        raise PermanentDeliveryError(
            f"{what} is not a valid email address; write one address like name@example.org"
        )
    return Address(
        display_name=" ".join(found.display_name.split()), username=found.username, domain=domain
    )


def structured(name: str, value: str) -> WireHeader:
    """A header whose words must reach the reader as written: ``<url>``, a token."""
    if not value.isascii() or not value.isprintable():
        raise PermanentDeliveryError(
            f"the {name} header may hold printable ASCII only, not {value!r}; "
            "percent-encode a URL, punycode a domain"
        )
    return WireHeader(name, value, value.split())


def text(name: str, value: str) -> WireHeader:
    """An unstructured header (Subject): ASCII words as they are, runs of others encoded."""
    words = value.split()
    units: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:  # "" ends the last run
        if word and _needs_encoding(word):
            run.append(word)
            continue
        if run:  # one run, spaces inside: the spaces between encoded-words are not shown
            units.extend(_encoded_words(" ".join(run)))
            run = []
        if word:
            units.append(word)
    return WireHeader(name, " ".join(words), units)


def list_id(list_name: str, list_label: str, domain: str) -> WireHeader:
    """``List-Id: "The event" <event-id.example.org>`` (RFC 2919)."""
    words = list_name.split()
    label = structured("List-Id", f"<{list_label}.{domain}>")
    if not words:
        return label
    return WireHeader("List-Id", f'"{" ".join(words)}" {label}', (*_phrase(words), *label.units))


def mailbox(name: str, address: Address) -> WireHeader:
    """``From: "Display name" <user@example.org>``, the display name quoted or encoded."""
    words = address.display_name.split()
    spec = structured(name, f"<{address.addr_spec}>")
    if not words:
        return WireHeader(name, address.addr_spec, (address.addr_spec,))
    return WireHeader(name, str(address), (*_phrase(words), *spec.units))


def set_list_headers(
    message: EmailMessage, *, event_id: str, event_name: str, domain: str, unsubscribe_url: str
) -> None:
    """What mail programs need to file and unsubscribe: RFC 2919, 2369, 8058 and 3834."""
    message["List-Id"] = list_id(event_name, event_id, domain)
    message["List-Unsubscribe"] = structured("List-Unsubscribe", f"<{unsubscribe_url}>")
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"


def _needs_encoding(word: str) -> bool:
    return not (word.isascii() and word.isprintable()) or "=?" in word


def _phrase(words: list[str]) -> list[str]:
    """A display name: one quoted-string if it is ASCII (folded at its spaces), else encoded.

    Never a mix: an encoded-word may not stand inside quotes (RFC 2047 5).
    """
    if any(_needs_encoding(word) for word in words):
        return _encoded_words(" ".join(words))
    escaped = [word.replace("\\", "\\\\").replace('"', '\\"') for word in words]
    escaped[0] = '"' + escaped[0]
    escaped[-1] += '"'  # the same word as the first when there is one
    return escaped


def _encoded_words(value: str) -> list[str]:
    """``=?utf-8?b?…?=`` words of at most 45 bytes, never empty, cut after a space if one fits.

    A cut inside a word is correct (the space between encoded-words is not shown), but some
    parsers show one there anyway (Python's in display names): cut after a space, they show
    two spaces instead of splitting a word. A word longer than 45 bytes is cut between
    characters, never inside one (RFC 2047 5).
    """
    chunks = [""]
    for piece in re.findall(r"[^ ]+ ?| ", value):  # each word with the space after it
        for part in piece if _utf8_len(piece) > _EW_BYTES else [piece]:
            if chunks[-1] and _utf8_len(chunks[-1] + part) > _EW_BYTES:
                chunks.append("")
            chunks[-1] += part
    return [f"=?utf-8?b?{_b64(chunk)}?=" for chunk in chunks if chunk]


def _utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")
