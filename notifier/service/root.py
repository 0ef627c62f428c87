"""The composition root: every shared resource of the service is made here, once.

:func:`open_service` loads the config, then opens the store, the channels, the metrics
registry, the job store and the scheduler (through :class:`~notifier.service.runtime.Service`),
and the HTTP API, in that order, and closes them in reverse order, also when a later step
fails. Nothing below this module opens a client of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import structlog

from notifier.api import ApiDeps, create_app
from notifier.channels import (
    AddressGuard,
    Channel,
    EmailSender,
    WebhookChannel,
    check_destination,
    make_channels,
    webhook_secret,
)
from notifier.configfiles import ConfigSet, load_config_files
from notifier.errors import ConfigError, SettingsError
from notifier.jobs.fanout import FanoutDeps, RetryPolicy
from notifier.jobs.scheduler import SCHEDULER_BEAT_S, make_jobstore
from notifier.metrics import Metrics, make_metrics
from notifier.records import ChannelName
from notifier.service.health import Health, StoreClock, refuse_volatile, supervise
from notifier.service.http import serve_http
from notifier.service.runtime import Service
from notifier.service.sharing import consume_forever, lead_forever
from notifier.settings import Settings, redact_url, signing_secret
from notifier.store import RedisStore, Store, open_store

log = structlog.get_logger("notifier.service")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The service's clock; tests pass their own to :func:`open_service`."""
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def open_service(
    settings: Settings, clock: Clock | None = None, *, local_clock: Clock = utc_now
) -> AsyncIterator[Service]:
    """Store, channels, metrics and a scheduler; yields a Service synced and reconciled.

    ``clock`` (tests' own time) is used as given; without it the service reads the store's
    clock (Redis ``TIME``, through ``local_clock`` and a measured offset), or ``local_clock``
    with SQLite. A Redis store without AOF is refused unless ``redis_allow_volatile``."""
    config = await _load_config(settings, clock or local_clock)
    server_secret = signing_secret(settings)
    async with contextlib.AsyncExitStack() as stack:
        store = await open_store(settings.resolved_store_url)
        stack.push_async_callback(store.aclose)
        await store.ping()
        metrics = make_metrics()
        probe = store if isinstance(store, RedisStore) else None
        store_clock = StoreClock(local_clock) if probe is not None else None
        health = Health(settings, metrics.registry, probe, store_clock)
        await health.check_store()
        refuse_volatile(settings, health)
        clock = clock or store_clock or local_clock
        channels = make_channels(settings, server_secret)
        for channel in channels.values():
            stack.push_async_callback(channel.aclose)
        deps = _fanout_deps(settings, store, channels, server_secret, metrics, clock)
        jobstore = make_jobstore(settings.resolved_store_url)
        # replicas share the work through Redis; the embedded store keeps it in-process
        redis = store if isinstance(store, RedisStore) else None
        queue = redis.work_queue() if redis is not None else None
        lease = redis.leader_lease() if redis is not None else None
        service = Service(settings, deps, jobstore, config, health, queue, lease)
        health.watch("scheduler", SCHEDULER_BEAT_S)
        await asyncio.to_thread(service.scheduler.start, paused=True)
        leading, _ = await service.leadership.renew()
        stack.push_async_callback(_stop_tasks, _start_sharing(service))
        stack.push_async_callback(drain, service, settings.shutdown_timeout_s)
        stack.push_async_callback(asyncio.to_thread, service.stop_scheduler)
        log.info(
            "service_starting",
            tzdata=tzdata_version(),
            events=len(service.events),
            store=redact_url(settings.resolved_store_url),
            email_backend=settings.resolved_email_backend,
        )
        await service.sync_jobs()
        await service.reconcile()
        await service.purge_pending()
        await service.count_registrations()
        if leading:  # a follower's scheduler waits paused until it takes the lease
            await asyncio.to_thread(service.scheduler.resume)
        if settings.http_port:
            # entered last, so it stops first: no registration arrives while sends drain
            api = create_app(_api_deps(service, channels, deps.clock))
            await stack.enter_async_context(serve_http(api, settings))
        yield service
    log.info("service_stopped")


async def _load_config(settings: Settings, clock: Clock) -> ConfigSet:
    """The config the service starts with; a file with an error starts nothing."""
    config = await asyncio.to_thread(load_config_files, settings.config, today=clock().date())
    if not config.ok or not config.files:
        for problem in config.problems:
            log.error("config_invalid", problem=str(problem))
        raise ConfigError([str(p) for p in config.problems] or ["no event config files found"])
    return config


def _start_sharing(service: Service) -> list[asyncio.Task[None]]:
    """The leader loop and the chunk consumer, supervised: every replica runs both."""
    stop = service.stop
    lead = supervise("leader", lambda: lead_forever(service, service.leadership_changed), stop)
    consume = supervise("consume", lambda: consume_forever(service), stop)
    return [asyncio.create_task(lead), asyncio.create_task(consume)]


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """After the drain: end the background loops (the leader lets go of its lease)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _fanout_deps(
    settings: Settings,
    store: Store,
    channels: dict[ChannelName, Channel],
    server_secret: str,
    metrics: Metrics,
    clock: Clock,
) -> FanoutDeps:
    return FanoutDeps(
        store=store,
        channels=channels,
        signing_secret=server_secret,
        public_base_url=str(settings.public_base_url),
        concurrency=asyncio.Semaphore(settings.send_concurrency),
        retry=RetryPolicy(settings.max_attempts, settings.retry_base_s, settings.retry_max_s),
        lease_s=settings.claim_lease_s,
        page_size=settings.chunk_size,
        # a claim waits through the lead on a lease counted from the claim: keep it well inside
        prepare_ahead_s=min(settings.prepare_ahead_s, settings.claim_lease_s / 4),
        clock=clock,
        stopping=asyncio.Event(),
        metrics=metrics,
    )


def _api_deps(service: Service, channels: dict[ChannelName, Channel], clock: Clock) -> ApiDeps:
    settings, store = service.settings, service.deps.store
    guard = AddressGuard(settings.webhook_allowed_networks)
    server_secret = service.deps.signing_secret
    mailer, webhook = channels.get("email"), channels.get("webhook")
    if not isinstance(mailer, EmailSender):
        raise SettingsError("the HTTP API sends confirmation emails: it needs an email channel")
    if not isinstance(webhook, WebhookChannel):
        raise SettingsError("the HTTP API verifies webhook receivers: it needs the webhook channel")

    return ApiDeps(
        store=store,
        settings=settings,
        events=lambda: service.events,  # reassigned on reload: always the live config
        mailer=mailer,
        signing_secret=server_secret,
        check_webhook=lambda url: check_destination(url, guard),
        webhook_secret=lambda registration_id: webhook_secret(server_secret, registration_id),
        verify_webhook=lambda reg, event, challenge: webhook.verify(reg, event.name, challenge),
        clock=clock,
        readiness=service.readiness,
        metrics=service.deps.metrics,
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


def tzdata_version() -> str:
    try:
        return version("tzdata")
    except PackageNotFoundError:  # zoneinfo then uses the system's files; the log says so
        return "unknown"
