"""A real aiohttp webhook receiver that records every request and answers as scripted.

It records the path, headers, body and TCP peer of each request, and answers with the next
scripted :class:`Reply` (a status, headers, a delay for the slow-receiver cases; 200 when none
is left), from the queue of its path when the test scripted one (``answer_path``), and keeps
every answer it finished (``answered``: a request whose client gave up first has none). A
``webhook.verification`` request is answered as ``verification`` says: ``echo``
sends its challenge back (the receiver consents), ``ignore`` answers 200 without it, ``refuse``
answers 403. :func:`serve_receiver` runs it on the test's own loop; :func:`serve_receiver_in_thread`
runs it on a loop of its own, for synchronous tests that drive the daemon as a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from standardwebhooks import Webhook

from notifier.channels.webhook import webhook_secret
from tests.support.ports import HOST

HOOK_PATH = "/hooks/ccpcj?token=receiver-token-123"
SERVER_SECRET = "server-signing-secret-for-tests"  # noqa: S105  # a test value, not a secret
LOOPBACK = ("127.0.0.0/8",)  # the allow-list that lets tests reach their own receiver
STARTUP_DEADLINE_S = 10.0


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

    @property
    def document(self) -> Any:
        return json.loads(self.body)

    def verified(self, registration_id: str = "reg-1", secret: str | None = None) -> Any:
        """The JSON body, after ``standardwebhooks`` checked its signature and timestamp.

        The secret is the one the channel derives for ``registration_id``, unless given.
        """
        key = secret or webhook_secret(SERVER_SECRET, registration_id)
        return Webhook(key).verify(self.body, self.headers)


@dataclass
class Receiver:
    """Answers each request with the next scripted :class:`Reply` (200 when none is left)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    verification: Literal["echo", "ignore", "refuse"] = "echo"
    by_path: dict[str, list[Reply]] = field(default_factory=dict)  # replies per request path
    answered: list[tuple[str, int]] = field(default_factory=list)  # (path, status) sent back

    def verifications(self) -> list[Received]:
        return [r for r in list(self.requests) if _kind(r.body) == "webhook.verification"]

    def url(self, host: str = HOST, path_qs: str = HOOK_PATH) -> str:
        return f"http://{host}:{self.port}{path_qs}"

    def answer(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def answer_path(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` (without the query) with ``replies``, in order."""
        self.by_path.setdefault(path, []).extend(replies)

    @property
    def peers(self) -> set[Any]:
        return {request.peer for request in self.requests}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(Received(request.path_qs, dict(request.headers), body, peer))
        if _kind(body) == "webhook.verification":
            return self._verify(json.loads(body))
        queue = self.by_path.get(request.path) or self.script
        reply = queue.pop(0) if queue else Reply()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)  # a slow receiver; cancelled when the client goes
        self.answered.append((request.path, reply.status))
        return web.Response(status=reply.status, headers=reply.headers, text="noted")

    def _verify(self, document: dict[str, Any]) -> web.Response:
        if self.verification == "refuse":
            return web.Response(status=403, text="not ours")
        if self.verification == "ignore":
            return web.Response(status=200, text="noted")
        return web.json_response({"challenge": document.get("challenge")})


def _kind(body: bytes) -> str | None:
    """The ``type`` of a JSON body, if it is one."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    kind = document.get("type") if isinstance(document, dict) else None
    return kind if isinstance(kind, str) else None


@contextlib.asynccontextmanager
async def serve_receiver(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Receiver]:
    """A receiver on 127.0.0.1, port 0, served by the running loop until the block ends.

    With ``ssl_context`` it speaks HTTPS only (``Receiver.url`` still writes http://).
    """
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    # handler_cancellation: a handler whose client timed out stops, so cleanup is quick
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, 0, ssl_context=ssl_context)
        await site.start()
        receiver.port = runner.addresses[0][1]
        yield receiver
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def serve_receiver_in_thread() -> Iterator[Receiver]:
    """:func:`serve_receiver` on a thread with its own loop, for tests that are not async."""
    ready = threading.Event()
    served: list[tuple[Receiver, asyncio.AbstractEventLoop, asyncio.Event]] = []
    errors: list[BaseException] = []

    async def serve() -> None:
        stopping = asyncio.Event()
        try:
            async with serve_receiver() as receiver:
                served.append((receiver, asyncio.get_running_loop(), stopping))
                ready.set()
                await stopping.wait()
        except Exception as exc:  # reported on the test's thread below
            errors.append(exc)
        finally:
            ready.set()

    # daemon: a receiver that never came up must not keep pytest from exiting
    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(STARTUP_DEADLINE_S)
    if not served:
        raise RuntimeError(f"the webhook receiver did not start: {errors}")
    receiver, loop, stopping = served[0]
    try:
        yield receiver
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(STARTUP_DEADLINE_S)
    if errors:
        raise errors[0]
