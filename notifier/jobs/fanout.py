"""When a reminder fires: deliver it to every registration of its session, once each.

Each delivery key is claimed in the store before anything is sent (at most once per key);
transient failures are retried with capped, jittered backoff until the session's start (or an
optional ``max_attempts``); nothing is sent once the session has begun (checked right before
each attempt); every outcome lands in the delivery log: ``sent``, ``failed`` (permanent, or the
optional cap used up), ``expired`` (the session started first), ``unknown`` (the message data
went out and the final reply never came: not resent blindly) or ``skipped`` (the reminder was
already too late when it fired).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from notifier.channels.base import Channel, ReminderMessage
from notifier.errors import (
    GoneDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from notifier.events import Event, Session
from notifier.jobs.policy import allowed_lateness
from notifier.metrics import Metrics
from notifier.records import ChannelName, FanoutStatus, Registration, ReminderRef, delivery_key
from notifier.signing import make_token
from notifier.store.base import Store

log = structlog.get_logger("notifier.fanout")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int | None = None  # None: retry until the session starts
    base_s: float = 2.0
    max_s: float = 300.0

    def delay_s(self, attempt: int, retry_after_s: float | None) -> float:
        """Full-jitter exponential backoff; a server's Retry-After is honoured as a floor."""
        ceiling = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
        return max(delay, retry_after_s or 0.0)


@dataclass
class FanoutDeps:
    """What a fan-out needs; made once per process by the service's root, shared by all fan-outs."""

    store: Store
    channels: Mapping[ChannelName, Channel]
    signing_secret: str
    public_base_url: str
    concurrency: asyncio.Semaphore
    retry: RetryPolicy
    clock: Callable[[], datetime]
    stopping: asyncio.Event
    metrics: Metrics


async def run_fanout(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef
) -> Counter[str]:
    """Deliver one reminder to everyone following the session; returns outcome counts."""
    previous = await deps.store.get_fanout(ref)
    if previous is not None and previous.status in ("done", "skipped"):
        return Counter(already_done=1)  # a second firing (replica, catch-up) keeps the record
    now = deps.clock()
    targets = await _targets(deps, event, session, ref, now)
    reason = _skip_reason(event, ref, now)
    if reason is not None:
        counts = await _skip_all(deps, ref, targets, now, reason)
        await deps.store.record_fanout(ref, "skipped", now, dict(counts))
        deps.metrics.reminders_fired.labels("skipped").inc()
        log.info("reminder_skipped", reminder=ref.key, reason=reason, **counts)
        return counts
    await deps.store.record_fanout(ref, "started", now, {})
    sequence = await deps.store.session_sequence(event.id, session.id, ref.start_utc)
    outcomes = await asyncio.gather(
        *(_deliver(deps, event, session, ref, reg, channel, sequence) for reg, channel in targets)
    )
    counts = Counter(outcomes)
    # handed-back deliveries leave the fan-out "started", so the next catch-up pass resends them
    status: FanoutStatus = "started" if counts["handed_back"] else "done"
    await deps.store.record_fanout(ref, status, deps.clock(), dict(counts))
    deps.metrics.reminders_fired.labels(status).inc()
    log.info("reminder_fanout_done", reminder=ref.key, status=status, **counts)
    return counts


def _skip_reason(event: Event, ref: ReminderRef, now: datetime) -> str | None:
    offset = timedelta(seconds=ref.offset_s)
    if now >= ref.start_utc:
        return "too late: the session has started"
    if now - (ref.start_utc - offset) > allowed_lateness(event, offset):
        return "too late: past the lateness allowed for this reminder"
    return None


