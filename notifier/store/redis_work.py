"""Work shared across replicas on Redis: a Streams consumer group and a leader lease.

Chunks go on one stream (``work``) read by the consumer group ``fanout``: XADD to publish,
XREADGROUP to take, XACK + XDEL once done. A replica that dies holding chunks leaves them
pending; after ``idle_s`` without a touch (XCLAIM … JUSTID, sent while a chunk is being worked
on) another replica takes them with XAUTOCLAIM. The round bookkeeping of a fan-out (its
``progress`` hash and ``chunks`` set) changes only in Lua scripts that touch that one fan-out's
two keys; the leader lease and its token counter are the other pair. On a Redis Cluster each
script's keys share a hash tag (``_redis_layout.RedisKeys``): the fan-out's event's, ``{leader}``
for the lease, ``{work}`` for the stream, which every command names alone.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from redis.exceptions import ResponseError

from notifier.records import Chunk, ReminderRef
from notifier.store._redis_client import Client
from notifier.store._redis_layout import RedisKeys, text
from notifier.store.work import Progress, WorkItem

Guard = Callable[[str], AbstractAsyncContextManager[None]]
GROUP = "fanout"
PROGRESS_TTL_S = 8 * 86400  # a fan-out's bookkeeping outlives the catch-up's look-back

# KEYS: progress, chunks. ARGV: publisher, leader_token. A new round, unless a publisher with
# a newer leader token began one (fenced off: 0).
BEGIN_LUA = """
local held = tonumber(redis.call('HGET', KEYS[1], 'leader_token') or '0')
if held > tonumber(ARGV[2]) then return 0 end
local round = tonumber(redis.call('HGET', KEYS[1], 'round') or '0') + 1
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'round', round, 'publisher', ARGV[1], 'leader_token', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return round
"""

# KEYS: progress, chunks. ARGV: round, total. The round's fields if every chunk is done.
SEAL_LUA = """
if redis.call('HGET', KEYS[1], 'round') ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'total', ARGV[2])
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return redis.call('HGETALL', KEYS[1])
end
return false
"""

# KEYS: progress, chunks. ARGV: round, chunk id, ttl_s, then pairs (outcome, count). Counted
# once per chunk and round; the round's fields if this was its last chunk.
FINISH_LUA = """
if redis.call('HGET', KEYS[1], 'round') ~= ARGV[1] then return false end
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return false end
redis.call('EXPIRE', KEYS[2], ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[i], ARGV[i + 1]) end
local total = redis.call('HGET', KEYS[1], 'total')
if total and redis.call('SCARD', KEYS[2]) >= tonumber(total) then
  return redis.call('HGETALL', KEYS[1])
end
return false
"""

# KEYS: the stream. ARGV: group, entry id. Acknowledged and deleted in one step.
ACK_LUA = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
"""

# KEYS: leader, leader_token. ARGV: owner, lease_ms. Renew if ``owner`` holds it; take it with
# the next token if free; else 0.
HOLD_LUA = """
local held = redis.call('GET', KEYS[1])
if held then
  local owner, token = string.match(held, '^(.*) (%d+)$')
  if owner ~= ARGV[1] then return 0 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(token)
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
"""

