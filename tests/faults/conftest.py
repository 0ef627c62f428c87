"""Fault scenarios: a real SMTP server (scripted), real stores, real Redis processes, and a
workspace for ``notifier run`` processes. The counts each scenario asserts are the ones
docs/reliability.md prints.

Sizes: ``--fault-size=quick`` (the default, what CI runs) or ``--fault-size=full`` (2,000
registrations in each scenario that takes its size from :func:`fault_people`). At the end of
the run the table of counts of every test here is printed; ``--fault-table=PATH`` also writes
it as Markdown (``scripts/faults`` does both).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notifier.channels import SmtpChannel
from tests.jobs.conftest import mail_server  # noqa: F401  # the fixture, used by name
from tests.support.daemon import Workspace
from tests.support.faults import REPORT, SIZES
from tests.support.processes import Children
from tests.support.reminders import smtp_channel as make_smtp_channel
from tests.support.smtp import SmtpServer

SIGNING_SECRET = "f" * 48


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("faults", "fault suite (tests/faults)")
    group.addoption("--fault-size", choices=sorted(SIZES), default="quick", help="scenario size")
    group.addoption("--fault-table", default=None, help="write the table of counts (Markdown)")


def _option(config: pytest.Config, name: str, default: str | None) -> str | None:
    """An option of this conftest; its default when pytest was not started on tests/faults
    (then this conftest is not an initial one and its options are not registered)."""
    try:
        value = config.getoption(name)
    except ValueError:
        return default
    return value if isinstance(value, str) else default


@pytest.fixture(scope="session")
def fault_people(request: pytest.FixtureRequest) -> int:
    """Registrations per scenario: 100 (quick) or 2,000 (full)."""
    return SIZES[_option(request.config, "--fault-size", "quick") or "quick"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """The tallies a test files (``REPORT.add``) go under its id (tests/support/faults.REPORT)."""
    REPORT.current = item.nodeid
    try:
        return (yield)
    finally:
        REPORT.current = ""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.nodeid.startswith("tests/faults/"):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        REPORT.outcomes[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT.outcomes:
        return
    config = terminalreporter.config
    size = _option(config, "--fault-size", "quick") or "quick"
    terminalreporter.section(f"fault suite: counts ({size} size)")
    for line in REPORT.lines():
        terminalreporter.write_line(line)
    table = _option(config, "--fault-table", None)
    if table:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        Path(table).write_text(REPORT.markdown(f"Fault suite, {size} size, {when}"))
        terminalreporter.write_line(f"table written to {table}")


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


@pytest.fixture
async def patient_smtp_channel(mail_server: SmtpServer) -> AsyncIterator[SmtpChannel]:  # noqa: F811
    """The SMTP channel with a 10 s reply deadline: on a loaded CPU a reply a second late must
    not turn a scenario's mail into ``unknown`` (the scenarios that test that use the 1 s one)."""
    channel = make_smtp_channel(mail_server.host, mail_server.port, pool_size=4, timeout_s=10.0)
    try:
        yield channel
    finally:
        await channel.aclose()
