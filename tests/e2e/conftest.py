"""The service as a real process: ``notifier run`` in a subprocess, a real SMTP server here.

Time is controlled by scheduling reminders a few seconds ahead and by waiting for what the
daemon logs or the servers receive, never by sleeping. The subprocesses get their settings as
environment variables (this process's own environment is never edited); STARTTLS is trusted
through SSL_CERT_FILE pointing at the test CA. Every process a test starts is ended after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Workspace
from tests.support.processes import Children
from tests.support.smtp import PASSWORD, USERNAME, Certificates, SmtpServer, start_smtp_server
from tests.support.webhooks import Receiver, serve_receiver_in_thread


@pytest.fixture
def smtp(certificates: Certificates) -> Iterator[SmtpServer]:
    """A scripted SMTP server requiring STARTTLS, then AUTH, on a free loopback port."""
    server = start_smtp_server(starttls=certificates.server, auth=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workspace(tmp_path: Path, smtp: SmtpServer, certificates: Certificates) -> Iterator[Workspace]:
    """SQLite store, SMTP over STARTTLS with AUTH, fast retries (tests may add a Redis URL).

    Every process started in it is ended afterwards (SIGTERM, then SIGKILL), pass or fail.
    """
    settings = {
        "NOTIFIER_SMTP_HOST": smtp.host,
        "NOTIFIER_SMTP_PORT": str(smtp.port),
        "NOTIFIER_SMTP_TLS": "starttls",
        "NOTIFIER_SMTP_USERNAME": USERNAME,
        "NOTIFIER_SMTP_PASSWORD": PASSWORD,
        "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
        "NOTIFIER_RETRY_BASE_S": "0.2",
        "NOTIFIER_CONFIG_DEBOUNCE_MS": "100",
        "NOTIFIER_SIGNING_SECRET": "e2e-signing-secret-of-32-bytes-or-more",
        "SSL_CERT_FILE": str(certificates.ca_file),
    }
    with Children() as children:
        yield Workspace.create(tmp_path, settings, children)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real aiohttp webhook receiver on loopback, served from a thread of its own."""
    with serve_receiver_in_thread() as served:
        yield served
