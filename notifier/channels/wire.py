"""Reminder emails as wire bytes, composed once per variant and filled in per participant.

Composing a reminder with the email package and icalendar costs milliseconds, and in one
fan-out most of it is the same for every participant who shares a zone, language and
attendance (:class:`~notifier.channels.compose.Variant`): the bodies, the ``.ics`` with its
VTIMEZONE, the MIME skeleton. So the first participant of a variant is composed in full by
:func:`~notifier.channels.compose.compose_email_parts`, with placeholders where participants
differ, and flattened; the bytes are cut at the placeholders. Every later participant gets those
bytes with their own recipient, links (unsubscribe, manage page), Message-ID (and boundaries),
Date and DTSTAMP put back, each written by the same code the full composer uses (the policy's
header folding, the email package's quoted-printable and base64 encoders), so the bytes are the
full composer's.

A skeleton is trusted only if every placeholder is found where expected and the parts encode
back to what the email package wrote; otherwise that variant is composed in full each time.
"""

from __future__ import annotations

import binascii
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from email import policy, quoprimime
from email.headerregistry import Address

from markupsafe import escape

from notifier.channels import headers
from notifier.channels.base import ReminderMessage
from notifier.channels.compose import (
    compose_email_parts,
    format_date,
    format_dtstamp,
    safe_link,
    variant_key,
)
from notifier.channels.headers import PLAIN_ADDRESS, parse_mailbox
from notifier.errors import PermanentDeliveryError

_POLICY = policy.SMTP  # what aiosmtplib and the outbox flatten with: SMTP line endings
_CRLF = b"\r\n"
_MAX_LINE = _POLICY.max_line_length or 78  # what set_content encodes bodies to
_SHORT = _MAX_LINE - len("To: ")  # a bare address this long fits the To line unfolded
# enough for every zone x language x attendance of a large event and a few fan-outs at once
DEFAULT_MAX_VARIANTS = 512


@dataclass(frozen=True)
class WireEmail:
    """One reminder ready for SMTP: the envelope and the exact bytes of the message."""

    sender: str  # envelope MAIL FROM: the From address
    recipient: str  # envelope RCPT TO: the To address
    message_id: str
    data: bytes


@dataclass(frozen=True)
class _Skeleton:
    """A variant's bytes cut at the slots, and its bodies with the placeholder links."""

    literals: tuple[bytes, ...]  # one more than slots
    slots: tuple[str, ...]  # which value goes between literals[i] and literals[i + 1]
    # the bodies a line at a time, quoted-printable: encoded once, or (a line that holds a
    # link) the text to fill in and encode per participant
    text_lines: tuple[bytes | str, ...]
    html_lines: tuple[bytes | str, ...]
    calendar: bytes
    dtstamp_line: bytes  # the calendar's DTSTAMP line, replaced per participant
    link: str  # the placeholder unsubscribe URL
    manage_link: str | None  # the placeholder manage-page URL (None: the variant has none)


