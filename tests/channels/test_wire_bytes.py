"""The bytes a reminder puts on the wire do not change when the composer reuses work.

``tests/channels/data/wire/*.eml`` hold what the composer sent before it built anything once per
variant (zone, language, attendance): every path that sends a reminder must still send exactly
those bytes, participant by participant, in one fan-out's order (so later ones reuse parts).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from notifier.channels import OutboxChannel, ReminderMessage, SmtpChannel, compose_email
from tests.support.reminders import PUBLIC_BASE_URL, SENDER
from tests.support.smtp import SmtpServer
from tests.support.wire import WIRE_DIR, wire_bytes, wire_participants

PARTICIPANTS = wire_participants()


def _golden(name: str) -> bytes:
    return (WIRE_DIR / f"{name}.eml").read_bytes()


def test_every_participant_has_its_recorded_bytes() -> None:
    """A fixture without its recording would make the comparisons below vacuous."""
    assert sorted(p.stem for p in WIRE_DIR.glob("*.eml")) == sorted(n for n, _ in PARTICIPANTS)
    assert len({_golden(name) for name, _ in PARTICIPANTS}) == len(PARTICIPANTS)


@pytest.mark.parametrize(("name", "message"), PARTICIPANTS, ids=[n for n, _ in PARTICIPANTS])
def test_compose_email_flattens_to_the_recorded_bytes(name: str, message: ReminderMessage) -> None:
    """The EmailMessage API (tests, the outbox) still describes exactly what is sent."""
    composed = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    assert wire_bytes(composed) == _golden(name)


async def test_smtp_sends_the_recorded_bytes_to_every_participant(
    smtp_server: SmtpServer, make_channel: Callable[..., SmtpChannel]
) -> None:
    """What the SMTP server receives, per recipient, is the recording, byte for byte."""
    channel = make_channel(smtp_server, pool_size=1)
    for _, message in PARTICIPANTS:
        await channel.send(message)
    received = smtp_server.handler.received
    assert len(received) == len(PARTICIPANTS)
    for (name, message), got in zip(PARTICIPANTS, received, strict=True):
        assert message.registration.email is not None
        assert got.rcpt_tos == [got.message["To"].addresses[0].addr_spec]
        assert got.mail_from == "reminders@notifier.example.org"
        assert got.content == _golden(name), name


async def test_the_outbox_writes_the_recorded_bytes(tmp_path: Path) -> None:
    """The embedded default's .eml files are the same bytes SMTP carries."""
    outbox = OutboxChannel(tmp_path, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    for name, message in PARTICIPANTS:
        receipt = await outbox.send(message)
        assert Path(receipt).read_bytes() == _golden(name), name
