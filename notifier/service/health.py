"""Is this process fit to serve: the store keeps what it is given, the clocks agree, and every
background task is alive (#12).

* **Persistence.** A Redis store must log every write (AOF); a volatile one is refused at start
  unless ``redis_allow_volatile`` says it is a trial, and reported while running.
* **The marker.** Each check adds one to a counter kept in the store (``marker``). It only
  grows, so a value at or below the last one this process saw means the store lost writes: it
  came back empty or from an older snapshot. That is logged (``store_data_lost``), set in
  ``notifier_store_data_lost``, and fails ``/readyz`` until the process restarts; the service
  rebuilds its jobs from the event files at once.
* **One clock.** With Redis, due and lateness decisions read :class:`StoreClock`: the local
  clock plus the offset to the server's ``TIME``, measured at every check. A host whose clock is
  off by more than ``max_clock_skew_s`` fails readiness.
* **Beats.** Each background task beats after every pass that succeeded; one whose last beat
  is older than ``BEAT_MISSES`` periods (at least ``BEAT_FLOOR_S``) fails readiness, and
  ``notifier_task_last_beat_seconds{task}`` shows when each last beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from prometheus_client import CollectorRegistry, Gauge

from notifier.errors import StoreError
from notifier.settings import Settings

log = structlog.get_logger("notifier.health")
Clock = Callable[[], datetime]
BEAT_MISSES = 3  # periods a task may miss before readiness fails
BEAT_FLOOR_S = 10.0  # a task with a short period may still take this long for one pass
RESTART_BASE_S = 0.5  # a crashed background task is started again after this, doubling
RESTART_MAX_S = 30.0


class StoreProbe(Protocol):
    """What a store that can be checked answers (the Redis store)."""

    async def persistence(self) -> bool: ...

    async def server_time(self) -> datetime: ...

    async def bump_marker(self) -> int: ...


class StoreClock:
    """The store's clock read locally: ``local() + offset``, the offset measured by
    :meth:`refresh` against the server's ``TIME`` (half the round trip allowed for).
    A plain callable, like every clock the service takes."""

    def __init__(self, local: Clock) -> None:
        self.local = local
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.local() + self.offset

    async def refresh(self, probe: StoreProbe) -> timedelta:
        before = self.local()
        server = await probe.server_time()
        after = self.local()
        self.offset = server - (before + (after - before) / 2)
        return self.offset


@dataclass
class _Beat:
    period_s: float
    at_monotonic: float


class Health:
    """The checks above, for one process; :meth:`checks` is what ``/readyz`` reports."""

    def __init__(
        self,
        settings: Settings,
        registry: CollectorRegistry,
        probe: StoreProbe | None = None,
        clock: StoreClock | None = None,
    ) -> None:
        self._settings = settings
        self._probe = probe
        self._clock = clock
        self._beats: dict[str, _Beat] = {}
        self.persistent: bool | None = None  # None: not a store that can tell
        self.data_lost = False
        self.skew_s = 0.0
        self._marker: int | None = None
        self._last_beat = Gauge(
            "notifier_task_last_beat_seconds",
            "When each background task last finished a pass (Unix time).",
            ["task"],
            registry=registry,
        )
        self._lost = Gauge(
            "notifier_store_data_lost",
            "1 once the store was seen to have lost writes (empty or rolled back).",
            registry=registry,
        )
        self._skew = Gauge(
            "notifier_clock_skew_seconds",
            "This host's clock minus the store's (Redis TIME).",
            registry=registry,
        )

    # -- beats -------------------------------------------------------------------------
    def watch(self, task: str, period_s: float) -> None:
        """Expect ``task`` to beat every ``period_s`` from now on."""
        self._beats[task] = _Beat(period_s, time.monotonic())
        self._last_beat.labels(task).set(time.time())

    def beat(self, task: str) -> None:
        """``task`` finished a pass; safe from any thread."""
        beat = self._beats.get(task)
        if beat is not None:
            beat.at_monotonic = time.monotonic()
            self._last_beat.labels(task).set(time.time())

    def stale_tasks(self) -> list[str]:
        now = time.monotonic()
        return [
            task
            for task, beat in self._beats.items()
            if now - beat.at_monotonic > max(BEAT_MISSES * beat.period_s, BEAT_FLOOR_S)
        ]

    # -- the store ---------------------------------------------------------------------
    async def check_store(self) -> bool:
        """Persistence, marker and clock; True if this check found writes lost.

        Raises :class:`StoreError` when the store does not answer (the caller retries)."""
        if self._probe is None:
            return False
        persistent = await self._probe.persistence()
        if not persistent and self.persistent is not False:
            event = log.warning if self._settings.redis_allow_volatile else log.error
            event("store_not_persistent", allowed=self._settings.redis_allow_volatile)
        self.persistent = persistent
        lost = self._check_marker(await self._probe.bump_marker())
        if self._clock is not None:
            self._check_skew((await self._clock.refresh(self._probe)).total_seconds())
        return lost

    def _check_marker(self, marker: int) -> bool:
        seen, self._marker = self._marker, marker
        if seen is None or marker > seen:
            return False
        self.data_lost = True
        self._lost.set(1)
        log.error(
            "store_data_lost",
            how="came back empty" if marker == 1 else "rolled back to an older state",
            marker=marker,
            last_seen=seen,
            action="jobs rebuilt from the event files; registrations and the delivery log"
            " since the last persisted write are gone: restore them (README, 'Store loss')",
        )
        return True

    def _check_skew(self, offset_s: float) -> None:
        was_ok = abs(self.skew_s) <= self._settings.max_clock_skew_s
        self.skew_s = -offset_s  # local minus store
        self._skew.set(self.skew_s)
        if was_ok and abs(self.skew_s) > self._settings.max_clock_skew_s:
            log.error(
                "clock_skewed",
                skew_s=round(self.skew_s, 3),
                max_s=self._settings.max_clock_skew_s,
                action="due times follow the store's clock; fix this host's time sync",
            )

    def checks(self) -> dict[str, bool]:
        """Named checks for ``/readyz``: all must hold for the process to be ready."""
        results: dict[str, bool] = {}
        if self._probe is not None:
            results["store_persistent"] = bool(
                self.persistent or self._settings.redis_allow_volatile
            )
            results["store_data_intact"] = not self.data_lost
            results["clock_skew"] = abs(self.skew_s) <= self._settings.max_clock_skew_s
        stale = set(self.stale_tasks())
        for task in self._beats:
            results[f"task_{task}"] = task not in stale
        return results


def refuse_volatile(settings: Settings, health: Health) -> None:
    """At start: a Redis without AOF loses everything on restart; say so and stop."""
    if health.persistent is False and not settings.redis_allow_volatile:
        raise StoreError(
            "the redis store does not persist its writes (appendonly no): a restart would lose"
            " every registration; run it with --appendonly yes (docker-compose.yml does), or"
            " set NOTIFIER_REDIS_ALLOW_VOLATILE=true for a trial"
        )


async def supervise(task: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run ``run`` until ``stop``; if it raises or ends early, log it and start it again
    (backoff doubling to ``RESTART_MAX_S``): no background task ends silently."""
    delay_s = RESTART_BASE_S
    while not stop.is_set():
        try:
            await run()
        except Exception as exc:
            log.error(
                "background_task_crashed",
                task=task,
                error=f"{type(exc).__name__}: {exc}"[:500],
                restart_in_s=delay_s,
            )
        else:
            if stop.is_set():
                return
            log.error("background_task_ended", task=task, restart_in_s=delay_s)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay_s):
                await stop.wait()
        delay_s = min(delay_s * 2, RESTART_MAX_S)
