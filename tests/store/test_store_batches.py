"""Paged audiences and batched claims (#15), the same on every backend (the ``store`` fixture).

A fan-out reads its audience a page at a time and claims and records a page's deliveries in one
round trip; the batch forms must keep every rule of the single ones: a live claim is not taken,
a dead one is taken over with the next token, and a write whose token was taken over is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.crc import key_slot

from notifier.records import ChannelName, DeliveryWrite, Registration, ReminderRef, delivery_key
from notifier.store import Store, open_redis_store
from notifier.store._codec import claim_record, claim_records
from notifier.store._redis_client import make_client
from notifier.store._redis_layout import RedisKeys

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
LEASE_S = 60.0
EXPIRED = NOW + timedelta(seconds=LEASE_S)
REF = ReminderRef("ccpcj", "side-1", datetime(2023, 5, 23, 7, 10, tzinfo=UTC), 3600)


def _registration(rid: str, event_id: str = "ccpcj") -> Registration:
    return Registration(rid, event_id, "Asia/Tokyo", NOW, email=f"{rid}@example.org")


async def _add(store: Store, *ids: str, event_id: str = "ccpcj") -> None:
    for rid in ids:
        await store.add_registration(_registration(rid, event_id))


async def test_pages_walk_the_event_in_id_order_each_registration_once(store: Store) -> None:
    """100,000 followers are read a page at a time: every one once, none from another event."""
    ids = [f"r{i:03d}" for i in range(25)]
    await _add(store, *reversed(ids))
    await _add(store, "r007x", event_id="other")
    seen: list[str] = []
    after = ""
    while page := await store.registration_page("ccpcj", after, limit=7):
        assert len(page) <= 7
        seen += [r.id for r in page]
        after = page[-1].id
    assert seen == ids


async def test_a_page_stops_at_its_upper_bound_and_skips_removed_ones(store: Store) -> None:
    """A chunk is the ids in (after, upto]: nothing past its bound, nothing unsubscribed."""
    await _add(store, "a", "b", "c", "d", "e")
    await store.remove_registration("c")
    page = await store.registration_page("ccpcj", "a", limit=10, upto_id="d")
    assert [r.id for r in page] == ["b", "d"]
    assert await store.registration_page("ccpcj", "e", limit=10) == []


async def test_a_registration_added_mid_walk_is_seen_once(store: Store) -> None:
    """A sign-up during a fan-out lands before or after the cursor: never twice."""
    await _add(store, "a", "c", "e")
    first = await store.registration_page("ccpcj", "", limit=2)
    await _add(store, "b", "f")
    rest = await store.registration_page("ccpcj", first[-1].id, limit=10)
    assert [r.id for r in first + rest] == ["a", "c", "e", "f"]


async def test_batch_claims_follow_the_single_claim_rules(store: Store) -> None:
    """New keys get token 1, the owner's own again, a live other's -1, an expired one +1,
    a finished one 0."""
    mine = delivery_key(REF, "mine", "email")
    await store.claim_lease(mine, REF, "mine", "email", NOW, owner="a", lease_s=LEASE_S)
    await store.claim_lease(
        delivery_key(REF, "live", "email"), REF, "live", "email", NOW, owner="b", lease_s=999
    )
    await store.claim_lease(
        delivery_key(REF, "dead", "email"), REF, "dead", "email", NOW, owner="c", lease_s=LEASE_S
    )
    done = delivery_key(REF, "done", "email")
    await store.claim_lease(done, REF, "done", "email", NOW, owner="c", lease_s=LEASE_S)
    await store.record_delivery(done, "sent", 1, NOW)
    targets: list[tuple[str, ChannelName]] = [
        ("new", "email"),
        ("mine", "email"),
        ("live", "email"),
        ("dead", "email"),
    ]
    tokens = await store.claim_leases(
        REF, [*targets, ("done", "email")], EXPIRED, owner="a", lease_s=LEASE_S
    )
    assert tokens == [1, 1, -1, 2, 0]
    new = await store.get_delivery(delivery_key(REF, "new", "email"))
    assert new is not None
    lease_until = EXPIRED + timedelta(seconds=LEASE_S)
    assert (new.status, new.owner, new.lease_until) == ("claimed", "a", lease_until)
    assert [d.registration_id for d in await store.list_deliveries("ccpcj", "side-1")].count(
        "new"
    ) == 1  # in the session's listing, like a single claim
    assert await store.claim_leases(REF, [], NOW, owner="a", lease_s=LEASE_S) == []


async def test_batch_writes_are_fenced_one_by_one(store: Store) -> None:
    """A paused replica's late batch: its stale writes are refused, the others land."""
    keys = [delivery_key(REF, rid, "email") for rid in ("x", "y")]
    await store.claim_leases(REF, [("x", "email"), ("y", "email")], NOW, owner="a", lease_s=1)
    taken = await store.claim_leases(REF, [("y", "email")], EXPIRED, owner="b", lease_s=LEASE_S)
    assert taken == [2]
    writes = [
        DeliveryWrite(keys[0], "sent", 1, token=1),
        DeliveryWrite(keys[1], "sent", 1, token=1),  # taken over by b: refused
        DeliveryWrite(delivery_key(REF, "never", "email"), "sent", 1, token=1),
        DeliveryWrite(keys[1], "claimed", 1, "451 later", token=2, lease_s=LEASE_S),
    ]
    results = await store.record_deliveries(writes, EXPIRED)
    assert results == ["written", "taken_over", "missing", "written"]
    x, y = [await store.get_delivery(key) for key in keys]
    assert x is not None
    assert y is not None
    assert (x.status, x.sent_at, x.lease_until) == ("sent", EXPIRED, None)
    assert (y.status, y.owner, y.last_error, y.attempts) == ("claimed", "b", "451 later", 1)
    assert y.lease_until == EXPIRED + timedelta(seconds=LEASE_S)
    assert await store.record_deliveries([], NOW) == []


