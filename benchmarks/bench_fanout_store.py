"""The fan-out's store work: claims one by one vs in batches, and the memory of reading an
audience in pages vs as one list, each beside the raw client's ceiling (#15.2, #15.3).

Run: .venv/bin/python -m benchmarks.bench_fanout_store [--claims N] [--people N]
Both stores: SQLite in a temporary folder, Redis on its own redis-server on a free port (never
the shared one on 6379). Claims: ``claim_lease`` per key, ``claim_leases`` per page of 500, and
the raw ceiling (aiosqlite: one INSERT per transaction / one transaction of 500; redis-py:
one SET NX per round trip / a pipeline of 500). Memory: peak RSS of a child process that
walks N registrations with ``registration_page`` or loads them with ``list_registrations``,
beside the raw ceiling (every row or value fetched with the plain client). Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import redis
from redis.asyncio import Redis

from benchmarks.rss import peak_rss_mib
from notifier.records import ChannelName, Registration, ReminderRef, delivery_key
from notifier.store import Store, open_store
from notifier.store._codec import registration_record
from notifier.store._redis_layout import RedisKeys, text
from notifier.store._sqlite_schema import INSERT_REGISTRATION
from notifier.store.sqlite import registration_row

PAGE = 500
NOW = datetime(2030, 1, 1, tzinfo=UTC)
EVENT = "bench"


def _ref(label: str) -> ReminderRef:
    return ReminderRef(EVENT, label, NOW + timedelta(days=1), 600)


async def _rate(count: int, work: Callable[[], Awaitable[None]]) -> float:
    began = time.perf_counter()
    await work()
    return count / (time.perf_counter() - began)


async def _claims(url: str, count: int) -> dict[str, float]:
    """Claims per second: single, batched (the store) and the raw client's ceiling."""
    store = await open_store(url)
    ids = [f"r{i:06d}" for i in range(count)]
    single, batched = _ref("single"), _ref("batched")

    async def one_by_one() -> None:
        for rid in ids:
            key = delivery_key(single, rid, "email")
            await store.claim_lease(key, single, rid, "email", NOW, owner="b", lease_s=60)

    async def in_pages() -> None:
        for start in range(0, count, PAGE):
            pairs: list[tuple[str, ChannelName]] = [(r, "email") for r in ids[start : start + PAGE]]
            await store.claim_leases(batched, pairs, NOW, owner="b", lease_s=60)

    figures = {
        "store, one claim a round trip": await _rate(count, one_by_one),
        "store, claim_leases of 500": await _rate(count, in_pages),
    }
    await store.aclose()
    figures |= await (
        _raw_redis(url, count) if url.startswith("redis") else _raw_sqlite(url, count)
    )
    return figures


async def _raw_redis(url: str, count: int) -> dict[str, float]:
    client = Redis.from_url(url)

    async def single() -> None:
        for i in range(count):
            await client.set(f"raw:s:{i}", "x", nx=True)

    async def piped() -> None:
        for start in range(0, count, PAGE):
            async with client.pipeline(transaction=False) as pipe:
                for i in range(start, min(start + PAGE, count)):
                    pipe.set(f"raw:p:{i}", "x", nx=True)
                await pipe.execute()

    figures = {
        "raw redis-py, SET NX a round trip": await _rate(count, single),
        "raw redis-py, pipeline of 500": await _rate(count, piped),
    }
    await client.aclose()
    return figures


async def _raw_sqlite(url: str, count: int) -> dict[str, float]:
    db = await aiosqlite.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    await db.execute("CREATE TABLE raw (key TEXT PRIMARY KEY)")

    async def single() -> None:
        for i in range(count):
            await db.execute("BEGIN IMMEDIATE")
            await db.execute("INSERT INTO raw VALUES (?) ON CONFLICT DO NOTHING", (f"s{i}",))
            await db.execute("COMMIT")

    async def batched() -> None:
        for start in range(0, count, PAGE):
            await db.execute("BEGIN IMMEDIATE")
            rows = [(f"b{i}",) for i in range(start, min(start + PAGE, count))]
            await db.executemany("INSERT INTO raw VALUES (?) ON CONFLICT DO NOTHING", rows)
            await db.execute("COMMIT")

    figures = {
        "raw aiosqlite, one INSERT a transaction": await _rate(count, single),
        "raw aiosqlite, 500 a transaction": await _rate(count, batched),
    }
    await db.close()
    return figures


