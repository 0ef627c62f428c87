"""When a reminder fires: deliver it to every registration of its session, once each.

Each delivery key is claimed in the store before anything is sent (at most once per key);
transient failures are retried with capped, jittered backoff until the session's start (or an
optional ``max_attempts``); nothing is sent once the session has begun (checked right before
each attempt); every outcome lands in the delivery log: ``sent``, ``failed`` (permanent, or the
optional cap used up), ``expired`` (the session started first), ``unknown`` (the message data
went out and the final reply never came: not resent blindly) or ``skipped`` (the reminder was
already too late when it fired).

Claims carry a lease (owner, expiry, fencing token): a process that dies mid fan-out leaves its
claims ``claimed``, the fan-out record stays ``started``, and once the leases run out the next
catch-up pass takes them over (a new token) and sends them, before the session starts. The
lease is renewed at each retry; a write whose token was taken over is refused, not applied.
A store outage pauses the fan-out: each store step is retried with backoff until the session
starts, and the outcome of a send that went out is kept and written once the store is back.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import structlog

from notifier.channels.base import Channel, ReminderMessage
from notifier.errors import (
    ClaimLostError,
    GoneDeliveryError,
    PermanentDeliveryError,
    StoreError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from notifier.events import Event, Session
from notifier.jobs.broadcast import broadcast_targets, participants_wanted
from notifier.jobs.policy import allowed_lateness
from notifier.metrics import Metrics
from notifier.records import (
    ChannelName,
    DeliveryStatus,
    FanoutStatus,
    Registration,
    ReminderRef,
    delivery_key,
    wants_reminder,
)
from notifier.signing import make_token, participant_url
from notifier.store.base import Store

log = structlog.get_logger("notifier.fanout")
T = TypeVar("T")
STORE_RETRY_BASE_S = 0.2  # a store outage: first wait, doubling up to STORE_RETRY_MAX_S
STORE_RETRY_MAX_S = 5.0
# outcomes that leave a delivery without a final record: the fan-out stays "started", so the
# catch-up pass comes back for it (a handed-back claim, or one another owner still holds)
UNFINISHED = ("handed_back", "claimed_elsewhere")
# a channel's answer still to be written when a fan-out is cut off
_ANSWERED: dict[str, DeliveryStatus] = {"sent": "sent", "failed": "failed", "unknown": "unknown"}


def new_owner() -> str:
    """This process's name on its claims: pid and a random part (pids repeat across hosts)."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


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
    # a claim not renewed for lease_s is presumed dead and taken over by the catch-up pass
    lease_s: float = 60.0
    owner: str = field(default_factory=new_owner)


async def run_fanout(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef
) -> Counter[str]:
    """Deliver one reminder to everyone following the session; returns outcome counts."""
    store, by_start = deps.store, ref.start_utc
    previous = await _stored(deps, "get_fanout", lambda: store.get_fanout(ref), by_start)
    if previous is not None and previous.status in ("done", "skipped"):
        return Counter(already_done=1)  # a second firing (replica, catch-up) keeps the record
    now = deps.clock()
    targets = await _targets(deps, event, session, ref, now)
    reason = _skip_reason(event, ref, now)
    if reason is not None:
        counts = await _skip_all(deps, ref, targets, now, reason)
        await _stored(
            deps, "record_fanout", lambda: store.record_fanout(ref, "skipped", now, dict(counts))
        )
        deps.metrics.reminders_fired.labels("skipped").inc()
        log.info("reminder_skipped", reminder=ref.key, reason=reason, **counts)
        return counts
    await _stored(
        deps, "record_fanout", lambda: store.record_fanout(ref, "started", now, {}), by_start
    )
    sequence = await _stored(
        deps,
        "session_sequence",
        lambda: store.session_sequence(event.id, session.id, ref.start_utc),
        by_start,
    )
    outcomes = await asyncio.gather(
        *(_deliver(deps, event, session, ref, reg, channel, sequence) for reg, channel in targets)
    )
    counts = Counter(outcomes)
    # unfinished deliveries leave the fan-out "started", so the next catch-up pass comes back
    status: FanoutStatus = "started" if any(counts[o] for o in UNFINISHED) else "done"
    await _stored(
        deps, "record_fanout", lambda: store.record_fanout(ref, status, deps.clock(), dict(counts))
    )
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
    targets = broadcast_targets(event, session, ref)  # the organizer's rooms (jobs/broadcast.py)
    if not participants_wanted(session, ref):
        return targets  # an offset only a broadcast target asked for
    registrations = await _stored(
        deps,
        "registrations_for",
        lambda: deps.store.registrations_for(event.id, session.id),
        ref.start_utc,
    )
    for registration in registrations:
        if not registration.confirmed:
            continue  # double opt-in: nothing goes to an address that has not confirmed
        if not wants_reminder(registration, ref):
            continue  # opted out of this offset on the manage page
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
        token = await _claim(deps, key, ref, registration.id, channel)  # takes dead claims over
        if token:
            await _Claim(deps, key, token).write("skipped", 0, reason)
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
        token = await _claim(deps, key, ref, registration.id, channel_name)
        if not token:
            held = await _stored(deps, "get_delivery", lambda: deps.store.get_delivery(key))
            # another owner's live claim: the catch-up pass comes back if its lease runs out
            return "claimed_elsewhere" if held and held.status == "claimed" else "already_claimed"

        def compose() -> ReminderMessage:
            return _message(deps, event, session, ref, registration, key, sequence)

        # every log line of this delivery names its event, session and delivery id
        with structlog.contextvars.bound_contextvars(
            event_id=ref.event_id, session_id=ref.session_id, delivery=key, channel=channel_name
        ):
            claim = _Claim(deps, key, token)
            outcome = await _attempt_until_done(deps, deps.channels[channel_name], claim, compose)
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
        event=event,
        manage_url=participant_url(
            deps.signing_secret, deps.public_base_url, "manage", registration.id
        ),
        calendar_url=participant_url(
            deps.signing_secret, deps.public_base_url, "calendar", registration.id
        ),
    )


