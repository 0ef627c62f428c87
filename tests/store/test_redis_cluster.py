"""The Redis store on a real three-master Redis Cluster: where keys land, and its health.

The contract suite already runs over the cluster (the ``redis-cluster`` store backend); these
tests look at the nodes themselves: an event's keys share one slot (so its scripts and
transactions run there), events spread over the masters, and each master's persistence and
write marker count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from notifier.errors import StoreError
from notifier.records import Registration, ReminderRef, delivery_key
from notifier.store import RedisStore, open_redis_store, open_store
from tests.support.cluster import RedisClusterNodes, reply_text
from tests.support.ports import HOST, free_port

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
START = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)
EVENTS = [f"event-{n}" for n in range(12)]


@pytest.fixture
async def cluster_store(redis_cluster_url: str) -> AsyncIterator[RedisStore]:
    store = await open_store(redis_cluster_url)
    assert isinstance(store, RedisStore)
    try:
        yield store
    finally:
        await store.aclose()


async def _fill(store: RedisStore, event_id: str) -> None:
    """One of every kind of per-event key: registrations, pending, address, claims, fan-out."""
    ada = Registration(f"{event_id}-ada", event_id, "Asia/Tokyo", NOW, email="ada@example.org")
    bob = Registration(
        f"{event_id}-bob", event_id, "Europe/Vienna", NOW, email="bob@example.org", confirmed=False
    )
    await store.add_registration(ada)
    await store.add_registration(bob)
    ref = ReminderRef(event_id, "talk", START, 600)
    for registration in (ada, bob):
        key = delivery_key(ref, registration.id, "email")
        await store.claim_lease(key, ref, registration.id, "email", NOW, owner="test", lease_s=60.0)
    await store.record_fanout(ref, "done", NOW, {"sent": 2})
    await store.session_sequence(event_id, "talk", START)


async def _keys_by_node(cluster: RedisClusterNodes) -> dict[int, list[str]]:
    """Every key each master holds, read from that master alone (SCAN)."""
    found: dict[int, list[str]] = {}
    for node in cluster.nodes:
        client = Redis(host=HOST, port=node.port)
        try:
            found[node.port] = [key.decode() async for key in client.scan_iter(count=1000)]
        finally:
            await client.aclose()
    return found


async def test_an_events_keys_share_one_slot_and_events_spread_over_the_masters(
    cluster_store: RedisStore, redis_cluster: RedisClusterNodes
) -> None:
    """Each script and transaction needs its keys in one slot; the load needs every master."""
    for event_id in EVENTS:
        await _fill(cluster_store, event_id)

    slots: dict[str, set[int]] = defaultdict(set)
    nodes: dict[str, set[int]] = defaultdict(set)
    for port, keys in (await _keys_by_node(redis_cluster)).items():
        for key in keys:
            for event_id in EVENTS:
                if f"{{ev:{event_id}}}" in key:
                    slots[event_id].add(key_slot(key.encode()))
                    nodes[event_id].add(port)
    assert sorted(slots) == sorted(EVENTS)
    assert all(len(found) == 1 for found in slots.values()), slots
    assert all(len(found) == 1 for found in nodes.values()), nodes
    # 12 events over 3 masters: every master serves some (CRC16 of the tags, deterministic)
    assert set().union(*nodes.values()) == {node.port for node in redis_cluster.nodes}
    listed = await cluster_store.list_registrations()
    assert len(listed) == 2 * len(EVENTS)  # listing across events reads every master
    assert len(await cluster_store.list_deliveries()) == 2 * len(EVENTS)
    assert await cluster_store.purge_pending(datetime(2024, 1, 1, tzinfo=UTC)) == len(EVENTS)


async def test_every_master_must_persist(
    cluster_store: RedisStore, redis_cluster: RedisClusterNodes
) -> None:
    """One master without AOF loses its share of the data on restart: the store says so."""
    assert await cluster_store.persistence() is True
    node = redis_cluster.nodes[1]
    assert node.command("CONFIG SET appendonly no") == "+OK"
    try:
        assert await cluster_store.persistence() is False
    finally:
        assert node.command("CONFIG SET appendonly yes") == "+OK"


async def test_a_master_that_comes_back_empty_lowers_the_marker(
    cluster_store: RedisStore, redis_cluster: RedisClusterNodes
) -> None:
    """The loss marker is kept on every master, so losing any one of them shows."""
    first = await cluster_store.bump_marker()
    second = await cluster_store.bump_marker()
    assert second == first + 1
    assert redis_cluster.nodes[2].command("FLUSHALL") == "+OK"  # as a restart without data
    assert await cluster_store.bump_marker() == 1  # at or below the last seen: writes lost
    assert await cluster_store.server_time() > NOW


async def test_a_cluster_url_with_no_usable_node_is_refused_with_the_forms() -> None:
    """A typo in the node list fails at once and shows how to write it."""
    with pytest.raises(StoreError, match=r"redis\+cluster://"):
        await open_store("redis+cluster://127.0.0.1:notaport")


async def test_a_cluster_store_error_names_the_nodes_but_never_the_password() -> None:
    """Errors are logged; a password in them would leak to whoever reads the logs."""
    port = free_port()  # nothing listens: the cluster cannot be reached
    store = await open_store(f"redis+cluster://:hunter2-secret@{HOST}:{port}")
    try:
        with pytest.raises(StoreError) as raised:
            await store.ping()
    finally:
        await store.aclose()
    assert f"{HOST}:{port}" in str(raised.value)
    assert "hunter2-secret" not in str(raised.value)


def test_a_key_prefix_with_braces_is_refused() -> None:
    """A brace in the prefix would become the hash tag and put every event in one slot."""
    with pytest.raises(StoreError, match="braces"):
        open_redis_store("redis://127.0.0.1:1/0", prefix="{notifier}:")


async def _serving(cluster: RedisClusterNodes, key: str) -> int:
    """The port of the master that serves ``key``'s slot, as the cluster says now."""
    client = RedisCluster(host=HOST, port=cluster.nodes[0].port)
    try:
        await client.initialize()
        node = client.get_node_from_key(key)
        assert node is not None
        return int(node.port)
    finally:
        await client.aclose()


