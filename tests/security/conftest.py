"""Fixtures for the security suite.

- ``wire``: sends a message through one real email channel and returns the bytes it put on the
  wire or on disk (the SMTP server and reminders are the channel suite's fixtures, imported).
- ``api``/``setup``: the API suite's app with real parts; ``guarded``: the same app's setup with
  the real webhook address guard and an explicit signing secret, not started (a test may change
  its settings first); ``served``/``client``: that app started.
- ``outbox_workspace``: ``notifier`` commands and daemons as processes, mailing to the file
  outbox; every process is ended after the test, pass or fail.
- ``tally``: counts, per class of hostile input, how many were tried and refused; the table is
  printed at the end of the run (``pytest tests/security -q``), and every test asserts that
  none got through.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifier.channels import ReminderMessage, SmtpChannel
from notifier.channels.outbox import OutboxChannel
from notifier.events import Event
from tests.api.conftest import api, events, setup  # noqa: F401  # fixtures, used by name
from tests.channels.conftest import (  # noqa: F401  # fixtures, used by name
    _collect_garbage,
    make_channel,
    make_message,
    start_smtp,
)
from tests.e2e.conftest import receiver, smtp, workspace  # noqa: F401  # fixtures, by name
from tests.security.wire import Wire
from tests.support.api import Api, AppSetup, serve_api
from tests.support.daemon import Workspace
from tests.support.processes import Children
from tests.support.reminders import PUBLIC_BASE_URL, SENDER
from tests.support.smtp import SmtpServer
from tests.support.tally import Tally


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
        return self._server.handler.received[-1].content


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


with warnings.catch_warnings():
    # Starlette 1.x warns once, at import, when it finds httpx 0.x instead of httpx2: only this
    # import is excused (the same filter as tests/api/conftest.py)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

_TALLY = Tally()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TALLY.counts:
        terminalreporter.section("security report: hostile inputs")
        for line in _TALLY.lines():
            terminalreporter.write_line(line)


@pytest.fixture
def tally() -> Tally:
    """The run's tally: record each hostile input and whether it was refused."""
    return _TALLY


@pytest.fixture
def guarded(tmp_path: Path, events: Mapping[str, Event]) -> AppSetup:  # noqa: F811
    """The app's setup with the real webhook address guard, not started: a test may change its
    settings first."""
    return AppSetup(
        tmp_path,
        events,
        organizer_token=None,
        ssrf_guard=True,
        signing_secret="security-tests-signing-secret-32-bytes-long",  # noqa: S106
    )


@pytest.fixture
def served(guarded: AppSetup) -> Iterator[Api]:
    """The guarded app started in a TestClient (in process); closed, store and all, after."""
    with serve_api(guarded) as started:
        yield started


@pytest.fixture
def client(served: Api) -> TestClient:
    return served.client


@pytest.fixture
def outbox_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace whose processes mail to the file outbox; every process started in it is
    ended afterwards (SIGTERM, then SIGKILL), pass or fail."""
    settings = {
        "PYTHONDONTWRITEBYTECODE": "1",  # a file-size limit must hit only what we test
        "NOTIFIER_EMAIL_BACKEND": "file",
        "NOTIFIER_CONFIG_DEBOUNCE_MS": "50",
    }
    with Children() as children:
        yield Workspace.create(tmp_path, settings, children)
