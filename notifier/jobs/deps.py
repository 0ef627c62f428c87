"""What every fan-out step shares: the process's deps, the retry policy, and store calls that
wait out an outage.

Made once per process by the service's root; :mod:`notifier.jobs.fanout` walks an audience,
:mod:`notifier.jobs.deliver` sends one delivery, :mod:`notifier.jobs.outcomes` batches their
writes, and all of them reach the store through :func:`stored`.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import structlog

from notifier.channels.base import Channel
from notifier.errors import ClaimLostError, StoreError
from notifier.jobs.ahead import DueFirst
from notifier.metrics import Metrics
from notifier.records import ChannelName, ReminderRef
from notifier.store.base import Store

log = structlog.get_logger("notifier.fanout")
T = TypeVar("T")
STORE_RETRY_BASE_S = 0.2  # a store outage: first wait, doubling up to STORE_RETRY_MAX_S
STORE_RETRY_MAX_S = 5.0
PAGE_SIZE = 500  # registrations read, claimed and recorded per round trip


def _always_planned(ref: ReminderRef) -> bool:
    return True


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


class FirstAttempts:
    """How many first attempts are queued for a send slot right now.

    A retry takes its slot back only when none is queued: first attempts go first. Without this
    a fan-out's page loop, one waiter among hundreds of retriers cycling through short backoffs,
    got about one slot in N, and a few greylisting servers kept everyone else waiting.
    """

    def __init__(self) -> None:
        self._queued = 0
        self._none = asyncio.Event()
        self._none.set()

    @contextmanager
    def queued(self) -> Iterator[None]:
        self._queued += 1
        self._none.clear()
        try:
            yield
        finally:
            self._queued -= 1
            if self._queued == 0:
                self._none.set()

    async def none_queued(self) -> None:
        await self._none.wait()


class Unwritten:
    """Outcomes of sends that gave their slot back and still wait for the store, counted for
    the whole process (every fan-out and shared chunk of it): past ``limit``, a send keeps its
    slot until its outcome is written. A store outage thus stops sending after at most
    ``limit`` sends whose outcome is only in memory, and a crash can resend at most the sends
    in flight (``concurrency``) plus ``limit``: the at-least-once bound in the README."""

    LIMIT = 64

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.count = 0

    def has_room(self) -> bool:
        return self.count < self.limit


class SendSlot:
    """One send's hold on ``FanoutDeps.concurrency``, given back once: when the channel has
    answered and only the outcome's store write is left (:meth:`OutcomeWriter.has_room`
    permitting), or when the send's task ends.

    A slot held through the outcome's write kept a webhook connection idle for a store round
    trip (an fsync on SQLite) after every send: half the webhook fan-out's throughput.
    """

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._semaphore.release()


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
    page_size: int = PAGE_SIZE  # the audience is read, claimed and recorded this many at a time
    first_attempts: FirstAttempts = field(default_factory=FirstAttempts)
    unwritten: Unwritten = field(default_factory=Unwritten)
    # prepare ahead (jobs/ahead.py): jobs fire this early and sends wait for the due instant
    prepare_ahead_s: float = 0.0
    due_first: DueFirst = field(default_factory=DueFirst)  # sends due now before later work
    # whether the running config still plans a reminder (the service sets it): a session moved
    # during the prepare-ahead wait is not sent at its old instant
    planned: Callable[[ReminderRef], bool] = _always_planned


async def stored(
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
