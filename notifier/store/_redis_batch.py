"""The Redis store's batch steps, as arguments for their Lua scripts and readers of the
sorted registration index: kept here so ``redis.py`` stays one screenful per concern."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from notifier.records import ChannelName, DeliveryWrite, ReminderRef, WriteResult, delivery_key
from notifier.store._codec import claim_record, lease_text, utc_text
from notifier.store._redis_client import Client
from notifier.store._redis_layout import RedisKeys, text

RESULTS: dict[int, WriteResult] = {1: "written", 0: "missing", -1: "taken_over"}


def claim_leases_call(
    keys: RedisKeys,
    ref: ReminderRef,
    targets: Sequence[tuple[str, ChannelName]],
    now: datetime,
    owner: str,
    lease_s: float,
) -> tuple[list[str], list[str]]:
    """KEYS and ARGV of ``CLAIM_LEASES_LUA`` for a page of (registration id, channel)."""
    delivery_keys = [delivery_key(ref, rid, channel) for rid, channel in targets]
    args: list[str] = [owner, utc_text(now, "now"), lease_text(now, lease_s) or ""]
    for key, (rid, channel) in zip(delivery_keys, targets, strict=True):
        args += [json.dumps(claim_record(key, ref, rid, channel, now, owner, lease_s)), key]
    return keys.batch_and_indexes(delivery_keys, ref.event_id, ref.session_id), args


def record_many_call(
    keys: RedisKeys, writes: Sequence[DeliveryWrite], now: datetime
) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of ``RECORD_MANY_LUA``: six values per write after the time."""
    args: list[str | int] = [utc_text(now, "now")]
    for w in writes:
        lease = lease_text(now, w.lease_s) if w.status == "claimed" else None
        fence = "" if w.token is None else str(w.token)
        args += [w.status, w.attempts, int(w.error is not None), w.error or "", fence, lease or ""]
    return [keys.delivery(w.key) for w in writes], args


async def page_ids(
    client: Client, keys: RedisKeys, event_id: str, after_id: str, limit: int, upto_id: str | None
) -> list[str]:
    """Registration ids after ``after_id`` (up to ``upto_id``) from the sorted index."""
    low = f"({after_id}" if after_id else "-"
    high = "+" if upto_id is None else f"[{upto_id}"
    order = keys.registration_order(event_id)
    return [text(i) for i in await client.zrangebylex(order, low, high, start=0, num=limit)]


async def fill_order(client: Client, keys: RedisKeys, event_id: str) -> None:
    """Build the sorted index from the event's set when it lacks members (a store written
    before the index existed); ZADD is idempotent, so two replicas filling it agree."""
    order, members = keys.registration_order(event_id), keys.registrations(event_id)
    if await client.zcard(order) >= await client.scard(members):
        return
    cursor = 0
    while True:
        cursor, found = await client.sscan(members, cursor, count=1000)
        if found:
            await client.zadd(order, {text(member): 0 for member in found})
        if not cursor:
            return
