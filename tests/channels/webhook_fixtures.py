"""A real aiohttp receiver for webhook tests, and the channels and reminders pointed at it.

The receiver records every request (path, headers, body, the TCP peer it came from) and answers
as the test scripts it: a status, headers, and a delay for the slow-receiver cases. Test modules
import the ``*_fixture`` functions (pytest finds fixtures in a module's namespace); each is
named for tests by its ``name=``, so test arguments do not shadow the imports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks import Webhook

from notifier.channels import ReminderMessage
from notifier.channels.ssrf import AddressGuard
from notifier.channels.webhook import WebhookChannel, webhook_secret
from notifier.records import Registration, delivery_key

HOST = "127.0.0.1"
HOOK_PATH = "/hooks/ccpcj?token=receiver-token-123"
SERVER_SECRET = "server-signing-secret-for-tests"  # noqa: S105  # a test value, not a secret
LOOPBACK = ("127.0.0.0/8",)  # the allow-list that lets tests reach their own receiver


def secret_for(registration: Registration) -> str:
    return webhook_secret(SERVER_SECRET, registration.id)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    path_qs: str
    headers: dict[str, str]
    body: bytes
    peer: Any  # (host, port): one per TCP connection

    def verified(self, registration_id: str = "reg-1") -> Any:
        """The JSON body, after ``standardwebhooks`` checked its signature and timestamp."""
        secret = webhook_secret(SERVER_SECRET, registration_id)
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Receiver:
    """Answers each request with the next scripted :class:`Reply` (200 when none is left)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)

    def url(self, host: str = HOST, path_qs: str = HOOK_PATH) -> str:
        return f"http://{host}:{self.port}{path_qs}"

    def answer(self, *replies: Reply) -> None:
        self.script.extend(replies)

    @property
    def peers(self) -> set[Any]:
        return {request.peer for request in self.requests}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(Received(request.path_qs, dict(request.headers), body, peer))
        reply = self.script.pop(0) if self.script else Reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)  # cancelled when the client hangs up
        return web.Response(status=reply.status, headers=reply.headers, text="noted")


@pytest.fixture(name="receiver")
async def receiver_fixture() -> AsyncIterator[Receiver]:
    """A real aiohttp server on 127.0.0.1, port 0."""
    recorder = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    # handler_cancellation: a handler whose client timed out stops, so cleanup is quick
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    recorder.port = runner.addresses[0][1]
    yield recorder
    await runner.cleanup()


@pytest.fixture(name="make_webhook_channel")
async def webhook_channel_fixture() -> AsyncIterator[Callable[..., WebhookChannel]]:
    """WebhookChannels allowed to reach loopback unless ``allowed`` says otherwise; closed after."""
    channels: list[WebhookChannel] = []

    def make(*, allowed: Sequence[str] = LOOPBACK, **overrides: Any) -> WebhookChannel:
        settings: dict[str, Any] = {
            "secret_for": secret_for,
            "guard": AddressGuard(allowed),
            "timeout_s": 2.0,
            "pool_size": 4,
            "user_agent": "notifier-tests/1",
        }
        channel = WebhookChannel(**(settings | overrides))
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        await channel.aclose()


@pytest.fixture(name="make_webhook_message")
def webhook_message_fixture(
    make_message: Callable[..., ReminderMessage],
) -> Callable[..., ReminderMessage]:
    """The CCPCJ reminder (conftest's ``make_message``) for a webhook-only registration."""

    def make(url: str, *, registration_id: str = "reg-1", **changes: Any) -> ReminderMessage:
        message = make_message(email=None, registration_id=registration_id, **changes)
        registration = replace(message.registration, webhook_url=url)
        key = delivery_key(message.ref, registration_id, "webhook")
        return replace(message, registration=registration, delivery_key=key)

    return make
