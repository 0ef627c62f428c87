"""OutboxChannel: reminders as .eml files, written atomically, the same bytes SMTP carries."""

from __future__ import annotations

import email
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest

from notifier.channels import OutboxChannel, ReminderMessage, SmtpChannel
from notifier.errors import SettingsError, TransientDeliveryError
from tests.support.reminders import PUBLIC_BASE_URL, SENDER
from tests.support.smtp import SmtpServer

MakeMessage = Callable[..., ReminderMessage]


def _outbox(folder: Path) -> OutboxChannel:
    return OutboxChannel(folder, sender=SENDER, public_base_url=PUBLIC_BASE_URL)


async def test_a_reminder_becomes_one_eml_named_by_time_and_key(
    tmp_path: Path, make_message: MakeMessage
) -> None:
    """Sorted by name is sorted by time, and the key hash ties a file to its delivery."""
    message = make_message(now_utc=datetime(2023, 5, 23, 6, 10, 5, tzinfo=UTC))
    receipt = await _outbox(tmp_path).send(message)
    digest = hashlib.sha256(message.delivery_key.encode()).hexdigest()[:12]
    assert receipt == str(tmp_path / f"20230523T061005Z-{digest}.eml")
    parsed = email.message_from_bytes(Path(receipt).read_bytes(), policy=policy.default)
    assert parsed["To"] == "participant@example.org"
    assert parsed["Subject"].endswith("— starts in 1 hour")


async def test_no_temporary_files_are_left_behind(
    tmp_path: Path, make_message: MakeMessage
) -> None:
    """A reader polling the folder must only ever see whole .eml files."""
    outbox = _outbox(tmp_path)
    for i in range(3):
        await outbox.send(make_message(registration_id=f"r{i}"))
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".eml"] * 3


async def test_a_missing_outbox_folder_is_created(
    tmp_path: Path, make_message: MakeMessage
) -> None:
    """A fresh install should not fail its first reminder over an absent folder."""
    receipt = await _outbox(tmp_path / "var" / "outbox").send(make_message())
    assert Path(receipt).is_file()


async def test_an_unwritable_outbox_is_transient(tmp_path: Path, make_message: MakeMessage) -> None:
    """A full or misplaced disk can be fixed by ops; the fan-out should retry, not drop."""
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(TransientDeliveryError, match="NOTIFIER_OUTBOX"):
        await _outbox(blocker / "inner").send(make_message())


def test_a_bad_sender_fails_at_construction(tmp_path: Path) -> None:
    """The embedded default should refuse to start rather than write unusable mail."""
    with pytest.raises(SettingsError, match="NOTIFIER_SMTP_SENDER"):
        OutboxChannel(tmp_path, sender="reminders\r\nBcc: x@y.org", public_base_url=PUBLIC_BASE_URL)


async def test_the_eml_is_byte_for_byte_what_the_smtp_server_received(
    tmp_path: Path,
    smtp_server: SmtpServer,
    make_channel: Callable[..., SmtpChannel],
    make_message: MakeMessage,
) -> None:
    """A newcomer previewing the outbox must see exactly what participants will get."""
    message = make_message()
    receipt = await _outbox(tmp_path).send(message)
    await make_channel(smtp_server).send(message)
    (envelope,) = smtp_server.handler.received
    assert Path(receipt).read_bytes() == envelope.content
