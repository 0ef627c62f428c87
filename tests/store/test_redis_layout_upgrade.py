"""Data written by the previous key layout (1: no hash tags, global indexes) after an upgrade.

Layout 2 tags every key of an event for Redis Cluster. A Redis that ran the previous version
holds layout-1 keys; the first store of the new version moves them, so nothing registered or
sent before the upgrade is lost or sent again.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from redis.asyncio import Redis

from notifier.records import Registration, ReminderRef, delivery_key
from notifier.store import open_store
from notifier.store._codec import address_key, claim_record, fanout_record, registration_record

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
START = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)
REF = ReminderRef("ccpcj", "side-1", START, 3600)
ANA = Registration("r1", "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")
BEN = Registration("r2", "ccpcj", "Europe/Vienna", NOW, email="ben@example.org", confirmed=False)
CY = Registration("r3", "vienna", "Europe/Vienna", NOW, webhook_url="https://hooks.example.org/x")


async def _write_layout_1(client: Redis) -> str:
    """What the previous version's store wrote for three registrations and one claim."""
    p = "notifier:"
    for registration in (ANA, BEN, CY):
        record = registration_record(registration)
        event_id = registration.event_id
        await client.set(f"{p}reg:{registration.id}", json.dumps(record))
        await client.sadd(f"{p}regs", registration.id)
        await client.sadd(f"{p}regs:{event_id}", registration.id)
        await client.set(f"{p}addr:{event_id}:{address_key(registration)}", registration.id)
        if not registration.confirmed:
            await client.zadd(f"{p}pending", {registration.id: NOW.timestamp()})
    key = delivery_key(REF, "r1", "email")
    record = claim_record(key, REF, "r1", "email", NOW)
    record["status"], record["sent_at"] = "sent", record["updated_at"]
    await client.set(f"{p}dlv:{key}", json.dumps(record))
    for index in ("dlvs", "dlvs:ccpcj", "dlvs:ccpcj/side-1"):
        await client.sadd(f"{p}{index}", key)
    await client.set(f"{p}fanout:{REF.key}", json.dumps(fanout_record(REF, "done", NOW, {})))
    await client.hset(f"{p}seq:ccpcj/side-1", mapping={"start_utc": "x", "sequence": 2})
    # the paging index as a build with paged fan-outs but no tags wrote it; short of r2
    await client.zadd(f"{p}regorder:ccpcj", {"r1": 0})
    return key


async def test_layout_1_data_is_moved_and_read_after_the_upgrade(redis_url: str) -> None:
    """Registrations, the delivery log, fan-outs, sequences and pages all survive the key
    change; the old untagged paging index is dropped (it is rebuilt from the moved set)."""
    client = Redis.from_url(redis_url)
    try:
        key = await _write_layout_1(client)
        store = await open_store(redis_url)
        try:
            assert [r.id for r in await store.list_registrations()] == ["r1", "r2", "r3"]
            assert await store.get_registration("r3") == CY
            assert await store.find_registration(BEN) == BEN
            assert await store.count_registrations("ccpcj") == 2
            # the paging index is rebuilt under the event's tag from its moved set
            assert [r.id for r in await store.registration_page("ccpcj")] == ["r1", "r2"]
            sent = await store.get_delivery(key)
            assert sent is not None
            assert sent.status == "sent"
            assert [d.key for d in await store.list_deliveries("ccpcj", "side-1")] == [key]
            # the claim is still there: the reminder is not sent a second time
            assert await store.claim_delivery(key, REF, "r1", "email", NOW) is False
            assert await store.get_fanout(REF) is not None
            assert await store.session_sequence("ccpcj", "side-1", START) == 3  # moved: +1
            # BEN was pending before the upgrade, and still is
            assert await store.purge_pending(datetime(2024, 1, 1, tzinfo=UTC)) == 1
            assert await store.get_registration("r2") is None
        finally:
            await store.aclose()
        left = [name.decode() async for name in client.scan_iter("notifier:*")]
        old = [name for name in left if not name.startswith(("notifier:{", "notifier:regev:"))]
        assert sorted(old) == ["notifier:events", "notifier:layout"]
        assert await client.get("notifier:layout") == b"2"
    finally:
        await client.aclose()


async def test_two_processes_starting_at_once_move_the_data_once(redis_url: str) -> None:
    """Replicas of the new version start together; one moves, the other waits for it."""
    client = Redis.from_url(redis_url)
    try:
        await _write_layout_1(client)
    finally:
        await client.aclose()
    stores = [await open_store(redis_url) for _ in range(3)]
    try:
        listed = await asyncio.gather(*(store.list_registrations() for store in stores))
    finally:
        for store in stores:
            await store.aclose()
    assert [[r.id for r in found] for found in listed] == [["r1", "r2", "r3"]] * 3


async def test_a_store_on_an_empty_redis_writes_layout_2_and_moves_nothing(redis_url: str) -> None:
    """A fresh install starts on the current layout; a later start does not move anything."""
    store = await open_store(redis_url)
    try:
        await store.add_registration(ANA)
    finally:
        await store.aclose()
    client = Redis.from_url(redis_url)
    try:
        assert await client.get("notifier:layout") == b"2"
        assert await client.exists("notifier:regs", "notifier:reg:r1") == 0
    finally:
        await client.aclose()