async def test_a_registration_follows_its_event_slot_to_another_master(
    cluster_store: RedisStore, redis_cluster: RedisClusterNodes
) -> None:
    """A reshard or failover moves slots; a transaction sent to the old master is redirected
    (MOVED), and the store learns the new map and runs it on the new one."""
    ana = Registration("r1", "first-event", "Asia/Tokyo", NOW, email="ana@example.org")
    await cluster_store.add_registration(ana)  # the store has read the slot map by now
    moving = Registration("r-moved", "moved-event", "Asia/Tokyo", NOW, email="ana@example.org")
    owner = await _serving(redis_cluster, "{ev:moved-event}")
    target = next(node for node in redis_cluster.nodes if node.port != owner)
    target_id = reply_text(target.port, "CLUSTER MYID").strip()
    slot = key_slot(b"{ev:moved-event}")
    try:
        for node in redis_cluster.nodes:  # the slot is empty: hand it over on every node
            assert node.command(f"CLUSTER SETSLOT {slot} NODE {target_id}") == "+OK"

        assert await cluster_store.add_registration(moving) == moving
        assert await cluster_store.get_registration("r-moved") == moving
        keys = await _keys_by_node(redis_cluster)
        assert any("{ev:moved-event}" in key for key in keys[target.port])
        assert not any("{ev:moved-event}" in key for key in keys[owner])
    finally:  # give the slot back (emptied), so the session's cluster stays as it was made
        client = Redis(host=HOST, port=target.port)
        try:
            for key in [k async for k in client.scan_iter("*{ev:moved-event}*")]:
                await client.delete(key)
        finally:
            await client.aclose()
        owner_id = reply_text(owner, "CLUSTER MYID").strip()
        for node in redis_cluster.nodes:
            node.command(f"CLUSTER SETSLOT {slot} NODE {owner_id}")
