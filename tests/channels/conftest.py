"""Channel fixtures: scripted SMTP servers, a webhook receiver, and channels pointed at them.

The servers and builders are in ``tests/support`` (``smtp``, ``webhooks``, ``reminders``);
these fixtures start them for one test and close the channels before the servers stop.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from notifier.channels import ReminderMessage, SmtpChannel
from notifier.channels.webhook import WebhookChannel
from tests.support.reminders import (
    reminder_message,
    smtp_channel,
    webhook_channel,
    webhook_reminder_message,
)
from tests.support.smtp import Certificates, SmtpServer, start_smtp_server
from tests.support.webhooks import Receiver, serve_receiver


@pytest.fixture
def start_smtp(certificates: Certificates) -> Iterator[Callable[..., SmtpServer]]:
    """Start scripted servers: plain, ``starttls=True``, ``implicit_tls=True``, ``auth=True``."""
    servers: list[SmtpServer] = []

    def start(
        *, starttls: bool = False, implicit_tls: bool = False, auth: bool = False
    ) -> SmtpServer:
        server = start_smtp_server(
            starttls=certificates.server if starttls else None,
            implicit_tls=certificates.server if implicit_tls else None,
            auth=auth,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp: Callable[..., SmtpServer]) -> SmtpServer:
    return start_smtp()


@pytest.fixture
async def make_channel(
    start_smtp: Callable[..., SmtpServer],
) -> AsyncIterator[Callable[..., SmtpChannel]]:
    """SmtpChannels for a server, closed (QUIT) before the servers stop."""
    channels: list[SmtpChannel] = []

    def make(server: SmtpServer, **overrides: Any) -> SmtpChannel:
        where: dict[str, Any] = {"host": server.host, "port": server.port}
        channel = smtp_channel(**(where | overrides))
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        await channel.aclose()


@pytest.fixture
def make_message() -> Callable[..., ReminderMessage]:
    """A reminder for the CCPCJ session; keywords override the registration and the timing."""
    return reminder_message


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real aiohttp webhook receiver on 127.0.0.1, port 0."""
    async with serve_receiver() as served:
        yield served


@pytest.fixture
async def make_webhook_channel() -> AsyncIterator[Callable[..., WebhookChannel]]:
    """WebhookChannels allowed to reach loopback unless ``allowed`` says otherwise; closed after."""
    channels: list[WebhookChannel] = []

    def make(**overrides: Any) -> WebhookChannel:
        channel = webhook_channel(**overrides)
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        await channel.aclose()


@pytest.fixture
def make_webhook_message() -> Callable[..., ReminderMessage]:
    """The CCPCJ reminder for a webhook-only registration posting to the given URL."""
    return webhook_reminder_message


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect after each test, so a leaked socket fails the test that leaked it."""
    yield
    gc.collect()
