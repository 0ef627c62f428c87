"""Serve the HTTP API from inside the service: same process, same event loop, uvicorn.

The service owns SIGTERM/SIGINT (it drains in-flight reminders first), so the server installs
no signal handlers of its own; the service stops it with ``server.should_exit = True`` and
awaits ``serve()``. The socket is bound here: uvicorn answers a bind failure with
``sys.exit()``, which inside the service's loop would end the whole process instead of
reporting the taken port. The access log is off: confirm and unsubscribe paths carry tokens,
and a log reader must not be able to unsubscribe people.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import structlog
import uvicorn
from fastapi import FastAPI

from notifier.errors import HttpServerError
from notifier.settings import Settings

log = structlog.get_logger("notifier.http")

# a request still running this long after the stop is cut off, so shutdown has an end
GRACEFUL_SHUTDOWN_S = 10
STARTUP_POLL_S = 0.01


class ApiServer(uvicorn.Server):
    """uvicorn's server without its signal handling (the service's handlers stay in place)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def make_server(app: FastAPI, settings: Settings) -> ApiServer:
    """A server for ``app`` on ``settings.http_host:http_port``; run it with ``await serve()``.

    ``lifespan="off"``: the app opens nothing itself; everything in its ApiDeps was made (and
    is closed) by the service. ``log_config=None`` leaves logging to the service's set-up.
    """
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        lifespan="off",
        ws="none",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return ApiServer(config)


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
async def serve_http(app: FastAPI, settings: Settings) -> AsyncIterator[ApiServer]:
    """Serve ``app`` on NOTIFIER_HTTP_HOST:NOTIFIER_HTTP_PORT until the block exits."""
    sock = _listen(settings.http_host, settings.http_port)
    server = make_server(app, settings)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="http")
    try:
        while not server.started and not task.done():
            await asyncio.sleep(STARTUP_POLL_S)
        log.info("http_listening", host=settings.http_host, port=sock.getsockname()[1])
        yield server
    finally:
        server.should_exit = True
        await task
        sock.close()