@dataclass
class _Claim:
    """One delivery's claim: its key and fencing token; writes that wait out a store outage."""

    deps: FanoutDeps
    key: str
    token: int
    renewed_at: float = field(default_factory=time.monotonic)

    async def keep(self, attempt: int) -> None:
        """Renew the lease if half of it is gone (a long wait for a connection, a slow send):
        a live owner must never look dead to the catch-up pass."""
        if time.monotonic() - self.renewed_at > self.deps.lease_s / 2:
            await self.write("claimed", attempt, lease_s=self.deps.lease_s)

    async def write(
        self, status: DeliveryStatus, attempt: int, error: str | None = None, **kw: float
    ) -> None:
        """Write an outcome, retried until the store takes it (or the fan-out is cancelled).

        An outcome is a fact (the mail went out): it is kept and written once the store is
        back, never dropped. A stale token raises :class:`ClaimLostError` at once.
        """
        store, now = self.deps.store, self.deps.clock
        if "lease_s" in kw:
            self.renewed_at = time.monotonic()
        await _stored(
            self.deps,
            "record_delivery",
            lambda: store.record_delivery(
                self.key, status, attempt, now(), error, token=self.token, **kw
            ),
        )


async def _attempt_until_done(
    deps: FanoutDeps, channel: Channel, claim: _Claim, compose: Callable[[], ReminderMessage]
) -> str:
    """Send until sent, failed, unknown or expired; each attempt composed afresh."""
    attempt = 0
    # "sending": may have gone out; "sent", "failed", "unknown": the answer, maybe not written
    state = "idle"
    try:
        while True:
            if deps.stopping.is_set():
                await _release(deps, claim.key)  # hand back: the next run sends it
                return "handed_back"
            message = compose()
            if deps.clock() >= message.ref.start_utc:  # right before each send: never after
                note = "the session started before this reminder could be sent"
                await claim.write("expired", attempt, note)
                log.warning("delivery_expired", outcome="expired", attempt=attempt)
                return "expired"
            await claim.keep(attempt)
            attempt += 1
            state = "sending"
            try:
                receipt = await _timed_send(deps, channel, message, first=attempt == 1)
            except TransientDeliveryError as exc:
                state = "idle"
                outcome = await _after_transient(deps, claim, message, attempt, exc)
                if outcome is not None:
                    return outcome
                continue
            except (UnknownDeliveryError, PermanentDeliveryError) as exc:
                state = "unknown" if isinstance(exc, UnknownDeliveryError) else "failed"
                return await _refused(deps, claim, message, attempt, exc)
            state = "sent"
            await claim.write("sent", attempt)
            log.info("reminder_sent", outcome="sent", attempt=attempt, receipt=receipt)
            return "sent"
    except ClaimLostError:
        # this owner was presumed dead (its lease ran out) and another took the key over
        log.warning("delivery_taken_over", attempt=attempt, sent=state == "sent")
        return "taken_over"
    except asyncio.CancelledError:
        await asyncio.shield(_interrupted(deps, claim, attempt, state))
        raise


