"""APScheduler's synchronous job stores never run on the event loop (apscheduler #972), and
their writes never stand between a due job and the loop."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from notifier.jobs.scheduler import make_jobstore, make_scheduler
from notifier.jobs.sync import JobSpec, apply_jobs, job_kwargs
from notifier.records import ReminderRef
from tests.support.waiting import until

START = datetime(2030, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def _specs(count: int) -> dict[str, JobSpec]:
    specs = {}
    for i in range(count):
        ref = ReminderRef("bulk", f"s{i}", START + timedelta(minutes=i), 600)
        job_id = f"bulk/s{i}/600"
        specs[job_id] = JobSpec(job_id, ref.start_utc - timedelta(minutes=10), 150, job_kwargs(ref))
    return specs


async def _shut_down(scheduler: BackgroundScheduler, jobstore: BaseJobStore) -> None:
    """Stop the scheduler, then close the store's connections once its thread has ended.

    APScheduler 3's thread checks for due jobs once more after ``shutdown`` closed the store,
    which opens a new Redis connection; left open, it would be reported in a later test.
    """
    await asyncio.to_thread(scheduler.shutdown, wait=False)  # joins the scheduler's thread
    await asyncio.to_thread(jobstore.shutdown)


class Ticker:
    """Counts loop turns and the worst lag of a 5 ms sleep while something else runs."""

    def __init__(self) -> None:
        self.ticks = 0
        self.max_lag_s = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.005)
            self.max_lag_s = max(self.max_lag_s, time.perf_counter() - began - 0.005)
            self.ticks += 1

    async def around(self, work: Callable[[], Awaitable[T]]) -> T:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # let the ticker start before the work does
        try:
            return await work()
        finally:
            self._task.cancel()


async def test_syncing_10000_jobs_into_redis_leaves_the_loop_responsive(redis_url: str) -> None:
    """10,000 RedisJobStore writes go through a thread; the loop keeps turning meanwhile."""
    jobstore = make_jobstore(redis_url, prefix=f"t{uuid.uuid4().hex}:")
    scheduler = make_scheduler(jobstore, asyncio.get_running_loop(), lambda kwargs: None)
    await asyncio.to_thread(scheduler.start, paused=True)
    ticker = Ticker()
    try:
        result = await ticker.around(
            lambda: asyncio.to_thread(apply_jobs, scheduler, _specs(10_000))
        )
    finally:
        await _shut_down(scheduler, jobstore)
    assert result.added == 10_000
    # a blocked loop would tick 0 times during the sync; it takes well over 100 ticks' time
    assert ticker.ticks >= 20
    print(
        f"\n10,000 jobs synced: {ticker.ticks} loop turns, max lag {ticker.max_lag_s * 1e3:.1f} ms"
    )


async def test_the_same_sync_on_the_loop_would_block_it(redis_url: str) -> None:
    """Control for the test above: the ticker does detect a blocked loop."""
    jobstore = make_jobstore(redis_url, prefix=f"t{uuid.uuid4().hex}:")
    scheduler = make_scheduler(jobstore, asyncio.get_running_loop(), lambda kwargs: None)
    await asyncio.to_thread(scheduler.start, paused=True)
    ticker = Ticker()

    async def on_the_loop() -> object:
        return apply_jobs(scheduler, _specs(300))  # what AsyncIOScheduler would do

    try:
        await ticker.around(on_the_loop)
    finally:
        await _shut_down(scheduler, jobstore)
    assert ticker.ticks == 0


class _GatedRemovals(MemoryJobStore):  # type: ignore[misc]  # APScheduler ships no type hints
    """APScheduler's memory store (not ours) whose removals wait for :attr:`gate`: a job store
    write that is slow, as Redis or SQLite from the scheduler's thread under load."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def remove_job(self, job_id: str) -> None:
        self.gate.wait(timeout=30)
        super().remove_job(job_id)


async def test_jobs_due_together_reach_the_loop_before_the_first_leaves_the_job_store() -> None:
    """Ten reminders due at 09:00 go out together: APScheduler's pass handed each over only
    after the previous one's removal, 200 ms apart under load (issue #15, due → send)."""
    fired: list[dict[str, object]] = []
    jobstore = _GatedRemovals()
    scheduler = make_scheduler(jobstore, asyncio.get_running_loop(), fired.append)
    await asyncio.to_thread(scheduler.start, paused=True)
    due = datetime.now(UTC) - timedelta(seconds=1)
    specs = {
        f"now/s{i}/600": JobSpec(f"now/s{i}/600", due, 150, job_kwargs(ref))
        for i, ref in enumerate(
            ReminderRef("now", f"s{i}", due + timedelta(minutes=10), 600) for i in range(5)
        )
    }
    try:
        await asyncio.to_thread(apply_jobs, scheduler, specs)
        await asyncio.to_thread(scheduler.resume)
        await until(lambda: len(fired) == len(specs), timeout_s=10, what=lambda: f"{fired}")
        assert sorted(str(kwargs["session_id"]) for kwargs in fired) == [f"s{i}" for i in range(5)]
    finally:
        jobstore.gate.set()
        await _shut_down(scheduler, jobstore)
    assert jobstore.get_all_jobs() == []  # the pass removed each
    assert len(fired) == len(specs)  # and did not hand it over a second time
