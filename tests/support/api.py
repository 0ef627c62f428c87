"""The API app with real parts: SQLite store, the repository's example events, an outbox mailer.

The store is opened in the event loop that serves the app, as the daemon does: ``LoopLocalApp``
opens it in the ASGI lifespan, so the same app runs under Starlette's TestClient (its portal
loop), schemathesis (its own loop thread) and uvicorn (the browser test's server thread).
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import FastAPI
from pydantic import AnyHttpUrl, SecretStr
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 and warns once, at import, when it finds httpx 0.x instead;
    # only this import is excused (a mark cannot reach an import at collection). With httpx2
    # installed (the suggested test dependency) nothing is warned and this filter is idle.
    warnings.filterwarnings(
        "ignore",
        message="Using `httpx` with `starlette.testclient` is deprecated",
        category=StarletteDeprecationWarning,
    )
    from starlette.testclient import TestClient

from notifier.api import ApiDeps, create_app
from notifier.channels import AddressGuard, WebhookChannel, check_destination
from notifier.channels.outbox import OutboxChannel
from notifier.configfiles import load_config_files
from notifier.errors import RegistrationError, StoreError
from notifier.events import Event, load_event
from notifier.settings import Settings
from notifier.store import Store, open_store
from tests.support.clock import Clock
from tests.support.mail import read_outbox

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_EVENTS = ROOT / "config" / "events"
TODAY = date(2023, 5, 1)
NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
CCPCJ = "ccpcj-32-gitoc"
SMUGGLING = "human-smuggling-central-med"  # Tue 23 May 2023 09:10 CEST = 07:10Z = 16:10 JST
FIREARMS = "firearms-trafficking-latin-america"
ORGANIZER_TOKEN = "organizer-test-token"  # noqa: S105  # a test value, not a secret
SIGNING_SECRET = "link-signing-test-secret"  # noqa: S105
WEBHOOK_KEY = bytes(range(32))
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
PUBLIC_BASE_URL = "https://reminders.example.org"

SMALL_EVENT = """\
id: small-event
name: Small event
zone: Europe/Vienna
year: 2023
sessions:
  - id: opening
    title: Opening
    when: "Tuesday 23 May 09:00-10:00 CEST"
    join_url: "https://events.example.org/small/opening"
  - id: dropped
    title: Dropped
    when: "Tuesday 23 May 11:00-12:00 CEST"
    join_url: "https://events.example.org/small/dropped"
    cancelled: true
"""

T = TypeVar("T")


def example_events() -> dict[str, Event]:
    """The repository's example events, loaded as the service loads them."""
    config = load_config_files([EXAMPLE_EVENTS], today=TODAY)
    assert config.ok, config.problems
    return {e.id: e for e in config.events}


def small_event() -> Event:
    """An event with a cancelled session."""
    loaded = load_event(SMALL_EVENT, "small-event.yaml", today=TODAY)
    assert loaded.event is not None, loaded.problems
    return loaded.event


async def loopback_only(url: str) -> None:
    """Stands in for the SSRF guard (the webhook module's, tested there): only 127.0.0.1 passes."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise RegistrationError("webhook_url", "this host is not allowed (test guard)")


@dataclass
class AppSetup:
    """What a test may vary: the folder, the settings, whether the scheduler 'runs'.

    ``ssrf_guard``: webhook URLs go through the real address guard (``check_destination``
    with the settings' allowed networks), as in the service, instead of :func:`loopback_only`.
    ``signing_secret`` signs the confirm and unsubscribe links.
    """

    folder: Path
    events: Mapping[str, Event]
    public_base_url: str = PUBLIC_BASE_URL
    organizer_token: str | None = ORGANIZER_TOKEN
    scheduler_running: bool = True
    outbox: Path = field(init=False)
    webhooks: WebhookChannel | None = field(init=False, default=None)
    clock: Clock = field(default_factory=lambda: Clock(NOW))
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    ssrf_guard: bool = False
    signing_secret: str = SIGNING_SECRET

    def __post_init__(self) -> None:
        self.outbox = self.folder / "outbox"

    def settings(self) -> Settings:
        token = SecretStr(self.organizer_token) if self.organizer_token is not None else None
        return Settings(
            _env_file=None,
            data_dir=self.folder,
            public_base_url=AnyHttpUrl(self.public_base_url),
            organizer_token=token,
            **self.settings_overrides,
        )


async def open_deps(setup: AppSetup) -> ApiDeps:
    """Everything the app gets, opened in the running loop; the caller closes ``deps.store``."""
    settings = setup.settings()
    store = await open_store(f"sqlite:///{setup.folder / 't.db'}")

    async def readiness() -> dict[str, bool]:
        try:
            await store.ping()
        except StoreError:
            return {"store": False, "scheduler": setup.scheduler_running}
        return {"store": True, "scheduler": setup.scheduler_running}

    mailer = OutboxChannel(
        setup.outbox, sender=settings.smtp_from, public_base_url=str(settings.public_base_url)
    )
    if setup.ssrf_guard:
        guard = AddressGuard(settings.webhook_allowed_networks)

        async def check_webhook(url: str) -> None:
            await check_destination(url, guard)

    else:
        # the real channel verifies receivers; tests' receivers listen on loopback
        guard, check_webhook = AddressGuard(["127.0.0.0/8"]), loopback_only
    webhooks = setup.webhooks = WebhookChannel(
        key_for=lambda registration: WEBHOOK_KEY, guard=guard
    )
    return ApiDeps(
        store=store,
        settings=settings,
        events=lambda: setup.events,  # read per request: tests may "reload" the config
        mailer=mailer,
        signing_secret=setup.signing_secret,
        check_webhook=check_webhook,
        webhook_secret=lambda registration_id: WEBHOOK_SECRET,
        verify_webhook=lambda reg, event, challenge: webhooks.verify(reg, event.name, challenge),
        clock=setup.clock,
        readiness=readiness,
    )


class LoopLocalApp:
    """An ASGI app that opens its store and mailer in the loop that serves it (lifespan)."""

    def __init__(self, setup: AppSetup) -> None:
        self.setup = setup
        self._app: FastAPI | None = None
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the app is not started: serve it (with TestClient(...) as ...)")
        return self._store

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._app is None:
            raise RuntimeError("the app is not started: its lifespan has not run")
        else:
            await self._app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                deps = await open_deps(self.setup)
                self._store, self._app = deps.store, create_app(deps)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.store.aclose()
                if self.setup.webhooks is not None:
                    await self.setup.webhooks.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


class Api:
    """A TestClient on a started app, and a way to run store calls in the app's loop."""

    def __init__(self, client: TestClient, app: LoopLocalApp) -> None:
        self.client = client
        self.app = app

    def run(self, call: Callable[..., Awaitable[T]], *args: Any) -> T:
        portal = self.client.portal
        if portal is None:
            raise RuntimeError("the TestClient is not entered")
        return portal.call(call, *args)

    @property
    def store(self) -> Store:
        return self.app.store

    def outbox_messages(self) -> list[EmailMessage]:
        return read_outbox(self.app.setup.outbox)


def api_client(app: LoopLocalApp) -> TestClient:
    """A TestClient for ``app``, on the public base URL; enter it to start the app."""
    return TestClient(app, base_url=PUBLIC_BASE_URL)


@contextmanager
def serve_api(setup: AppSetup) -> Iterator[Api]:
    """The app for ``setup``, started in a TestClient; closed, store and all, on leaving."""
    app = LoopLocalApp(setup)
    with api_client(app) as client:
        yield Api(client, app)
