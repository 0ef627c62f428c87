"""Event-loop lag while 10,000 reminder jobs are synced into a real Redis job store.

Run: .venv/bin/python -m benchmarks.bench_sync [--jobs N]
Starts its own redis-server on a free port (never the shared one on 6379), syncs N jobs
through asyncio.to_thread as the daemon does, and prints how late a 5 ms ticker on the loop
ran meanwhile, beside the ceiling we hold. Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

import redis

from notifier.jobs.scheduler import make_jobstore, make_scheduler
from notifier.jobs.sync import JobSpec, apply_jobs, job_kwargs
from notifier.records import ReminderRef

CEILING_P99_LAG_MS = 50.0
CEILING_SYNC_S = 10.0


def _specs(count: int) -> dict[str, JobSpec]:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    specs = {}
    for i in range(count):
        ref = ReminderRef("bench", f"s{i}", start + timedelta(minutes=i), 600)
        job_id = f"bench/s{i}/600"
        specs[job_id] = JobSpec(job_id, ref.start_utc - timedelta(minutes=10), 150, job_kwargs(ref))
    return specs


async def _measure(url: str, count: int) -> tuple[float, list[float]]:
    scheduler = make_scheduler(make_jobstore(url), asyncio.get_running_loop(), lambda kw: None)
    await asyncio.to_thread(scheduler.start, paused=True)
    lags_ms: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.005)
            lags_ms.append((time.perf_counter() - began - 0.005) * 1e3)

    ticker = asyncio.create_task(tick())
    began = time.perf_counter()
    await asyncio.to_thread(apply_jobs, scheduler, _specs(count))
    elapsed = time.perf_counter() - began
    done.set()
    await ticker
    await asyncio.to_thread(scheduler.shutdown, wait=False)
    return elapsed, lags_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    count = parser.parse_args().jobs
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (scripts/test installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(port=port)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            client.close()
            elapsed, lags = asyncio.run(_measure(f"redis://127.0.0.1:{port}/0", count))
        finally:
            server.terminate()
            server.wait()
    lags.sort()
    p99 = lags[int(len(lags) * 0.99) - 1]
    verdict = "ok" if elapsed <= CEILING_SYNC_S else "OVER"
    print(
        f"sync {count} jobs into Redis  {elapsed:6.2f} s  ceiling {CEILING_SYNC_S:.1f} s  {verdict}"
    )
    print(
        f"loop lag meanwhile ({len(lags)} ticks)  median {statistics.median(lags):5.1f} ms  "
        f"p99 {p99:6.1f} ms  max {lags[-1]:6.1f} ms  ceiling p99 {CEILING_P99_LAG_MS:.0f} ms  "
        f"{'ok' if p99 <= CEILING_P99_LAG_MS else 'OVER'}"
    )


if __name__ == "__main__":
    main()
