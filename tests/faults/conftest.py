"""Fault scenarios: a real SMTP server (scripted), real stores, real Redis processes.

The counts each scenario asserts are the ones docs/reliability.md prints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from notifier.channels import SmtpChannel
from tests.support.reminders import smtp_channel as make_smtp_channel
from tests.support.smtp import SmtpServer, start_smtp_server


@pytest.fixture
def mail_server() -> Iterator[SmtpServer]:
    """A plain scripted SMTP server on a free loopback port."""
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def smtp_channel(mail_server: SmtpServer) -> AsyncIterator[SmtpChannel]:
    """The real SMTP channel on ``mail_server``: 4 connections, a short reply timeout."""
    channel = make_smtp_channel(mail_server.host, mail_server.port, pool_size=4, timeout_s=1.0)
    try:
        yield channel
    finally:
        await channel.aclose()
