"""Real parts for the fan-out tests: a scripted SMTP server and the real SMTP channel on it.

The server is ``tests/support/smtp``'s, scripted per recipient by each test ("451 …" transient,
"550 …" permanent, "stall"); the events, registrations and clock come from ``tests/support``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from notifier.channels import SmtpChannel
from tests.support.reminders import smtp_channel as make_smtp_channel
from tests.support.smtp import SmtpServer, start_smtp_server


@pytest.fixture
def mail_server() -> Iterator[SmtpServer]:
    """A plain SMTP server (aiosmtpd) on a free loopback port, scripted through its handler."""
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def smtp_channel(mail_server: SmtpServer) -> AsyncIterator[SmtpChannel]:
    """The real SMTP channel against ``mail_server``, closed (QUIT) before the server stops.

    Its pool is larger than any fan-out's concurrency here, so the pool never hides a missing
    bound in the fan-out itself.
    """
    channel = make_smtp_channel(mail_server.host, mail_server.port, pool_size=16)
    try:
        yield channel
    finally:
        await channel.aclose()