async def test_redis_pages_a_store_written_before_the_order_index(shared_redis_url: str) -> None:
    """An upgraded deployment has registrations but no sorted index yet: it is built once."""
    store = open_redis_store(shared_redis_url)
    try:
        await _add(store, "b", "a", "c")
        order = RedisKeys("notifier:").registration_order("ccpcj")
        client = make_client(shared_redis_url, 5.0).client  # one server or the cluster
        try:
            await client.delete(order)
        finally:
            await client.aclose()
        page = await store.registration_page("ccpcj", "", limit=10)
        assert [r.id for r in page] == ["a", "b", "c"]
    finally:
        await store.aclose()


async def test_redis_keys_of_one_event_share_its_slot_in_paging_and_batches() -> None:
    """The cluster rule for the new keys: the paging index, the batch claim's keys and a
    fan-out's round bookkeeping sit in the event's slot; shared work has tags of its own."""
    keys = RedisKeys("notifier:")
    ref = ReminderRef("ccpcj", "side-1", NOW + timedelta(days=1), 3600)
    targets = [delivery_key(ref, rid, "email") for rid in ("a", "b")]
    event_slot = {key_slot(keys.registrations("ccpcj").encode())}
    batch = keys.batch_and_indexes(targets, "ccpcj", "side-1")
    same = [keys.registration_order("ccpcj"), keys.registration("ccpcj", "a"), *batch]
    same += [keys.fanout_progress(ref.key), keys.fanout_chunks_done(ref.key)]
    assert {key_slot(k.encode()) for k in same} == event_slot
    assert key_slot(keys.leader().encode()) == key_slot(keys.leader_token().encode())
    assert "{work}" in keys.work_stream()
    with pytest.raises(ValueError, match="one event"):
        keys.batch_and_indexes(["vienna/s/x/email"], "ccpcj", "side-1")


def test_a_page_of_claim_records_is_each_target_claimed_alone() -> None:
    """The batch builds what the two stores write once per page; each record must be the one
    a single claim writes, field for field and in the same order."""
    now = datetime(2030, 1, 1, 8, tzinfo=UTC)
    ref = ReminderRef("ev", "talk", now + timedelta(hours=2), 3600)
    targets: list[tuple[str, ChannelName]] = [("r1", "email"), ("r2", "webhook"), ("r3", "email")]
    alone = [
        claim_record(delivery_key(ref, rid, ch), ref, rid, ch, now, "owner-1", 60.0)
        for rid, ch in targets
    ]
    batch = claim_records(ref, targets, now, "owner-1", 60.0)
    assert [list(record.items()) for record in batch] == [list(r.items()) for r in alone]
