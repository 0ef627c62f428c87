"""The Redis store's batch steps: their Lua scripts, the scripts' arguments, and readers of
the sorted registration index; kept here so ``redis.py`` stays one screenful per concern.
Each script call takes keys of one event only (one slot on a Redis Cluster)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import orjson

from notifier.records import ChannelName, DeliveryWrite, ReminderRef, WriteResult, delivery_key
from notifier.store._codec import claim_record, lease_text, utc_text
from notifier.store._redis_client import Client
from notifier.store._redis_layout import RedisKeys, text

# KEYS: one event's two delivery indexes, then n of its delivery records (batch_and_indexes:
# one slot). ARGV: owner, now, lease_until, the page's shared new record (JSON), the reminder's
# key prefix, and the n (registration id, channel) pairs as one JSON array: each new record is
# the shared one with its key, registration and channel set, encoded here. One JSON text per
# page from Python, not one per delivery, and five arguments, not 2n + 3 (redis-py packs each
# argument on its own: that was half the store's CPU in a fan-out). CLAIM_LEASE_LUA for each
# key in one atomic step; returns the n tokens in order (-1 for a live claim of another owner).
CLAIM_LEASES_LUA = """
local owner, now, lease_until = ARGV[1], ARGV[2], ARGV[3]
local fresh, prefix, targets = cjson.decode(ARGV[4]), ARGV[5], cjson.decode(ARGV[6])
local tokens = {}
for i = 3, #KEYS do
  local rid, channel = targets[i - 2][1], targets[i - 2][2]
  local key = prefix .. rid .. '/' .. channel
  local raw = redis.call('GET', KEYS[i])
  local token = -1
  if not raw then
    fresh['key'], fresh['registration_id'], fresh['channel'] = key, rid, channel
    redis.call('SET', KEYS[i], cjson.encode(fresh))
    for j = 1, 2 do redis.call('SADD', KEYS[j], key) end
    token = 1
  else
    local record = cjson.decode(raw)
    local held = tonumber(record['token']) or 1
    local lease = record['lease_until']
    if record['status'] ~= 'claimed' then token = 0
    elseif record['owner'] == owner then token = held
    elseif type(lease) == 'string' and lease <= now then
      record['owner'] = owner
      record['lease_until'] = lease_until
      record['token'] = held + 1
      record['updated_at'] = now
      redis.call('SET', KEYS[i], cjson.encode(record))
      token = held + 1
    end
  end
  tokens[#tokens + 1] = token
end
return tokens
"""

# KEYS: n delivery records of one event (one slot). ARGV: now, then one JSON array of n rows
# [status, attempts, error or null, token or null (null skips the fencing check), lease_until
# or null (null keeps it)]: two arguments, however many writes (see CLAIM_LEASES_LUA).
# RECORD_LUA for each in one atomic step; returns per record 1 (written), 0 (no such record)
# or -1 (stale token).
RECORD_MANY_LUA = """
local now, rows = ARGV[1], cjson.decode(ARGV[2])
local results = {}
for i = 1, #KEYS do
  local status, attempts, err, fence, lease = unpack(rows[i], 1, 5)
  local raw = redis.call('GET', KEYS[i])
  local result = 1
  if not raw then result = 0 else
    local record = cjson.decode(raw)
    if fence ~= cjson.null and (tonumber(record['token']) or 1) ~= fence then result = -1 else
      if status ~= 'claimed' then record['lease_until'] = cjson.null
      elseif lease ~= cjson.null then record['lease_until'] = lease end
      record['status'] = status
      record['attempts'] = attempts
      record['updated_at'] = now
      record['last_error'] = err
      if status == 'sent' then record['sent_at'] = now end
      redis.call('SET', KEYS[i], cjson.encode(record))
    end
  end
  results[#results + 1] = result
end
return results
"""

RESULTS: dict[int, WriteResult] = {1: "written", 0: "missing", -1: "taken_over"}


def claim_leases_call(
    keys: RedisKeys,
    ref: ReminderRef,
    targets: Sequence[tuple[str, ChannelName]],
    now: datetime,
    owner: str,
    lease_s: float,
) -> tuple[list[str], list[str]]:
    """KEYS and ARGV of ``CLAIM_LEASES_LUA`` for a page of (registration id, channel), not
    empty."""
    rid, channel = targets[0]
    fresh = claim_record(delivery_key(ref, rid, channel), ref, rid, channel, now, owner, lease_s)
    args: list[str] = [owner, utc_text(now, "now"), lease_text(now, lease_s) or ""]
    args += [orjson.dumps(fresh).decode(), f"{ref.key}/", orjson.dumps(targets).decode()]
    delivery_keys = [delivery_key(ref, rid, channel) for rid, channel in targets]
    return keys.batch_and_indexes(delivery_keys, ref.event_id, ref.session_id), args


def record_many_call(
    keys: RedisKeys, writes: Sequence[DeliveryWrite], now: datetime
) -> tuple[list[str], list[str]]:
    """KEYS and ARGV of ``RECORD_MANY_LUA``: the time, then every write as one JSON array."""
    rows = [
        (
            w.status,
            w.attempts,
            w.error,
            w.token,
            lease_text(now, w.lease_s) if w.status == "claimed" else None,
        )
        for w in writes
    ]
    return [keys.delivery(w.key) for w in writes], [
        utc_text(now, "now"),
        orjson.dumps(rows).decode(),
    ]


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