# KEYS: leader. ARGV: owner. Let go, if it is still ours.
RELEASE_LUA = """
local held = redis.call('GET', KEYS[1])
if held and string.match(held, '^(.*) %d+$') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


def _fields(chunk: Chunk) -> dict[str, str | int]:
    ref = chunk.ref
    return {
        "event_id": ref.event_id,
        "session_id": ref.session_id,
        "start_utc": ref.start_utc.isoformat(),
        "offset_s": ref.offset_s,
        "after": chunk.after_id,
        "upto": chunk.upto_id,
        "round": chunk.round,
    }


def _item(entry_id: Any, raw: dict[Any, Any], deliveries: int = 1) -> WorkItem:
    fields = {text(k): text(v) for k, v in raw.items()}
    start = datetime.fromisoformat(fields["start_utc"])
    ref = ReminderRef(fields["event_id"], fields["session_id"], start, int(fields["offset_s"]))
    chunk = Chunk(ref, fields["after"], fields["upto"], int(fields["round"]))
    return WorkItem(text(entry_id), chunk, deliveries)


def _counts(reply: Any) -> Counter[str] | None:
    if not reply:
        return None
    flat = [text(value) for value in reply]
    pairs = zip(flat[::2], flat[1::2], strict=True)
    return Counter({name[2:]: int(value) for name, value in pairs if name.startswith("n:")})


class RedisWorkQueue:
    """:class:`~notifier.store.work.WorkQueue` on a Redis stream and consumer group."""

    def __init__(self, client: Client, keys: RedisKeys, guard: Guard) -> None:
        self._client, self._keys, self._guard = client, keys, guard
        self._stream = keys.work_stream()
        self._begin = client.register_script(BEGIN_LUA)
        self._seal = client.register_script(SEAL_LUA)
        self._finish = client.register_script(FINISH_LUA)
        self._ack = client.register_script(ACK_LUA)
        self._group_made = False

    def _round_keys(self, ref: ReminderRef) -> list[str]:
        return [self._keys.fanout_progress(ref.key), self._keys.fanout_chunks_done(ref.key)]

    async def _group(self) -> None:
        """The consumer group, made once (from the stream's start: nothing published before
        it is missed); a group that exists already is fine."""
        if self._group_made:
            return
        try:
            await self._client.xgroup_create(self._stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_made = True

    @contextlib.asynccontextmanager
    async def _grouped(self, action: str) -> AsyncIterator[None]:
        """``action`` on the group; a Redis that lost the group (it came back empty) gets it
        made again on the next call instead of failing forever."""
        async with self._guard(action):
            await self._group()
            try:
                yield
            except ResponseError as exc:
                if "NOGROUP" in str(exc):
                    self._group_made = False
                raise

    async def begin(self, ref: ReminderRef, publisher: str, leader_token: int) -> int:
        args: list[str | int] = [publisher, leader_token, PROGRESS_TTL_S]
        async with self._guard("work_begin"):
            return int(await self._begin(keys=self._round_keys(ref), args=args))

    async def publish(self, chunk: Chunk) -> None:
        async with self._grouped("work_publish"):
            await self._client.xadd(self._stream, _fields(chunk))  # type: ignore[arg-type]

    async def seal(self, ref: ReminderRef, round_: int, total: int) -> Counter[str] | None:
        async with self._guard("work_seal"):
            return _counts(await self._seal(keys=self._round_keys(ref), args=[round_, total]))

    async def take(self, consumer: str, count: int, wait_s: float) -> list[WorkItem]:
        async with self._grouped("work_take"):
            reply = await self._client.xreadgroup(
                GROUP, consumer, {self._stream: ">"}, count=count, block=int(wait_s * 1000)
            )
        found: list[Any] = list(reply or [])
        return [_item(entry_id, raw) for _, entries in found for entry_id, raw in entries]

    async def reclaim(self, consumer: str, idle_s: float, count: int) -> list[WorkItem]:
        async with self._grouped("work_reclaim"):
            reply = await self._client.xautoclaim(
                self._stream, GROUP, consumer, int(idle_s * 1000), "0-0", count=count
            )
        entries = reply[1] if len(reply) > 1 else []
        return [_item(entry_id, raw, 2) for entry_id, raw in entries if raw]

    async def touch(self, consumer: str, item: WorkItem) -> None:
        async with self._guard("work_touch"):
            await self._client.xclaim(
                self._stream, GROUP, consumer, 0, [item.entry_id], justid=True
            )

    async def finish(self, item: WorkItem, counts: Counter[str]) -> Counter[str] | None:
        chunk = item.chunk
        args: list[str | int] = [chunk.round, chunk.after_id, PROGRESS_TTL_S]
        for name, value in counts.items():
            args += [name, value]
        async with self._guard("work_finish"):
            reply = await self._finish(keys=self._round_keys(chunk.ref), args=args)
            await self._done(item)
        return _counts(reply)

    async def _done(self, item: WorkItem) -> None:
        # one script on the stream's one key: atomic on a cluster too (no MULTI there)
        await self._ack(keys=[self._stream], args=[GROUP, item.entry_id])

    async def hand_back(self, item: WorkItem) -> None:
        async with self._guard("work_hand_back"):
            await self._client.xadd(self._stream, _fields(item.chunk))  # type: ignore[arg-type]
            await self._done(item)

    async def progress(self, ref: ReminderRef) -> Progress | None:
        progress, chunks = self._round_keys(ref)
        async with self._guard("work_progress"):
            fields = await self._client.hgetall(progress)
            done = int(await self._client.scard(chunks))
        found = {text(k): text(v) for k, v in fields.items()}
        if "round" not in found:
            return None
        total = int(found["total"]) if "total" in found else None
        return Progress(int(found["round"]), total, done, found.get("publisher", ""))


class RedisLeaderLease:
    """:class:`~notifier.store.work.LeaderLease`: SET NX PX on one key, tokens from INCR."""

    def __init__(self, client: Client, keys: RedisKeys, guard: Guard) -> None:
        self._keys, self._guard = keys, guard
        self._hold = client.register_script(HOLD_LUA)
        self._release = client.register_script(RELEASE_LUA)

    async def hold(self, owner: str, lease_s: float) -> int:
        keys = [self._keys.leader(), self._keys.leader_token()]
        async with self._guard("leader_hold"):
            return int(await self._hold(keys=keys, args=[owner, int(lease_s * 1000)]))

    async def release(self, owner: str) -> None:
        async with self._guard("leader_release"):
            await self._release(keys=[self._keys.leader()], args=[owner])
