"""uvicorn for the daemon: in the service's own loop, stopped by the service, quiet about paths.

The service owns SIGTERM/SIGINT (it drains in-flight reminders first), so this server installs
no signal handlers of its own; the service stops it with ``server.should_exit = True`` and
awaits ``serve()``. The access log is off: confirm and unsubscribe paths carry tokens, and a
log reader must not be able to unsubscribe people.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from notifier.settings import Settings

# a request still running this long after the stop is cut off, so shutdown has an end
GRACEFUL_SHUTDOWN_S = 10


class ApiServer(uvicorn.Server):
    """uvicorn's server without its signal handling (the daemon's handlers stay in place)."""

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