class WireComposer:
    """Composes reminders to wire bytes, reusing each variant's skeleton (bounded, LRU)."""

    def __init__(
        self, *, sender: str, public_base_url: str, max_variants: int = DEFAULT_MAX_VARIANTS
    ) -> None:
        self._sender, self._public_base_url = sender, public_base_url
        self._sender_address = parse_mailbox(sender, "the sender (NOTIFIER_SMTP_SENDER)")
        self._max_variants = max_variants
        # None: that variant did not cut cleanly, so it is composed in full every time
        self._skeletons: OrderedDict[Hashable, _Skeleton | None] = OrderedDict()
        # the last calendar attachment written per skeleton: it changes only with DTSTAMP's
        # second, so participants sent within one second share its base64
        self._calendars: dict[int, tuple[_Skeleton, bytes, bytes]] = {}

    def compose(self, message: ReminderMessage) -> WireEmail | None:
        """The reminder's bytes, or None where only the full composer can write them (a
        non-ASCII address needs SMTPUTF8, which changes how headers are written)."""
        recipient = parse_mailbox(message.registration.email or "", "the registration's email")
        if not recipient.addr_spec.isascii():
            return None
        link = safe_link(message.unsubscribe_url)
        if link is None:
            raise PermanentDeliveryError("the unsubscribe link is not an absolute http(s) URL")
        skeleton = self._skeleton(message)
        if skeleton is None:
            return None
        digest = hashlib.sha256(message.delivery_key.encode()).hexdigest()
        values = self._values(
            message, skeleton, recipient, link, digest, safe_link(message.manage_url)
        )
        pieces = [skeleton.literals[0]]
        for slot, literal in zip(skeleton.slots, skeleton.literals[1:], strict=True):
            pieces += (values[slot], literal)
        message_id = f"<{digest}@{self._sender_address.domain}>"
        return WireEmail(
            self._sender_address.addr_spec, recipient.addr_spec, message_id, b"".join(pieces)
        )

    def _values(
        self,
        message: ReminderMessage,
        skeleton: _Skeleton,
        recipient: Address,
        link: str,
        digest: str,
        manage_link: str | None,
    ) -> dict[str, bytes]:
        stamp_line = b"DTSTAMP:" + format_dtstamp(message.now_utc) + _CRLF
        unsubscribe = headers.structured("List-Unsubscribe", f"<{link}>")
        text_links, html_links = _links(skeleton, link, manage_link)
        return {
            "to": _to_line(recipient),
            # fixed width, so only digits change: the skeleton's check proves the format
            "date": b"Date: " + format_date(message.now_utc).encode("ascii") + _CRLF,
            "digest": digest.encode("ascii"),
            "boundary": digest[:40].encode("ascii"),
            "unsubscribe": unsubscribe.fold(policy=_POLICY).encode("ascii"),
            "text": _fill_lines(skeleton.text_lines, text_links),
            "html": _fill_lines(skeleton.html_lines, html_links),
            "calendar": self._calendar(skeleton, stamp_line),
        }

    def _calendar(self, skeleton: _Skeleton, stamp_line: bytes) -> bytes:
        """The attachment's base64, reused while DTSTAMP stays on the same second."""
        last = self._calendars.get(id(skeleton))
        if last is not None and last[0] is skeleton and last[1] == stamp_line:
            return last[2]
        encoded = _base64(skeleton.calendar.replace(skeleton.dtstamp_line, stamp_line))
        if len(self._calendars) > self._max_variants:
            self._calendars.clear()  # skeletons the LRU let go: no longer asked for
        # the entry holds its skeleton, so no other skeleton can take its id meanwhile
        self._calendars[id(skeleton)] = (skeleton, stamp_line, encoded)
        return encoded

    def _skeleton(self, message: ReminderMessage) -> _Skeleton | None:
        key = variant_key(message)
        if key in self._skeletons:
            self._skeletons.move_to_end(key)
            return self._skeletons[key]
        skeleton = self._cut(message)
        self._skeletons[key] = skeleton
        if len(self._skeletons) > self._max_variants:
            self._skeletons.popitem(last=False)
        return skeleton

    def _cut(self, message: ReminderMessage) -> _Skeleton | None:
        """Compose the variant in full with placeholders, and cut its bytes at them."""
        marker = secrets.token_hex(16)  # nothing a participant wrote can contain it by chance
        base = self._public_base_url.rstrip("/")
        link = f"{base}/unsubscribe/{marker}"
        # per participant too, when the variant has one (variant_key tells the two apart)
        manage_link = f"{base}/manage/{marker}" if safe_link(message.manage_url) else None
        registration = replace(message.registration, email=f"x{marker}@example.org")
        placeholder = replace(
            message,
            delivery_key=marker,
            registration=registration,
            unsubscribe_url=link,
            manage_url=manage_link,
        )
        parts = compose_email_parts(
            placeholder, sender=self._sender, public_base_url=self._public_base_url
        )
        placeholders = (link, manage_link) if manage_link else (link,)
        text_lines = _encode_lines(parts.text, placeholders)
        html_lines = _encode_lines(parts.html, placeholders)
        skeleton = _Skeleton((), (), text_lines, html_lines, parts.calendar, b"", link, manage_link)
        recipient = parse_mailbox(registration.email or "", "the placeholder")
        digest = hashlib.sha256(marker.encode()).hexdigest()
        stamp_line = b"DTSTAMP:" + format_dtstamp(message.now_utc) + _CRLF
        if parts.calendar.count(stamp_line) != 1:
            return None
        skeleton = replace(skeleton, dtstamp_line=stamp_line)
        found = self._values(placeholder, skeleton, recipient, link, digest, manage_link)
        return _split(parts.message.as_bytes(policy=_POLICY), found, skeleton)


