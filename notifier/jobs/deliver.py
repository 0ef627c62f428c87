"""One delivery, from its claim to its recorded outcome.

Transient failures are retried with capped, jittered backoff until the session's start (or an
optional ``max_attempts``); nothing is sent once the session has begun (checked right before
each attempt); every outcome lands in the delivery log through the fan-out's
:class:`~notifier.jobs.outcomes.OutcomeWriter`: ``sent``, ``failed`` (permanent, or the optional
cap used up), ``expired`` (the session started first) or ``unknown`` (the message data went out
and the final reply never came: not resent blindly). The lease is renewed at each retry; a
write whose token was taken over is refused, not applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import cast

import structlog

from notifier.channels.base import Channel, Preparing, ReminderMessage
from notifier.errors import (
    ClaimLostError,
    DeliveryError,
    GoneDeliveryError,
    PermanentDeliveryError,
    StoreError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from notifier.events import Event, Session
from notifier.jobs.ahead import due_utc, hold_until_due, stamp_utc
from notifier.jobs.deps import FanoutDeps, RetryPolicy, SendSlot, stored
from notifier.jobs.outcomes import OutcomeWriter
from notifier.records import (
    ChannelName,
    DeliveryStatus,
    DeliveryWrite,
    Registration,
    ReminderRef,
    delivery_key,
)
from notifier.signing import make_token, participant_url

log = structlog.get_logger("notifier.fanout")
# a channel's answer still to be written when a fan-out is cut off
_ANSWERED: dict[str, DeliveryStatus] = {"sent": "sent", "failed": "failed", "unknown": "unknown"}


@dataclass(frozen=True)
class Target:
    """One delivery of a fan-out: who, on which channel, and the claim's fencing token."""

    registration: Registration
    channel: ChannelName
    token: int
    # when the batch claim was made (monotonic): the lease runs from here, not from the send
    claimed_at: float = field(default_factory=time.monotonic)


async def deliver(
    deps: FanoutDeps,
    writer: OutcomeWriter,
    event: Event,
    session: Session,
    ref: ReminderRef,
    target: Target,
    sequence: int,
    slot: SendSlot | None = None,
) -> str:
    """Send one claimed delivery until it ends; its outcome name. The caller holds a slot
    (``slot``: one this send may give back once the channel has answered)."""
    registration, channel_name = target.registration, target.channel
    key = delivery_key(ref, registration.id, channel_name)

    def compose() -> ReminderMessage:
        return _message(deps, event, session, ref, registration, key, sequence)

    # every log line of this delivery names its event, session and delivery id; undone with
    # the tokens (bound_contextvars copied every bound variable to restore them: ~20 us)
    tokens = structlog.contextvars.bind_contextvars(
        event_id=ref.event_id, session_id=ref.session_id, delivery=key, channel=channel_name
    )
    try:
        claim = _Claim(deps, writer, key, target.token, target.claimed_at, slot)
        channel = deps.channels[channel_name]
        outcome = await _attempt_until_done(deps, channel, claim, compose, due_utc(ref))
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    deps.metrics.delivered(channel_name, outcome).inc()
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
        now_utc=stamp_utc(deps, ref),
        unsubscribe_url=f"{deps.public_base_url.rstrip('/')}/unsubscribe/{token}",
        sequence=sequence,
        event=event,
        # the participant's own page and calendar feed: signed links in the mail and payload
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
    writer: OutcomeWriter
    key: str
    token: int
    renewed_at: float = field(default_factory=time.monotonic)
    slot: SendSlot | None = None  # this send's hold on the concurrency (None: the caller's)

    def answered(self) -> None:
        """The channel answered for good: the slot may serve the next send while the
        outcome is written (unless too many outcomes already wait for the store)."""
        if self.slot is not None and self.writer.has_room():
            self.slot.release()

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
        lease_s = kw.get("lease_s")
        if lease_s is not None:
            self.renewed_at = time.monotonic()
        write = DeliveryWrite(self.key, status, attempt, error, self.token, lease_s)
        await self.writer.write(write)


