"""Registrations written in bulk for the benchmarks: the store's own rows and keys, not its API.

``add_registration`` is one transaction (SQLite) or one WATCH/MULTI (Redis) per registration:
100,000 of them take minutes on a loaded machine. Here SQLite gets one ``executemany`` and
Redis pipelines of 5,000, with the store's own row codec and key layout, so a column or key
added to the store needs no edit here. Only for a fresh store (nothing to merge with).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite
from redis.asyncio import Redis

from notifier.records import Registration
from notifier.store import open_store
from notifier.store._codec import registration_record
from notifier.store._redis_layout import RedisKeys
from notifier.store._sqlite_schema import INSERT_REGISTRATION
from notifier.store.sqlite import registration_row

PIPELINE = 5000  # Redis commands per pipeline: four per registration


async def fill(url: str, registrations: Sequence[Registration]) -> None:
    """Write ``registrations`` (confirmed, fresh ids and addresses) into the store at ``url``."""
    store = await open_store(url)  # creates the SQLite tables
    # its first call marks an empty Redis with the current key layout, as any store that has
    # served is marked; unmarked, the measured fan-out's first call looked through every
    # seeded key for an older layout to move (1.2 s of its "first send" at 100,000)
    await store.ping()
    await store.aclose()
    if url.startswith("redis"):
        await _fill_redis(url, registrations)
        return
    async with aiosqlite.connect(url.removeprefix("sqlite:///")) as db:
        await db.executemany(INSERT_REGISTRATION, [registration_row(r) for r in registrations])
        await db.commit()


async def _fill_redis(url: str, registrations: Sequence[Registration]) -> None:
    client, keys = Redis.from_url(url), RedisKeys("notifier:")
    try:
        for start in range(0, len(registrations), PIPELINE):
            async with client.pipeline(transaction=False) as pipe:
                for registration in registrations[start : start + PIPELINE]:
                    row, event_id = registration_record(registration), registration.event_id
                    pipe.sadd(keys.events(), event_id)
                    pipe.set(keys.registration_event(registration.id), event_id)
                    pipe.set(keys.registration(event_id, registration.id), json.dumps(row))
                    pipe.set(keys.address(event_id, row["address_key"]), registration.id)
                    pipe.sadd(keys.registrations(event_id), registration.id)
                    pipe.zadd(keys.registration_order(event_id), {registration.id: 0})
                await pipe.execute()
    finally:
        await client.aclose()