# how often each slot's placeholder must appear in a variant's bytes: boundaries twice per
# multipart (its header and at least one delimiter); everything else exactly once
_EXPECTED = {"boundary": 2}


def _split(data: bytes, found: dict[str, bytes], skeleton: _Skeleton) -> _Skeleton | None:
    """Cut ``data`` at every slot's placeholder value, or None if one is missing or ambiguous.

    The digest placeholder is searched as ``<digest@``, the boundary as ``_<40 hex>"`` or
    ``_<40 hex>\\r\\n`` or ``_<40 hex>--``: where the email package wrote them.
    """
    places: list[tuple[int, int, str]] = []
    for slot, value in found.items():
        start, count = data.find(value), data.count(value)
        if slot == "boundary":
            count -= data.count(found["digest"])  # the digest begins with the boundary part
            count = count if count >= _EXPECTED["boundary"] else 0
        if count < 1 or (slot != "boundary" and count != 1):
            return None
        while start != -1:
            places.append((start, start + len(value), slot))
            start = data.find(value, start + len(value))
    places.sort(key=lambda place: (place[0], -place[1]))  # the digest before its prefix
    literals, slots, at = [], [], 0
    for start, end, slot in places:
        if start < at:
            if slot == "boundary":
                continue  # the boundary part inside the digest already cut there
            return None
        literals.append(data[at:start])
        slots.append(slot)
        at = end
    literals.append(data[at:])
    return replace(skeleton, literals=tuple(literals), slots=tuple(slots))


_Links = list[tuple[str, str]]


def _links(skeleton: _Skeleton, link: str, manage_link: str | None) -> tuple[_Links, _Links]:
    """(placeholder, this participant's link) for the text and the HTML body (escaped there
    as Jinja2's autoescape writes it)."""
    text, html = [(skeleton.link, link)], [(skeleton.link, str(escape(link)))]
    if skeleton.manage_link is not None and manage_link is not None:
        text.append((skeleton.manage_link, manage_link))
        html.append((skeleton.manage_link, str(escape(manage_link))))
    return text, html


def _encode_lines(body: str, placeholders: tuple[str, ...]) -> tuple[bytes | str, ...]:
    """``body`` a line at a time as :func:`_quoted_printable` cuts it: each line encoded, or
    kept as text where it holds a placeholder (a link, filled in per participant).

    Quoted-printable encodes each line on its own (soft breaks never cross a line end), so
    joining the lines' encodings with CRLF gives the encoding of the whole body.
    """
    lines: list[bytes | str] = []
    for raw in body.encode("utf-8").splitlines():
        line = raw.decode("utf-8")  # split at CR/LF only: each piece is whole UTF-8
        lines.append(line if any(p in line for p in placeholders) else _quoted_printable(line))
    return tuple(lines)


def _fill_lines(lines: tuple[bytes | str, ...], links: _Links) -> bytes:
    """The body's quoted-printable bytes with this participant's links filled in."""
    encoded = []
    for line in lines:
        if isinstance(line, str):
            for placeholder, value in links:
                line = line.replace(placeholder, value)
            line = _quoted_printable(line)
        encoded.append(line)
    return _CRLF.join(encoded)


def _to_line(recipient: Address) -> bytes:
    """``To: name@example.org``; a short bare address needs no folding, the rest go through
    the policy (display names, encoded-words, long lines)."""
    spec = recipient.addr_spec
    if not recipient.display_name and len(spec) <= _SHORT and PLAIN_ADDRESS.fullmatch(spec):
        return b"To: " + spec.encode("ascii") + _CRLF
    return _header_line("To", recipient)


def _header_line(name: str, value: object) -> bytes:
    """The header as the email package writes it when it flattens the message."""
    name, parsed = _POLICY.header_store_parse(name, value)
    return _POLICY.fold_binary(name, parsed)


def _quoted_printable(text: str) -> bytes:
    """A body as ``set_content(text, cte="quoted-printable")`` and the generator write it."""
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    encoded = quoprimime.body_encode(body.decode("latin-1"), _MAX_LINE)
    return _CRLF.join(encoded.encode("ascii").splitlines())


def _base64(data: bytes) -> bytes:
    """An attachment as ``add_attachment(data)`` and the generator write it: 57-byte lines."""
    per_line = _MAX_LINE // 4 * 3
    chunks = (data[i : i + per_line] for i in range(0, len(data), per_line))
    return _CRLF.join(binascii.b2a_base64(chunk, newline=False) for chunk in chunks)
