"""Start and stop the service: resources made once, closed in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import structlog

from notifier.api import ApiDeps, create_app
from notifier.channels import (
    AddressGuard,
    Channel,
    OutboxChannel,
    SmtpChannel,
    WebhookChannel,
    check_destination,
    webhook_secret,
)
from notifier.configfiles import load_config_files
from notifier.daemon import Service, install_signal_handlers, tzdata_version, utc_now
from notifier.errors import ConfigError, SettingsError, StoreError
from notifier.httpserver import serve_http
from notifier.jobs.fanout import FanoutDeps, RetryPolicy
from notifier.jobs.scheduler import make_jobstore, make_scheduler
from notifier.settings import Settings, redact_url, signing_secret
from notifier.store import open_store
from notifier.store.base import ChannelName, Store

log = structlog.get_logger("notifier.service")
IDLE_POLL_S = 0.2


def make_channels(settings: Settings, server_secret: str) -> dict[ChannelName, Channel]:
    """The email channel the settings ask for (SMTP or the outbox), and the webhook channel."""
    base_url = str(settings.public_base_url)
    webhook = WebhookChannel(
        secret_for=lambda registration: webhook_secret(server_secret, registration.id),
        guard=AddressGuard(settings.webhook_allowed_networks),
        timeout_s=settings.webhook_timeout_s,
        pool_size=settings.send_concurrency,
    )
    if settings.resolved_email_backend == "file":
        outbox = OutboxChannel(
            settings.resolved_outbox_dir, sender=settings.smtp_from, public_base_url=base_url
        )
        return {"email": outbox, "webhook": webhook}
    if not settings.smtp_host:
        raise SettingsError("NOTIFIER_EMAIL_BACKEND=smtp needs NOTIFIER_SMTP_HOST")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    smtp = SmtpChannel(
        host=settings.smtp_host,
        port=settings.resolved_smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=password,
        sender=settings.smtp_from,
        public_base_url=base_url,
        timeout_s=settings.smtp_timeout_s,
        pool_size=settings.smtp_pool_size,
    )
    return {"email": smtp, "webhook": webhook}


@contextlib.asynccontextmanager
async def open_service(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[Service]:
    """Store, channels and a paused scheduler; yields a Service synced and reconciled.

    Everything opened is closed in reverse order, also when a later step fails.
    """
    config = await asyncio.to_thread(load_config_files, settings.config, today=clock().date())
    if not config.ok or not config.files:
        for problem in config.problems:
            log.error("config_invalid", problem=str(problem))
        raise ConfigError([str(p) for p in config.problems] or ["no event config files found"])
    async with contextlib.AsyncExitStack() as stack:
        store = await open_store(settings.resolved_store_url)
        stack.push_async_callback(store.aclose)
        await store.ping()
        channels = make_channels(settings, signing_secret(settings))
        for channel in channels.values():
            stack.push_async_callback(channel.aclose)
        deps = _deps(settings, store, channels, clock)
        holder: list[Service] = []
        scheduler = make_scheduler(
            make_jobstore(settings.resolved_store_url),
            asyncio.get_running_loop(),
            lambda kwargs: holder[0].on_job_fired(kwargs) if holder else None,
        )
        service = Service(settings, deps, scheduler, config)
        holder.append(service)
        await asyncio.to_thread(scheduler.start, paused=True)
        stack.push_async_callback(drain, service, settings.shutdown_timeout_s)
        stack.push_async_callback(asyncio.to_thread, scheduler.shutdown, wait=False)
        log.info(
            "service_starting",
            tzdata=tzdata_version(),
            events=len(service.events),
            store=redact_url(settings.resolved_store_url),
            email_backend=settings.resolved_email_backend,
        )
        await service.sync_jobs()
        await service.reconcile()
        await service.count_registrations()
        await asyncio.to_thread(scheduler.resume)
        if settings.http_port:
            # entered last, so it stops first: no registration arrives while sends drain
            api = create_app(_api_deps(service, channels, clock))
            await stack.enter_async_context(serve_http(api, settings))
        yield service
    log.info("service_stopped")


def _api_deps(
    service: Service, channels: dict[ChannelName, Channel], clock: Callable[[], datetime]
) -> ApiDeps:
    settings, store = service.settings, service.deps.store
    guard = AddressGuard(settings.webhook_allowed_networks)
    server_secret = service.deps.signing_secret

    async def readiness() -> dict[str, bool]:
        try:
            await store.ping()
            store_ok = True
        except StoreError:
            store_ok = False
        return {"store": store_ok, "scheduler": bool(service.scheduler.running)}

    mailer = channels["email"]
    return ApiDeps(
        store=store,
        settings=settings,
        events=lambda: service.events,  # reassigned on reload: always the live config
        mailer=mailer,  # type: ignore[arg-type]  # both email channels have send_email
        signing_secret=server_secret,
        check_webhook=lambda url: check_destination(url, guard),
        webhook_secret=lambda registration_id: webhook_secret(server_secret, registration_id),
        clock=clock,
        readiness=readiness,
        metrics=service.deps.metrics,
    )


def _deps(
    settings: Settings,
    store: Store,
    channels: dict[ChannelName, Channel],
    clock: Callable[[], datetime],
) -> FanoutDeps:
    return FanoutDeps(
        store=store,
        channels=channels,
        signing_secret=signing_secret(settings),
        public_base_url=str(settings.public_base_url),
        concurrency=asyncio.Semaphore(settings.send_concurrency),
        retry=RetryPolicy(settings.max_attempts, settings.retry_base_s, settings.retry_max_s),
        clock=clock,
        stopping=asyncio.Event(),
    )


async def drain(service: Service, timeout_s: float) -> None:
    """Let in-flight sends finish; hand back what was not attempted; cancel after timeout_s."""
    service.stop.set()
    service.deps.stopping.set()
    tasks = list(service.in_flight.values())
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    log.info("in_flight_drained", finished=len(tasks) - len(pending), cancelled=len(pending))


async def run_service(settings: Settings, *, until_idle: bool = False) -> int:
    """Run until SIGTERM/SIGINT (or, with ``until_idle``, until no reminder is left)."""
    async with open_service(settings) as service:
        install_signal_handlers(service.stop)
        background = [asyncio.create_task(service.reconcile_forever())]
        if any(p.exists() for p in settings.config):
            background.append(asyncio.create_task(service.watch_config()))
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
