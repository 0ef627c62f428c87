"""Reading mail as a participant's client would: parsed messages, their text, their links."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path


def parse_email(data: bytes) -> EmailMessage:
    """Bytes as they crossed the wire (or sit in an .eml file), parsed with the modern policy."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        raise TypeError("the bytes did not parse as an EmailMessage")
    return message


def read_eml(path: Path) -> EmailMessage:
    return parse_email(path.read_bytes())


def read_outbox(folder: Path) -> list[EmailMessage]:
    """Every ``.eml`` the outbox channel wrote, oldest name first."""
    return [read_eml(path) for path in sorted(folder.glob("*.eml"))]


def plain_text(message: EmailMessage) -> str:
    """The text/plain part: what a participant reads first."""
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        raise AssertionError("the email has no text/plain part")
    return str(body.get_content())


def part_bytes(message: EmailMessage, content_type: str) -> bytes:
    """The decoded payload of the first part of ``content_type`` (an attachment's bytes)."""
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise AssertionError(f"the email has no {content_type} part")


def link_in(message: EmailMessage, purpose: str) -> str:
    """The ``…/confirm/<token>`` (or unsubscribe) link in the plain-text part."""
    text = plain_text(message)
    found = re.search(rf"https?://\S+/{purpose}/[A-Za-z0-9_.\-]+", text)
    if found is None:
        raise AssertionError(f"no {purpose} link in:\n{text}")
    return found.group(0)
