"""Serve the HTTP API from inside the service: same process, same event loop.

The socket is bound here: uvicorn answers a bind failure with ``sys.exit()``, which inside the
service's loop would end the whole process instead of reporting the taken port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from notifier.api.serve import ApiServer, make_server
from notifier.errors import NotifierError
from notifier.settings import Settings

log = structlog.get_logger("notifier.http")


class HttpServerError(NotifierError, OSError):
    """The HTTP API could not start (the port is taken, the address is wrong)."""


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
            await asyncio.sleep(0.01)
        log.info("http_listening", host=settings.http_host, port=sock.getsockname()[1])
        yield server
    finally:
        server.should_exit = True
        await task
        sock.close()
