"""Fault scenarios: a real SMTP server (scripted), real stores, real Redis processes, and a
workspace for ``notifier run`` processes. The counts each scenario asserts are the ones
docs/reliability.md prints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from notifier.channels import SmtpChannel
from tests.jobs.conftest import mail_server  # noqa: F401  # the fixture, used by name
from tests.support.daemon import Workspace
from tests.support.processes import Children
from tests.support.reminders import smtp_channel as make_smtp_channel
from tests.support.smtp import SmtpServer

SIGNING_SECRET = "f" * 48


@pytest.fixture
def fault_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """Outbox email, a fast catch-up pass; the test adds its Redis URL and HTTP port."""
    settings = {
        "NOTIFIER_EMAIL_BACKEND": "file",
        "NOTIFIER_SIGNING_SECRET": SIGNING_SECRET,
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
        "NOTIFIER_CONFIG_DEBOUNCE_MS": "50",
    }
    with Children() as children:
        yield Workspace.create(tmp_path, settings, children)


@pytest.fixture
async def smtp_channel(mail_server: SmtpServer) -> AsyncIterator[SmtpChannel]:  # noqa: F811
    """The real SMTP channel on ``mail_server``: 4 connections, a short reply timeout."""
    channel = make_smtp_channel(mail_server.host, mail_server.port, pool_size=4, timeout_s=1.0)
    try:
        yield channel
    finally:
        await channel.aclose()
