"""Serve the HTTP API from inside the service: same process, same event loop.

uvicorn's ``Server.serve`` normally takes over SIGINT/SIGTERM; here the service owns them (it
must drain deliveries first), so the embedded server leaves signals alone and is stopped by the
service.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
import uvicorn

from notifier.errors import NotifierError

log = structlog.get_logger("notifier.http")


class HttpServerError(NotifierError, OSError):
    """The HTTP API could not start (the port is taken, the address is wrong)."""


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that does not install signal handlers of its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn: its bind failure is sys.exit(), which would end the service."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise HttpServerError(
            f"the HTTP API cannot listen on {host}:{port} ({exc.strerror}); "
            "set NOTIFIER_HTTP_HOST/NOTIFIER_HTTP_PORT (port 0 disables the API)"
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serve_http(app: Any, host: str, port: int) -> AsyncIterator[EmbeddedServer]:
    """Run ``app`` on host:port until the block exits."""
    sock = _listen(host, port)
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="http")
    try:
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        log.info("http_listening", host=host, port=sock.getsockname()[1])
        yield server
    finally:
        server.should_exit = True
        await task
        sock.close()
