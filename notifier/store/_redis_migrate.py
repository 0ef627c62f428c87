"""Move data written by layout 1 (no hash tags, global indexes) to layout 2, once.

Layout 2 (``_redis_layout.RedisKeys``) tags every key of an event with ``{ev:<event_id>}`` so
that Redis Cluster can run each script and transaction on one slot. A store reads ``layout``
before its first command; if the key is missing it moves the old keys and then writes
``2``, so the upgrade happens at the first start of the new version, with no command to run.

Each record moves in one MULTI (RENAME plus its index entries), so a crash half-way leaves
every record either old or new, and the next start carries on. One process moves at a time
(a lock key with an expiry); the others wait for ``layout`` to appear. Layout 1 only ever ran
on one server (its scripts touched keys of several slots), so a cluster has nothing to move.
Stop replicas of the old version first: what they write after the move is not moved.
"""

from __future__ import annotations

import asyncio
import json
import secrets

from redis.asyncio import Redis

from notifier.errors import StoreError
from notifier.store._redis_client import Client
from notifier.store._redis_layout import RedisKeys, key_event, text

LAYOUT = "2"
LOCK_S = 300  # the longest a move may take before another process may try again
POLL_S = 0.2


async def ensure_layout(client: Client, keys: RedisKeys) -> None:
    """Return once the data follows layout 2, moving layout 1 data first if there is any."""
    if await client.get(keys.layout()) is not None:
        return
    if not isinstance(client, Redis):  # a cluster: layout 1 never ran there
        await client.set(keys.layout(), LAYOUT, nx=True)
        return
    lock, token = keys.layout() + ":lock", secrets.token_hex(8)
    while not await client.set(lock, token, nx=True, px=LOCK_S * 1000):
        if await client.get(keys.layout()) is not None:
            return  # another process moved it
        await asyncio.sleep(POLL_S)
    try:
        if await client.get(keys.layout()) is None:
            await _move(client, keys)
            await client.set(keys.layout(), LAYOUT)
    finally:
        if await client.get(lock) in (token, token.encode()):
            await client.delete(lock)


async def _move(client: Redis, keys: RedisKeys) -> None:
    old = keys.prefix
    for member in await client.smembers(f"{old}regs"):
        await _move_registration(client, keys, text(member))
    for member in await client.smembers(f"{old}dlvs"):
        await _move_delivery(client, keys, text(member))
    for name in await _scan(client, f"{old}fanout:*"):
        reminder_key = name[len(f"{old}fanout:") :]
        await client.rename(name, keys.fanout(reminder_key))
    for name in await _scan(client, f"{old}seq:*"):
        event_id, _, session_id = name[len(f"{old}seq:") :].partition("/")
        await client.rename(name, keys.sequence(event_id, session_id))
    # the old indexes: every member above has moved, so they name nothing now
    stale = [f"{old}regs", f"{old}dlvs", f"{old}pending"]
    stale += await _scan(client, f"{old}regs:*") + await _scan(client, f"{old}dlvs:*")
    # the paging index as written before layout 2 (no event tag): derived from
    # regs, and rebuilt under the event's tag at the first page (_redis_batch.fill_order)
    stale += await _scan(client, f"{old}regorder:*")
    await client.delete(*stale)


async def _move_registration(client: Redis, keys: RedisKeys, registration_id: str) -> None:
    old = keys.prefix
    raw = await client.get(f"{old}reg:{registration_id}")
    if raw is None:  # removed, index entry left behind
        return
    record = json.loads(raw)
    event_id = record["event_id"]
    created = await client.zscore(f"{old}pending", registration_id)
    await client.sadd(keys.events(), event_id)
    await client.set(keys.registration_event(registration_id), event_id)
    old_addr = f"{old}addr:{event_id}:{record['address_key']}"
    if await client.get(old_addr) is not None:  # first: the MULTI below ends the retries
        await client.rename(old_addr, keys.address(event_id, record["address_key"]))
    async with client.pipeline(transaction=True) as pipe:
        pipe.rename(f"{old}reg:{registration_id}", keys.registration(event_id, registration_id))
        pipe.sadd(keys.registrations(event_id), registration_id)
        if created is not None:
            pipe.zadd(keys.pending(event_id), {registration_id: created})
        pipe.srem(f"{old}regs", registration_id)
        pipe.zrem(f"{old}pending", registration_id)
        await pipe.execute()


async def _move_delivery(client: Redis, keys: RedisKeys, key: str) -> None:
    old = keys.prefix
    raw = await client.get(f"{old}dlv:{key}")
    if raw is None:
        return
    record = json.loads(raw)
    event_id, session_id = record["event_id"], record["session_id"]
    if key_event(key) != event_id:
        raise StoreError(
            f"redis store: delivery {key!r} does not start with its event {event_id!r}, so"
            " layout 2 cannot place it; delete it or move it by hand, then start again"
        )
    await client.sadd(keys.events(), event_id)
    async with client.pipeline(transaction=True) as pipe:
        pipe.rename(f"{old}dlv:{key}", keys.delivery(key))
        pipe.sadd(keys.deliveries(event_id), key)
        pipe.sadd(keys.deliveries(event_id, session_id), key)
        pipe.srem(f"{old}dlvs", key)
        await pipe.execute()


async def _scan(client: Redis, pattern: str) -> list[str]:
    """Key names matching ``pattern`` (SCAN, never KEYS: the server keeps answering)."""
    return [text(name) async for name in client.scan_iter(match=pattern, count=1000)]
