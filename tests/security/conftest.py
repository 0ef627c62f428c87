"""Fixtures for the wire tests: the channels' real servers and messages, the API, and ``wire``.

The SMTP server, the reminders and the API come from the channel and API suites' conftest
files (imported, so they are the same fixtures); ``wire`` sends a message through one real
channel and returns the bytes that channel put on the wire or on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifier.channels import ReminderMessage, SmtpChannel
from notifier.channels.outbox import OutboxChannel
from tests.api.conftest import api, events, setup  # noqa: F401  # fixtures, used by name
from tests.channels.conftest import (  # noqa: F401  # fixtures, used by name
    PUBLIC_BASE_URL,
    SENDER,
    SmtpServer,
    _collect_garbage,
    make_channel,
    make_message,
    start_smtp,
    tls,
)
from tests.security.wire import Wire


class _OutboxWire(Wire):
    """The file outbox: the ``.eml`` bytes it wrote."""

    def __init__(self, folder: Path, sender: str) -> None:
        self._channel = OutboxChannel(folder, sender=sender, public_base_url=PUBLIC_BASE_URL)

    async def reminder(self, message: ReminderMessage) -> bytes:
        return Path(await self._channel.send(message)).read_bytes()

    async def email(self, message: EmailMessage) -> bytes:
        return Path(await self._channel.send_email(message)).read_bytes()


class _SmtpWire(Wire):
    """The SMTP pool: the DATA bytes a real aiosmtpd server received."""

    def __init__(self, channel: SmtpChannel, server: SmtpServer) -> None:
        self._channel = channel
        self._server = server

    async def reminder(self, message: ReminderMessage) -> bytes:
        await self._channel.send(message)
        return self._received()

    async def email(self, message: EmailMessage) -> bytes:
        await self._channel.send_email(message)
        return self._received()

    def _received(self) -> bytes:
        content = self._server.handler.messages[-1].original_content
        assert content is not None
        return content


@pytest.fixture(params=["outbox", "smtp"])
def wire(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    start_smtp: Callable[..., SmtpServer],  # noqa: F811  # the imported fixture, by name
    make_channel: Callable[..., SmtpChannel],  # noqa: F811
) -> Wire:
    """Each email channel in turn, sending as ``SENDER`` with the test public base URL."""
    if request.param == "outbox":
        return _OutboxWire(tmp_path / "outbox", SENDER)
    server = start_smtp()
    return _SmtpWire(make_channel(server), server)
