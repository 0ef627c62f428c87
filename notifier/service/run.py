"""``notifier run``: the service until SIGTERM/SIGINT, or until idle (``--until-idle``)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog

from notifier.memory import settle_memory
from notifier.service.health import supervise
from notifier.service.root import open_service
from notifier.service.runtime import Service
from notifier.settings import Settings, redact_url

log = structlog.get_logger("notifier.service")
IDLE_POLL_S = 0.2
WATCH_ARM_DEADLINE_S = 10.0  # a watcher that cannot start is logged by watch_config itself


async def run_service(settings: Settings, *, until_idle: bool = False) -> int:
    """Run until SIGTERM/SIGINT (or, with ``until_idle``, until no reminder is left)."""
    async with open_service(settings) as service:
        settle_memory()
        install_signal_handlers(service.stop)
        stop = service.stop
        background = [asyncio.create_task(supervise("catch_up", service.reconcile_forever, stop))]
        if any(p.exists() for p in settings.config):
            watcher = supervise("config_watch", service.watch_config, stop)
            background.append(asyncio.create_task(watcher))
            # ready means an edit saved from now on is seen (one saved meanwhile is reloaded)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_ARM_DEADLINE_S):
                    await service.watching.wait()
        log.info("service_ready", jobs_store=redact_url(settings.resolved_store_url))
        try:
            await _wait(service, until_idle)
        finally:
            service.stop.set()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
    return 0


async def _wait(service: Service, until_idle: bool) -> None:
    while not service.stop.is_set():
        if until_idle and await service.idle():
            log.info("service_idle")
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(IDLE_POLL_S):
                await service.stop.wait()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: intake ends, in-flight sends drain, the process exits 0."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
