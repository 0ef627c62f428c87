"""API fixtures: the app with real parts (``tests/support/api``) started in Starlette's client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from notifier.events import Event
from tests.support.api import Api, AppSetup, LoopLocalApp, api_client, example_events, small_event


@pytest.fixture(scope="session")
def events() -> Mapping[str, Event]:
    """The repository's example events, loaded as the service loads them."""
    return example_events()


@pytest.fixture
def with_small_event(setup: AppSetup) -> Event:
    """An event with a cancelled session, added to the live config (as a reload would)."""
    event = small_event()
    setup.events = {**setup.events, event.id: event}
    return event


@pytest.fixture
def setup(tmp_path: Path, events: Mapping[str, Event]) -> AppSetup:
    return AppSetup(tmp_path, events)


@pytest.fixture
def api(setup: AppSetup) -> Iterator[Api]:
    """The app started in a TestClient (in process); closed, store and all, after the test."""
    app = LoopLocalApp(setup)
    with api_client(app) as client:
        yield Api(client, app)