async def _refused(
    deps: FanoutDeps,
    claim: _Claim,
    message: ReminderMessage,
    attempt: int,
    exc: UnknownDeliveryError | PermanentDeliveryError,
) -> str:
    """Record an answer that ends the delivery: ``unknown`` (may have gone) or ``failed``."""
    if isinstance(exc, UnknownDeliveryError):
        await claim.write("unknown", attempt, str(exc))
        log.warning("delivery_unknown", outcome="unknown", attempt=attempt)
        return "unknown"
    await claim.write("failed", attempt, str(exc))
    log.warning("delivery_failed", outcome="failed", attempt=attempt, permanent=True)
    if isinstance(exc, GoneDeliveryError):  # 410: the receiver asked us to stop
        registration_id = message.registration.id
        await _stored(deps, "disable_webhook", lambda: deps.store.disable_webhook(registration_id))
        log.warning("webhook_disabled", registration=registration_id)
    return "failed"


async def _stored(
    deps: FanoutDeps,
    action: str,
    call: Callable[[], Awaitable[T]],
    until_utc: datetime | None = None,
) -> T:
    """``call()``, waiting out a store outage with capped, jittered backoff.

    Until ``until_utc`` (the session's start: after it there is nothing left to send), or
    without end for writes of what already happened. A taken-over claim is not an outage.
    """
    delay_s = STORE_RETRY_BASE_S
    while True:
        try:
            return await call()
        except ClaimLostError:
            raise
        except StoreError as exc:
            if until_utc is not None and deps.clock() >= until_utc:
                raise
            wait_s = random.uniform(delay_s / 2, delay_s)  # noqa: S311 - jitter, not security
            log.warning("store_retry", action=action, retry_in_s=round(wait_s, 2), error=str(exc))
            await asyncio.sleep(wait_s)
            delay_s = min(delay_s * 2, STORE_RETRY_MAX_S)


async def _claim(
    deps: FanoutDeps, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName
) -> int:
    """Claim with this process's lease; retried over an outage (a claim that landed before
    its reply was lost is ours again: same owner), given up at the session's start."""
    store = deps.store

    def claim() -> Awaitable[int]:
        now = deps.clock()
        return store.claim_lease(
            key, ref, registration_id, channel, now, owner=deps.owner, lease_s=deps.lease_s
        )

    return await _stored(deps, "claim_lease", claim, ref.start_utc)


async def _release(deps: FanoutDeps, key: str) -> None:
    """Hand a claim back; if the store is down, its lease runs out and the catch-up retakes it."""
    try:
        await deps.store.release_delivery(key)
    except StoreError as exc:
        log.warning("delivery_release_failed", error=str(exc))


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


async def _interrupted(deps: FanoutDeps, claim: _Claim, attempt: int, state: str) -> None:
    """Cut off at shutdown: a send that went out is recorded; mid-send it may have gone out
    (not retried); else the claim is handed back. One try each: the process is leaving, and a
    claim left behind is retaken by the catch-up pass once its lease runs out."""
    store, now = deps.store, deps.clock()
    try:
        final = _ANSWERED.get(state)
        if final is not None:  # the channel answered: write that, never "interrupted"
            note = None if final == "sent" else "outcome written while shutting down"
            await store.record_delivery(claim.key, final, attempt, now, note, token=claim.token)
        elif state == "sending":
            note = "interrupted during send at shutdown; not retried to avoid a duplicate"
            await store.record_delivery(claim.key, "failed", attempt, now, note, token=claim.token)
        else:
            await store.release_delivery(claim.key)
    except StoreError as exc:
        log.warning("delivery_interrupted_unrecorded", state=state, error=str(exc))


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
    deps: FanoutDeps,
    claim: _Claim,
    message: ReminderMessage,
    attempt: int,
    exc: TransientDeliveryError,
) -> str | None:
    """Record the failure; wait for the next attempt, or say how the delivery ended."""
    now = deps.clock()
    cap = deps.retry.max_attempts
    if cap is not None and attempt >= cap:
        await claim.write("failed", attempt, str(exc))
        log.warning("delivery_failed", outcome="failed", attempt=attempt, permanent=False)
        return "failed"
    delay_s = _delay_before_start(deps.retry, attempt, exc, message.ref.start_utc - now)
    if delay_s is None:
        await claim.write("expired", attempt, str(exc))
        log.warning("delivery_expired", outcome="expired", attempt=attempt)
        return "expired"
    # the progress note renews the lease past the wait: a live owner is never taken over
    await claim.write("claimed", attempt, str(exc), lease_s=delay_s + deps.lease_s)
    log.info("delivery_retry", attempt=attempt, delay_s=round(delay_s, 2), error=str(exc))
    deps.metrics.retries.labels(claim.key.rsplit("/", 1)[-1]).inc()  # the key ends in its channel
    # the wait gives its send slot back: a few recipients whose server keeps answering 4xx
    # held every slot until the session started, and everyone queued behind them expired
    deps.concurrency.release()
    try:
        async with asyncio.timeout(delay_s):
            await deps.stopping.wait()
    except TimeoutError:
        pass
    finally:
        # shielded: cancelled here, the acquire still lands and balances _deliver's release
        await asyncio.shield(deps.concurrency.acquire())
    return None