async def _targets(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef, now: datetime
) -> list[tuple[Registration, ChannelName]]:
    """Who gets it on which channel; a channel this process lacks is recorded, not dropped."""
    targets = []
    for registration in await deps.store.registrations_for(event.id, session.id):
        if not registration.confirmed:
            continue  # double opt-in: nothing goes to an address that has not confirmed
        for channel in registration.channels:
            if channel not in session.channels:
                continue
            if channel in deps.channels:
                targets.append((registration, channel))
                continue
            key = delivery_key(ref, registration.id, channel)
            if await deps.store.claim_delivery(key, ref, registration.id, channel, now):
                note = f"no {channel} channel in this service; nothing was sent"
                await deps.store.record_delivery(key, "failed", 0, now, note)
                deps.metrics.deliveries.labels(channel, "failed").inc()
                log.warning("delivery_failed", delivery=key, reason="channel unavailable")
    return targets


async def _skip_all(
    deps: FanoutDeps,
    ref: ReminderRef,
    targets: list[tuple[Registration, ChannelName]],
    now: datetime,
    reason: str,
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for registration, channel in targets:
        key = delivery_key(ref, registration.id, channel)
        if await deps.store.claim_delivery(key, ref, registration.id, channel, now):
            await deps.store.record_delivery(key, "skipped", 0, now, reason)
            deps.metrics.deliveries.labels(channel, "skipped").inc()
            counts["skipped"] += 1
        else:
            counts["already_claimed"] += 1
    return counts


async def _deliver(
    deps: FanoutDeps,
    event: Event,
    session: Session,
    ref: ReminderRef,
    registration: Registration,
    channel_name: ChannelName,
    sequence: int,
) -> str:
    # claim inside the slot: a claim waiting for a slot when shutdown cuts in would be stranded
    async with deps.concurrency:
        key = delivery_key(ref, registration.id, channel_name)
        if not await deps.store.claim_delivery(
            key, ref, registration.id, channel_name, deps.clock()
        ):
            return "already_claimed"  # another run (a replica, a restart) owns it

        def compose() -> ReminderMessage:
            return _message(deps, event, session, ref, registration, key, sequence)

        # every log line of this delivery names its event, session and delivery id
        with structlog.contextvars.bound_contextvars(
            event_id=ref.event_id, session_id=ref.session_id, delivery=key, channel=channel_name
        ):
            outcome = await _attempt_until_done(deps, deps.channels[channel_name], key, compose)
        deps.metrics.deliveries.labels(channel_name, outcome).inc()
        return outcome


def _message(
    deps: FanoutDeps,
    event: Event,
    session: Session,
    ref: ReminderRef,
    registration: Registration,
    key: str,
    sequence: int,
) -> ReminderMessage:
    token = make_token(deps.signing_secret, "unsubscribe", registration.id)
    return ReminderMessage(
        delivery_key=key,
        ref=ref,
        event_id=event.id,
        event_name=event.name,
        session=session,
        registration=registration,
        offset=timedelta(seconds=ref.offset_s),
        now_utc=deps.clock(),
        unsubscribe_url=f"{deps.public_base_url.rstrip('/')}/unsubscribe/{token}",
        sequence=sequence,
    )


async def _attempt_until_done(
    deps: FanoutDeps, channel: Channel, key: str, compose: Callable[[], ReminderMessage]
) -> str:
    """Send until sent, failed or expired; each attempt is composed afresh ("starts in …")."""
    store = deps.store
    attempt = 0
    sending = False
    try:
        while True:
            if deps.stopping.is_set():
                await store.release_delivery(key)  # hand back: the next run sends it
                return "handed_back"
            message = compose()
            if deps.clock() >= message.ref.start_utc:  # right before each send: never after
                note = "the session started before this reminder could be sent"
                await store.record_delivery(key, "expired", attempt, deps.clock(), note)
                log.warning("delivery_expired", outcome="expired", attempt=attempt)
                return "expired"
            attempt += 1
            sending = True
            try:
                receipt = await _timed_send(deps, channel, message, first=attempt == 1)
            except UnknownDeliveryError as exc:
                await store.record_delivery(key, "unknown", attempt, deps.clock(), str(exc))
                log.warning("delivery_unknown", outcome="unknown", attempt=attempt)
                return "unknown"
            except PermanentDeliveryError as exc:
                await store.record_delivery(key, "failed", attempt, deps.clock(), str(exc))
                log.warning("delivery_failed", outcome="failed", attempt=attempt, permanent=True)
                if isinstance(exc, GoneDeliveryError):  # 410: the receiver asked us to stop
                    await store.disable_webhook(message.registration.id)
                    log.warning("webhook_disabled", registration=message.registration.id)
                return "failed"
            except TransientDeliveryError as exc:
                sending = False
                outcome = await _after_transient(deps, message, attempt, exc)
                if outcome is not None:
                    return outcome
                continue
            await store.record_delivery(key, "sent", attempt, deps.clock())
            log.info("reminder_sent", outcome="sent", attempt=attempt, receipt=receipt)
            return "sent"
    except asyncio.CancelledError:
        await asyncio.shield(_interrupted(deps, key, attempt, sending))
        raise


async def _timed_send(
    deps: FanoutDeps, channel: Channel, message: ReminderMessage, *, first: bool
) -> str:
    """One attempt, measured: its duration, and on the first one how late it went out."""
    if first:
        due = message.ref.start_utc - message.offset
        deps.metrics.lateness_seconds.observe(max(0.0, (deps.clock() - due).total_seconds()))
    began = time.perf_counter()
    try:
        return await channel.send(message)
    finally:
        deps.metrics.delivery_seconds.labels(channel.name).observe(time.perf_counter() - began)


async def _interrupted(deps: FanoutDeps, key: str, attempt: int, sending: bool) -> None:
    """Cut off at shutdown: mid-send it may have gone out (not retried); else hand it back."""
    if sending:
        note = "interrupted during send at shutdown; not retried to avoid a duplicate"
        await deps.store.record_delivery(key, "failed", attempt, deps.clock(), note)
    else:
        await deps.store.release_delivery(key)


def _delay_before_start(
    retry: RetryPolicy, attempt: int, exc: TransientDeliveryError, left: timedelta
) -> float | None:
    """The wait before the next attempt, landing before the start; None: no time is left.

    A backoff that would land after the start is cut to half the time left, so the last tries
    go in before the deadline instead of giving up minutes early; a server's Retry-After and
    the shortest backoff (``base_s``) are floors.
    """
    delay_s = retry.delay_s(attempt, exc.retry_after_s)
    left_s = left.total_seconds()
    if delay_s < left_s:
        return delay_s
    halfway_s = left_s / 2
    if halfway_s < max(retry.base_s, exc.retry_after_s or 0.0):
        return None
    return halfway_s


async def _after_transient(
    deps: FanoutDeps, message: ReminderMessage, attempt: int, exc: TransientDeliveryError
) -> str | None:
    """Record the failure; wait for the next attempt, or say how the delivery ended."""
    key, now = message.delivery_key, deps.clock()
    cap = deps.retry.max_attempts
    if cap is not None and attempt >= cap:
        await deps.store.record_delivery(key, "failed", attempt, now, str(exc))
        log.warning("delivery_failed", outcome="failed", attempt=attempt, permanent=False)
        return "failed"
    delay_s = _delay_before_start(deps.retry, attempt, exc, message.ref.start_utc - now)
    if delay_s is None:
        await deps.store.record_delivery(key, "expired", attempt, now, str(exc))
        log.warning("delivery_expired", outcome="expired", attempt=attempt)
        return "expired"
    await deps.store.record_delivery(key, "claimed", attempt, now, str(exc))
    log.info("delivery_retry", attempt=attempt, delay_s=round(delay_s, 2), error=str(exc))
    deps.metrics.retries.labels(key.rsplit("/", 1)[-1]).inc()  # the key ends in its channel
    try:
        async with asyncio.timeout(delay_s):
            await deps.stopping.wait()
    except TimeoutError:
        pass
    return None
