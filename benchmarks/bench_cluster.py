"""Claims and outcomes per second: one redis-server against a three-master Redis Cluster.

Run: .venv/bin/python -m benchmarks.bench_cluster [--deliveries N] [--concurrency C]
Starts its own redis-server and its own cluster (three ``--cluster-enabled`` masters joined by
``redis-cli --cluster create``; the tests' helpers) on free ports, never the shared one on
6379. For each store it claims N deliveries with a lease and records each sent (the two
store calls a fan-out makes per message), C at a time, over 12 events (so the cluster spreads
them over its masters), and prints the rate and per-call latency beside the ceiling we hold.
Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/support: one copy

from notifier.records import ReminderRef, delivery_key
from notifier.store import open_store
from tests.support.cluster import RedisClusterNodes, find_redis_cli
from tests.support.processes import Children
from tests.support.redis import RedisServer, find_redis_server

CEILING_P99_MS = 50.0  # one claim or outcome, 20 in flight, 2 cores shared with other work
FLOOR_RATIO = 0.5  # the cluster's rate at least half the single server's
NOW = datetime(2030, 1, 1, tzinfo=UTC)
EVENTS = 12


async def _run(url: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    store = await open_store(url)
    latencies_ms: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        ref = ReminderRef(f"event-{n % EVENTS}", "talk", NOW, 600)
        key = delivery_key(ref, f"r{n}", "email")
        async with gate:
            began = time.perf_counter()
            await store.claim_lease(key, ref, f"r{n}", "email", NOW, owner="bench", lease_s=60)
            middle = time.perf_counter()
            await store.record_delivery(key, "sent", 1, NOW, token=1)
            ended = time.perf_counter()
        latencies_ms.extend([(middle - began) * 1e3, (ended - middle) * 1e3])

    try:
        await store.ping()  # connected and layout checked before the clock starts
        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return time.perf_counter() - began, latencies_ms
    finally:
        await store.aclose()


def _report(name: str, count: int, elapsed: float, latencies_ms: list[float]) -> float:
    rate = count / elapsed
    p99 = statistics.quantiles(latencies_ms, n=100)[98]
    print(
        f"{name:<8} {count} deliveries in {elapsed:.2f} s: {rate:,.0f}/s;"
        f" per call p50 {statistics.median(latencies_ms):.2f} ms, p99 {p99:.2f} ms"
        f" (ceiling {CEILING_P99_MS:.0f} ms)"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    options = parser.parse_args()
    with Children() as children, tempfile.TemporaryDirectory() as folder:
        single = RedisServer(find_redis_server(), Path(folder), children)
        single.start()
        (Path(folder) / "cluster").mkdir()
        cluster_folder = Path(folder) / "cluster"
        cluster = RedisClusterNodes(find_redis_server(), find_redis_cli(), cluster_folder, children)
        cluster.start()
        rates = {}
        for name, url in (("single", single.url), ("cluster", cluster.url)):
            elapsed, latencies = asyncio.run(_run(url, options.deliveries, options.concurrency))
            rates[name] = _report(name, options.deliveries, elapsed, latencies)
        ratio = rates["cluster"] / rates["single"]
        print(f"cluster rate / single rate: {ratio:.2f} (floor {FLOOR_RATIO:.1f})")


if __name__ == "__main__":
    main()
