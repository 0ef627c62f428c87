"""APScheduler's synchronous job stores never run on the event loop (apscheduler #972)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from notifier.jobs.scheduler import make_jobstore, make_scheduler
from notifier.jobs.sync import JobSpec, apply_jobs, job_kwargs
from notifier.records import ReminderRef

START = datetime(2030, 1, 1, tzinfo=UTC)


def _specs(count: int) -> dict[str, JobSpec]:
    specs = {}
    for i in range(count):
        ref = ReminderRef("bulk", f"s{i}", START + timedelta(minutes=i), 600)
        job_id = f"bulk/s{i}/600"
        specs[job_id] = JobSpec(job_id, ref.start_utc - timedelta(minutes=10), 150, job_kwargs(ref))
    return specs


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

    async def around(self, work: Callable[[], object]) -> object:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # let the ticker start before the work does
        try:
            return await work()  # type: ignore[misc]
        finally:
            self._task.cancel()


async def test_syncing_10000_jobs_into_redis_leaves_the_loop_responsive(redis_url: str) -> None:
    """10,000 RedisJobStore writes go through a thread; the loop keeps turning meanwhile."""
    loop = asyncio.get_running_loop()
    scheduler = make_scheduler(
        make_jobstore(redis_url, prefix=f"t{uuid.uuid4().hex}:"), loop, lambda kwargs: None
    )
    await asyncio.to_thread(scheduler.start, paused=True)
    ticker = Ticker()
    try:
        result = await ticker.around(
            lambda: asyncio.to_thread(apply_jobs, scheduler, _specs(10_000))
        )
    finally:
        await asyncio.to_thread(scheduler.shutdown, wait=False)
    assert result.added == 10_000  # type: ignore[attr-defined]
    # a blocked loop would tick 0 times during the sync; it takes well over 100 ticks' time
    assert ticker.ticks >= 20
    print(
        f"\n10,000 jobs synced: {ticker.ticks} loop turns, max lag {ticker.max_lag_s * 1e3:.1f} ms"
    )


async def test_the_same_sync_on_the_loop_would_block_it(redis_url: str) -> None:
    """Control for the test above: the ticker does detect a blocked loop."""
    loop = asyncio.get_running_loop()
    scheduler = make_scheduler(
        make_jobstore(redis_url, prefix=f"t{uuid.uuid4().hex}:"), loop, lambda kwargs: None
    )
    await asyncio.to_thread(scheduler.start, paused=True)
    ticker = Ticker()

    async def on_the_loop() -> object:
        return apply_jobs(scheduler, _specs(300))  # what AsyncIOScheduler would do

    try:
        await ticker.around(on_the_loop)
    finally:
        await asyncio.to_thread(scheduler.shutdown, wait=False)
    assert ticker.ticks == 0
