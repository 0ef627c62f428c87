"""How the daemon serves the app: uvicorn in the caller's loop, its signals left alone."""

from __future__ import annotations

import asyncio
import dataclasses
import signal

import httpx

from notifier.api import create_app
from notifier.service.http import make_server
from tests.support.api import AppSetup, open_deps
from tests.support.waiting import until


async def test_server_runs_in_the_callers_loop_and_leaves_its_signal_handlers_alone(
    setup: AppSetup,
) -> None:
    """The daemon drains reminders on SIGTERM: uvicorn must not take the signal from it."""
    deps = await open_deps(setup)
    settings = deps.settings.model_copy(update={"http_port": 0})
    server = make_server(create_app(dataclasses.replace(deps, settings=settings)), settings)
    before = signal.getsignal(signal.SIGTERM)
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started or task.done(), timeout_s=10)
        assert server.started, task
        assert signal.getsignal(signal.SIGTERM) is before
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            response = await client.get("/readyz")
        assert (response.status_code, response.json()["status"]) == (200, "ready")
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task
        await deps.store.aclose()