async def _attempt_until_done(
    deps: FanoutDeps,
    channel: Channel,
    claim: _Claim,
    compose: Callable[[], ReminderMessage],
    due: datetime,
) -> str:
    """Send until sent, failed, unknown or expired; each attempt composed afresh (the first
    one after the sends due before ``due``, if composed ahead)."""
    attempt = 0
    # "sending": may have gone out; "sent", "failed", "unknown": the answer, maybe not written
    state = "idle"
    try:
        await deps.due_first.turn(deps, due)  # composed ahead: once sends due before it are out
        while True:
            if deps.stopping.is_set():
                await release(deps, claim.key)  # hand back: the next run sends it
                return "handed_back"
            await claim.keep(attempt)  # the last store write before the send: may be slow
            message = compose()
            send = _sender(deps, channel, message)  # composed here: before the wait, if any
            if attempt == 0 and (held := await hold_until_due(deps, message.ref)) is not None:
                await release(deps, claim.key)  # not sent: the claim goes back
                return held
            # after the last store write and right before the send (nothing awaited between),
            # so a slow store can never let a send start once the session has begun
            if deps.clock() >= message.ref.start_utc:
                note = "the session started before this reminder could be sent"
                await claim.write("expired", attempt, note)
                log.warning("delivery_expired", outcome="expired", attempt=attempt)
                return "expired"
            attempt += 1
            state = "sending"
            try:
                receipt = await _timed_send(deps, channel, message, send, first=attempt == 1)
            except TransientDeliveryError as exc:
                state = "idle"
                outcome = await _after_transient(deps, claim, message, attempt, exc)
                if outcome is not None:
                    return outcome
                continue
            except (UnknownDeliveryError, PermanentDeliveryError) as exc:
                state = "unknown" if isinstance(exc, UnknownDeliveryError) else "failed"
                claim.answered()
                return await _refused(deps, claim, message, attempt, exc)
            state = "sent"
            claim.answered()
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
        await stored(deps, "disable_webhook", lambda: deps.store.disable_webhook(registration_id))
        log.warning("webhook_disabled", registration=registration_id)
    return "failed"


async def release(deps: FanoutDeps, key: str) -> None:
    """Hand a claim back; if the store is down, its lease runs out and the catch-up retakes it."""
    try:
        await deps.store.release_delivery(key)
    except StoreError as exc:
        log.warning("delivery_release_failed", error=str(exc))


def _sender(
    deps: FanoutDeps, channel: Channel, message: ReminderMessage
) -> Callable[[], Awaitable[str]]:
    """The send of ``message``, composed now if the channel can (``Preparing``), and its
    connection opened meanwhile if it is composed ahead of its due instant."""
    if _prepares(type(channel)):
        preparing = cast(Preparing, channel)
        if deps.prepare_ahead_s > 0 and deps.clock() < due_utc(message.ref):
            preparing.warm()
        try:
            return preparing.prepare(message)
        except DeliveryError:
            pass  # raised again by the send itself, where every outcome is handled
    return partial(channel.send, message)


@lru_cache(maxsize=16)
def _prepares(kind: type[Channel]) -> bool:
    """Whether a channel class is :class:`Preparing`, asked once per class: ``isinstance``
    against a runtime-checkable protocol walks its members, 13 us a delivery (5% of a webhook
    fan-out's CPU)."""
    return issubclass(kind, Preparing)


async def _timed_send(
    deps: FanoutDeps,
    channel: Channel,
    message: ReminderMessage,
    send: Callable[[], Awaitable[str]],
    *,
    first: bool,
) -> str:
    """One attempt, measured: its duration, and on the first one how late it went out."""
    if first:
        due = message.ref.start_utc - message.offset
        deps.metrics.lateness_seconds.observe(max(0.0, (deps.clock() - due).total_seconds()))
    began = time.perf_counter()
    try:
        if not first:
            return await send()
        with deps.due_first.sending():  # due now: work for later instants waits for its answer
            return await send()
    finally:
        deps.metrics.send_duration(channel.name).observe(time.perf_counter() - began)


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


async def _retake_slot(deps: FanoutDeps) -> None:
    """A retry's slot, once no first attempt is queued for one: first attempts go first."""
    await deps.first_attempts.none_queued()
    await deps.concurrency.acquire()


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
        # shielded: cancelled here, the acquire still lands and balances the release made
        # when this send's task ends
        await asyncio.shield(_retake_slot(deps))
    return None
