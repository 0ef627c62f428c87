"""Fixtures for the security tests: the API with real parts, and the report's tally.

The tally counts, per class of hostile input, how many were tried and how many refused; the
table is printed at the end of the run (``pytest tests/security -q``), and every test asserts
that none got through.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifier.events import Event
from tests.security.input_support import (
    PUBLIC_BASE_URL,
    Clock,
    ServedApp,
    Tally,
    api_settings,
    example_events,
)

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


@pytest.fixture(scope="session")
def events() -> dict[str, Event]:
    """The repository's example events, loaded as the service loads them."""
    return example_events()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(tmp_path: Path, events: dict[str, Event], clock: Clock) -> ServedApp:
    """The app, not started yet: a test may change its settings first."""
    return ServedApp(api_settings(tmp_path), events, clock)


@pytest.fixture
def client(served: ServedApp) -> Iterator[TestClient]:
    """The app started in a TestClient (in process); closed, store and all, after the test."""
    with TestClient(served, base_url=PUBLIC_BASE_URL) as started:
        yield started
