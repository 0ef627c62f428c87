"""The Redis store when its real server stops, dies, freezes or refuses the password."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from notifier.errors import StoreError
from notifier.records import Registration, ReminderRef, delivery_key
from notifier.store import open_redis_store
from notifier.store.redis import RedisStore
from tests.support.redis import RedisServer

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
REF = ReminderRef("ccpcj", "side-1", datetime(2023, 5, 23, 7, 10, tzinfo=UTC), 3600)
KEY = delivery_key(REF, "r1", "email")
ANA = Registration("r1", "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """A store on the session server, with a short deadline so a frozen server fails fast."""
    opened = open_redis_store(redis_url, timeout_s=0.5)
    try:
        yield opened
    finally:
        await opened.aclose()


async def _every_operation_fails(store: RedisStore) -> list[str]:
    """Run one call of each kind; return the messages, failing if any call got through."""
    calls: list[Callable[[], Awaitable[object]]] = [
        store.ping,
        lambda: store.add_registration(ANA),
        lambda: store.remove_registration("r1"),
        store.list_registrations,
        lambda: store.claim_delivery(KEY, REF, "r1", "email", NOW),
        lambda: store.record_delivery(KEY, "sent", 1, NOW),
        lambda: store.release_delivery(KEY),
        lambda: store.list_deliveries("ccpcj"),
        lambda: store.session_sequence("ccpcj", "side-1", NOW),
    ]
    messages = []
    for call in calls:
        with pytest.raises(StoreError) as failed:
            await call()
        messages.append(str(failed.value))
    return messages


@pytest.mark.parametrize("break_it", ["stop", "kill"])
async def test_a_dead_server_makes_every_operation_raise_store_error(
    redis_store: RedisStore, redis_server: RedisServer, break_it: str
) -> None:
    """Callers handle one error type; a raw redis exception would escape their handlers."""
    await redis_store.ping()
    getattr(redis_server, break_it)()
    messages = await _every_operation_fails(redis_store)
    assert all(f"127.0.0.1:{redis_server.port}" in message for message in messages)


async def test_store_works_again_after_the_server_restarts(
    redis_store: RedisStore, redis_server: RedisServer
) -> None:
    """A Redis restart must not need a notifier restart: the same pool reconnects."""
    assert await redis_store.claim_delivery(KEY, REF, "r1", "email", NOW)
    redis_server.kill()
    with pytest.raises(StoreError):
        await redis_store.ping()
    redis_server.start()
    # the server kept nothing (no persistence in tests), so the key is free again
    assert await redis_store.claim_delivery(KEY, REF, "r1", "email", NOW)
    assert (await redis_store.add_registration(ANA)).id == "r1"


async def test_a_frozen_server_fails_within_the_deadline(
    redis_store: RedisStore, redis_server: RedisServer
) -> None:
    """A server that accepts but never answers must not hang a fan-out forever."""
    await redis_store.ping()
    redis_server.pause()
    try:
        with pytest.raises(StoreError, match=r"no answer within 0\.5s"):
            await redis_store.claim_delivery(KEY, REF, "r1", "email", NOW)
    finally:
        redis_server.resume()
    # the timed-out connection was dropped: a reused one would hand its late reply to the next
    # command, and reading a claim's "1" as a registration would fail here
    other = delivery_key(REF, "r2", "email")
    assert await redis_store.claim_delivery(other, REF, "r2", "email", NOW)
    assert await redis_store.get_registration("nobody") is None


async def test_error_text_never_contains_the_password(
    start_redis_server: Callable[..., RedisServer],
) -> None:
    """Errors reach logs and health pages; the password must not go with them."""
    server = start_redis_server("--requirepass", "s3cret")
    store = open_redis_store(f"redis://:s3cret@127.0.0.1:{server.port}/0", timeout_s=0.5)
    try:
        await store.add_registration(ANA)
        server.kill()
        for message in await _every_operation_fails(store):
            assert "s3cret" not in message
            assert f"127.0.0.1:{server.port}" in message
    finally:
        await store.aclose()


async def test_a_wrong_password_is_a_store_error_without_either_password(
    start_redis_server: Callable[..., RedisServer],
) -> None:
    """A misconfigured secret is reported as such, without printing what was tried."""
    server = start_redis_server("--requirepass", "s3cret")
    store = open_redis_store(f"redis://:wrong-pw@127.0.0.1:{server.port}/0", timeout_s=0.5)
    try:
        with pytest.raises(StoreError) as refused:
            await store.ping()
    finally:
        await store.aclose()
    assert "wrong-pw" not in str(refused.value)
    assert "s3cret" not in str(refused.value)
    assert "Authentication" in str(refused.value)


def test_a_malformed_redis_url_is_a_store_error_without_the_password() -> None:
    """A typo in the URL must not put the password on the console."""
    with pytest.raises(StoreError) as refused:
        open_redis_store("redis://:s3cret@127.0.0.1:notaport/0")
    assert "s3cret" not in str(refused.value)
