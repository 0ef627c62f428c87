"""Replicas sharing the work: the leader lease, and the loop that takes chunks (#12.6).

* **Leader.** Every replica tries to hold the lease every third of ``leader_lease_s``; the
  holder runs the scheduler and the catch-up pass, the others keep them paused. A holder that
  cannot renew (or has not renewed for a whole lease, e.g. it was paused) stops scheduling at
  once: :meth:`Leadership.leading` is checked before every firing and catch-up pass, so a
  replica woken from a pause does not fire a job it no longer owns. Each term has a fencing
  token (from ``INCR``); fan-out rounds are begun with it, and a round begun by a newer token
  fences off an older holder's. The loop beats ``leader`` in ``/readyz``.
* **Chunks.** Every replica (the leader too) delivers up to ``CHUNKS_AT_ONCE`` chunks at a
  time, taking the next from the queue as soon as one is done, and marks them done; every
  ``work_poll_s`` it also takes over chunks another replica left idle for
  ``2 × claim_lease_s`` (it died): by then that replica's claims
  have run out too, so they are taken over with new tokens and its late writes are refused.
  A chunk being worked on is touched every ``claim_lease_s / 2``; the loop beats ``consume``.

With the embedded store the lease is always this process's and the queue is in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from notifier.errors import StoreError
from notifier.jobs.ahead import due_utc
from notifier.jobs.shared import deliver_chunk
from notifier.records import Chunk
from notifier.store.work import LeaderLease, WorkItem, WorkQueue

if TYPE_CHECKING:  # the runtime's Service; imported for types only
    from notifier.service.runtime import Service

log = structlog.get_logger("notifier.service")
CHUNKS_AT_ONCE = 8
AHEAD_MAX = 64  # first chunks waiting for their due instant, beyond CHUNKS_AT_ONCE


class Leadership:
    """This replica's term as leader: its fencing token (0: not leading) and when the lease
    was last renewed."""

    def __init__(self, lease: LeaderLease, owner: str, lease_s: float) -> None:
        self.lease, self.owner, self.lease_s = lease, owner, lease_s
        self.token = 0
        self._renewed_at = 0.0

    def leading(self) -> bool:
        """Holding the lease, renewed less than a lease ago (by this host's monotonic clock)."""
        return bool(self.token) and time.monotonic() - self._renewed_at < self.lease_s

    async def renew(self) -> tuple[bool, bool]:
        """Take or renew the lease; (leading now, changed since the last call)."""
        was = self.leading()
        asked_at = time.monotonic()
        try:
            token = await self.lease.hold(self.owner, self.lease_s)
        except StoreError as exc:
            log.warning("leader_renew_failed", error=str(exc)[:300])
            token = 0  # unsure: step down at once rather than schedule beside another
        if token:
            self._renewed_at = asked_at
        if token and not was:
            log.info("leader_acquired", token=token)
        elif was and not token:
            log.warning("leader_lost", token=self.token)
        self.token = token
        return bool(token), bool(token) != was

    async def release(self) -> None:
        """At shutdown: let another replica take over at once instead of after the lease."""
        if self.token:
            with contextlib.suppress(StoreError):
                await self.lease.release(self.owner)
            self.token = 0


async def lead_forever(service: Service, on_change: Callable[[bool], Awaitable[None]]) -> None:
    """Hold the lease until stop; ``on_change(leading)`` whenever leadership changes."""
    leadership = service.leadership
    renew_s = leadership.lease_s / 3
    service.health.watch("leader", renew_s)
    try:
        while not service.stop.is_set():
            leading, changed = await leadership.renew()
            if changed:
                await on_change(leading)
            service.health.beat("leader")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(renew_s):
                    await service.stop.wait()
    finally:
        await asyncio.shield(leadership.release())


class _Running:
    """The chunks this replica is delivering, and the first error one of them ended with."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.failed: list[BaseException] = []
        self._chunks: dict[asyncio.Task[None], Chunk] = {}

    def start(self, service: Service, queue: WorkQueue, item: WorkItem) -> None:
        task = asyncio.create_task(_run_chunk(service, queue, item))
        self.tasks.add(task)
        self._chunks[task] = item.chunk
        task.add_done_callback(self._finished)

    def busy(self, now: datetime) -> int:
        """Chunks that count against ``CHUNKS_AT_ONCE``: all but the first chunks (short, one
        per fan-out) prepared ahead and waiting for their due instant, up to ``AHEAD_MAX`` of
        them. Ten reminders due each second, prepared a second ahead, held all eight places
        while they waited, and the next second's were prepared late (issue #15)."""
        waiting = sum(1 for c in self._chunks.values() if not c.after_id and due_utc(c.ref) > now)
        return len(self.tasks) - min(waiting, AHEAD_MAX)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._chunks.pop(task, None)
        if not task.cancelled() and (error := task.exception()) is not None:
            self.failed.append(error)

    def check(self) -> None:
        """Raise a chunk's error here, as the batch's gather did: the supervisor logs it and
        starts the loop again (the other chunks go on)."""
        if self.failed:
            raise self.failed[0]


async def consume_forever(service: Service) -> None:
    """Take chunks (new ones, and a dead replica's) and deliver them, until stop.

    Up to ``CHUNKS_AT_ONCE`` run at a time, and a chunk is taken as soon as one finishes:
    waiting for a whole batch held a reminder due with another behind that one's send (the
    due → send benchmark's p99, issue #15)."""
    queue, poll_s = service.queue, service.settings.work_poll_s
    service.health.watch("consume", poll_s)
    running = _Running()
    try:
        while not service.stop.is_set():
            running.check()
            room = CHUNKS_AT_ONCE - running.busy(service.deps.clock())
            if room <= 0:
                await asyncio.wait(
                    running.tasks, timeout=poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                service.health.beat("consume")
                continue
            items = await _take(service, queue, room)
            if service.stop.is_set():  # taken as the process began to stop: back for the others
                for item in items:
                    await queue.hand_back(item)
                break
            for item in items:
                running.start(service, queue, item)
        await asyncio.gather(*running.tasks)  # stopping: they hand back what was not attempted
    except asyncio.CancelledError:
        for task in running.tasks:  # cancelled after the drain: so are they
            task.cancel()
        raise


async def _take(service: Service, queue: WorkQueue, count: int) -> list[WorkItem]:
    """Chunks a dead replica left idle, else new ones (waiting up to ``work_poll_s``)."""
    deps = service.deps
    items = await queue.reclaim(deps.owner, 2 * deps.lease_s, count)
    for item in items:
        log.info("chunk_taken_over", reminder=item.chunk.ref.key, after=item.chunk.after_id)
    if not items:
        items = await queue.take(deps.owner, count, service.settings.work_poll_s)
    service.health.beat("consume")
    return items


async def _run_chunk(service: Service, queue: WorkQueue, item: WorkItem) -> None:
    """One chunk, as a task the drain waits for, touched while it runs."""
    deps = service.deps
    work = asyncio.create_task(deliver_chunk(deps, queue, item, service.lookup))
    name = f"chunk:{item.entry_id}"
    service.in_flight[name] = work
    touch_s = deps.lease_s / 2
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=touch_s)
            if not work.done():
                with contextlib.suppress(StoreError):
                    await queue.touch(deps.owner, item)
                service.health.beat("consume")
        work.result()
    finally:
        service.in_flight.pop(name, None)