async def _fill(url: str, people: int) -> None:
    """N registrations written in bulk (the store's own rows and keys, not its API: fast)."""
    people_ = [
        Registration(f"p{i:06d}", EVENT, "Asia/Tokyo", NOW, email=f"p{i}@example.org")
        for i in range(people)
    ]
    rows = [registration_record(r) for r in people_]
    store = await open_store(url)  # creates the SQLite tables
    await store.aclose()
    if url.startswith("redis"):
        client, keys = Redis.from_url(url), RedisKeys("notifier:")
        for start in range(0, people, 5000):
            async with client.pipeline(transaction=False) as pipe:
                pipe.sadd(keys.events(), EVENT)
                for row in rows[start : start + 5000]:
                    pipe.set(keys.registration_event(row["id"]), EVENT)
                    pipe.set(keys.registration(EVENT, row["id"]), json.dumps(row))
                    pipe.sadd(keys.registrations(EVENT), row["id"])
                    pipe.zadd(keys.registration_order(EVENT), {row["id"]: 0})
                await pipe.execute()
        await client.aclose()
        return
    async with aiosqlite.connect(url.removeprefix("sqlite:///")) as db:
        # the store's own row codec: a column added to the table needs no edit here
        params = [registration_row(r) for r in people_]
        await db.executemany(INSERT_REGISTRATION, params)
        await db.commit()


async def _walk(url: str, how: str) -> int:
    """In a child: read the audience one way; how many were read."""
    if how == "raw":
        if url.startswith("redis"):
            client = Redis.from_url(url)
            ids = await client.smembers(RedisKeys("notifier:").registrations(EVENT))
            values = await client.mget([f"notifier:reg:{text(i)}" for i in ids])
            await client.aclose()
            return len(values)
        async with aiosqlite.connect(url.removeprefix("sqlite:///")) as db:
            cursor = await db.execute("SELECT * FROM notifier_registrations")
            return len(list(await cursor.fetchall()))
    store: Store = await open_store(url)
    try:
        if how == "list":
            return len(await store.list_registrations(EVENT))
        seen, after = 0, ""
        while page := await store.registration_page(EVENT, after, PAGE):
            seen, after = seen + len(page), page[-1].id
        return seen
    finally:
        await store.aclose()


def _peak_rss_mib(url: str, how: str) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_fanout_store", "--child", how, "--url", url],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,  # the repository root: benchmarks is a package
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def _redis_server(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is needed (scripts/test installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen([binary, *args, "--dir", folder], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    return server, f"redis://127.0.0.1:{port}/0"


def _report(name: str, url: str, claims: int, people: int) -> None:
    for label, rate in asyncio.run(_claims(url, claims)).items():
        print(f"{name:<7} claims/s  {label:<42} {rate:>10,.0f}")
    asyncio.run(_fill(url, people))
    for how, label in (("pages", "registration_page, 500 a page"), ("list", "list_registrations")):
        rss, seen = _peak_rss_mib(url, how)
        print(f"{name:<7} peak RSS  {label:<42} {rss:>7.1f} MiB  ({seen:,} read)")
    rss, seen = _peak_rss_mib(url, "raw")
    print(f"{name:<7} peak RSS  {'ceiling: every row fetched raw':<42} {rss:>7.1f} MiB  ({seen:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--child", choices=["pages", "list", "raw"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        seen = asyncio.run(_walk(args.url, args.child))
        print(peak_rss_mib(), seen)
        return
    print(f"claims: {args.claims:,} keys; audience: {args.people:,} registrations")
    with tempfile.TemporaryDirectory() as folder:
        _report("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", args.claims, args.people)
        server, url = _redis_server(folder)
        try:
            _report("redis", url, args.claims, args.people)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
