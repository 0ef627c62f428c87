"""The shared-work contract (#12.6): the chunk queue and the leader lease, the same on the
in-process backend (the embedded store) and on Redis (a Streams consumer group, a lease key).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from notifier.errors import StoreError
from notifier.records import Chunk, ReminderRef
from notifier.store import open_redis_store
from notifier.store.redis import RedisStore
from notifier.store.work import (
    LeaderLease,
    LocalLeaderLease,
    LocalWorkQueue,
    WorkQueue,
)
from tests.support.cluster import RedisClusterNodes

REF = ReminderRef("ccpcj", "side-1", datetime(2023, 5, 23, 7, 10, tzinfo=UTC), 3600)


@pytest.fixture(params=["local", "redis", "redis-cluster"])
async def redis_store(request: pytest.FixtureRequest) -> AsyncIterator[RedisStore | None]:
    if request.param == "local":
        yield None
        return
    fixture = "redis_url" if request.param == "redis" else "redis_cluster_url"
    store = open_redis_store(request.getfixturevalue(fixture))
    try:
        yield store
    finally:
        await store.aclose()


@pytest.fixture
def queue(redis_store: RedisStore | None) -> WorkQueue:
    return LocalWorkQueue() if redis_store is None else redis_store.work_queue()


async def _publish(queue: WorkQueue, bounds: list[tuple[str, str]], token: int = 1) -> int:
    round_ = await queue.begin(REF, "leader", token)
    for after, upto in bounds:
        await queue.publish(Chunk(REF, after, upto, round_))
    return round_


async def test_chunks_are_handed_out_once_and_the_last_one_done_returns_the_counts(
    queue: WorkQueue,
) -> None:
    """Every chunk goes to one consumer; whoever finishes the round's last chunk records it."""
    round_ = await _publish(queue, [("", "m"), ("m", "")])
    assert await queue.seal(REF, round_, 2) is None
    first = await queue.take("a", 1, 0.1)
    second = await queue.take("b", 5, 0.1)
    assert [i.chunk.after_id for i in first + second] == ["", "m"]
    assert await queue.take("c", 5, 0.05) == []
    assert await queue.finish(first[0], Counter(sent=3)) is None
    assert await queue.finish(first[0], Counter(sent=3)) is None  # twice: counted once
    assert await queue.finish(second[0], Counter(sent=2, failed=1)) == Counter(sent=5, failed=1)
    progress = await queue.progress(REF)
    assert progress is not None
    assert (progress.round, progress.total, progress.done) == (round_, 2, 2)


async def test_a_round_done_before_it_is_sealed_completes_at_the_seal(queue: WorkQueue) -> None:
    """Fast replicas may finish every chunk while the leader is still cutting them."""
    round_ = await _publish(queue, [("", "")])
    (item,) = await queue.take("a", 1, 0.1)
    assert await queue.finish(item, Counter(sent=1)) is None
    assert await queue.seal(REF, round_, 1) == Counter(sent=1)


async def test_a_chunk_of_an_older_round_does_not_count_in_the_new_one(queue: WorkQueue) -> None:
    """A re-run (the catch-up pass) starts a new round; late finishes of the old one are void."""
    await _publish(queue, [("", "")])
    (old,) = await queue.take("a", 1, 0.1)
    round_ = await _publish(queue, [("", "")])
    await queue.seal(REF, round_, 1)
    assert await queue.finish(old, Counter(sent=1)) is None
    (new,) = await queue.take("a", 1, 0.1)
    assert await queue.finish(new, Counter(already_claimed=1)) == Counter(already_claimed=1)


async def test_a_publisher_with_an_older_leader_token_is_fenced_off(queue: WorkQueue) -> None:
    """A leader that lost its lease must not restart a round the new leader began."""
    assert await queue.begin(REF, "new", 5) == 1
    assert await queue.begin(REF, "old", 4) == 0
    assert await queue.begin(REF, "new", 5) == 2


async def test_a_handed_back_chunk_goes_to_another_consumer(queue: WorkQueue) -> None:
    """SIGTERM mid chunk: the rest must be sent by a replica that stays."""
    await _publish(queue, [("", "")])
    (item,) = await queue.take("a", 1, 0.1)
    await queue.hand_back(item)
    (again,) = await queue.take("b", 1, 0.1)
    assert again.chunk == item.chunk


async def test_redis_takes_over_the_chunks_of_a_consumer_that_went_idle(
    shared_redis_url: str,
) -> None:
    """A dead replica's chunks go to another once idle, never before (one process has no other
    consumer to die: Redis only)."""
    store = open_redis_store(shared_redis_url)
    try:
        queue = store.work_queue()
        await _publish(queue, [("", "m"), ("m", "")])
        held = await queue.take("dead", 2, 0.1)
        assert len(held) == 2
        assert await queue.reclaim("b", 60.0, 5) == []  # not idle long enough
        await queue.touch("dead", held[1])
        taken = await queue.reclaim("b", 0.0, 5)
        assert {i.chunk.after_id for i in taken} == {"", "m"}
        assert all(i.deliveries > 1 for i in taken)
        assert await queue.take("c", 5, 0.05) == []  # taken over, not handed out anew
    finally:
        await store.aclose()


@pytest.fixture
def lease(redis_store: RedisStore | None) -> LeaderLease:
    return LocalLeaderLease() if redis_store is None else redis_store.leader_lease()


async def test_one_leader_at_a_time_with_a_growing_fencing_token(
    lease: LeaderLease, redis_store: RedisStore | None
) -> None:
    """The holder renews with its token; others get 0 until it lets go; the next holder's
    token is larger (with one process the lease is always its own)."""
    first = await lease.hold("a", 30.0)
    assert first >= 1
    assert await lease.hold("a", 30.0) == first
    if redis_store is None:
        return
    assert await lease.hold("b", 30.0) == 0
    await lease.release("b")  # not b's: nothing changes
    assert await lease.hold("b", 30.0) == 0
    await lease.release("a")
    assert await lease.hold("b", 30.0) > first


async def test_redis_makes_the_group_again_after_the_server_lost_it(
    shared_redis_url: str, request: pytest.FixtureRequest
) -> None:
    """A Redis that came back empty lost the stream and its group: one call fails, the next
    ones work again (the consumer loop is restarted, not stuck)."""
    store = open_redis_store(shared_redis_url)
    try:
        queue = store.work_queue()
        await _publish(queue, [("", "")])
        assert len(await queue.take("a", 1, 0.1)) == 1
        await _empty(shared_redis_url, request)
        with pytest.raises(StoreError):
            await queue.take("a", 1, 0.1)
        await _publish(queue, [("", "")])
        assert len(await queue.take("a", 1, 0.1)) == 1
    finally:
        await store.aclose()


async def _empty(url: str, request: pytest.FixtureRequest) -> None:
    """Every key gone, as after a restart without persistence (each master of a cluster)."""
    if url.startswith("redis+cluster://"):
        cluster: RedisClusterNodes = request.getfixturevalue("redis_cluster")
        await asyncio.to_thread(cluster.flush)
        return
    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
