"""Where the Redis store keeps things, and the atomic steps that change them.

The layout is documented in ``redis.py``'s docstring; :class:`RedisKeys` builds its names.
Every script and transaction stays inside one event's hash tag, so each runs on one slot of
a Redis Cluster as on a single server. Each Lua script is one atomic step on the server that
also keeps the index sets in step with the records, so no crash between two commands can
leave a claimed key out of its listings.
Registrations merge in Python under WATCH/MULTI instead (one merge rule for both backends):
the ``*_watched`` steps raise ``WatchError`` when another writer got between, to be retried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from redis.asyncio.client import Pipeline

from notifier.errors import RegistrationError
from notifier.records import Registration
from notifier.store._codec import (
    address_key,
    merge_registration,
    registration_from_record,
    registration_record,
    update_settings,
)


@dataclass(frozen=True)
class RedisKeys:
    """Key names under ``prefix``; ids are used as given (they must not contain ``/``).

    Redis Cluster rule (layout 2): every key that a Lua script or a WATCH/MULTI transaction
    touches together carries the same hash tag, so they sit in one slot. Everything of one
    event is tagged ``{ev:<event_id>}`` (built by :meth:`event`); a key used alone, by a
    single command (``events``, ``regev:``, ``limit:``, ``layout``), needs no tag of its own.
    A new key follows the same rule: per-event data starts with ``self.event(event_id)``;
    a key shared across events is only ever changed by one command or in its own step.
    Replicas' shared work has tags of its own: the chunk stream ``{work}`` (each command names
    it alone), the leader lease and its token counter ``{leader}`` (one script takes both); a
    fan-out's round bookkeeping and the paging index ``regorder`` are its event's.
    """

    prefix: str

    def event(self, event_id: str) -> str:
        """The start of every key of one event: its hash tag fixes the slot."""
        return f"{self.prefix}{{ev:{event_id}}}"

    def events(self) -> str:
        """Set of every event id that has registrations or deliveries (listing across events)."""
        return f"{self.prefix}events"

    def registration_event(self, registration_id: str) -> str:
        """String: the event a registration belongs to (its id alone names no slot)."""
        return f"{self.prefix}regev:{registration_id}"

    def registration(self, event_id: str, registration_id: str) -> str:
        return f"{self.event(event_id)}reg:{registration_id}"

    def registrations(self, event_id: str) -> str:
        return f"{self.event(event_id)}regs"

    def pending(self, event_id: str) -> str:
        """Sorted set of unconfirmed registration ids, scored by creation (Unix seconds)."""
        return f"{self.event(event_id)}pending"

    def limit(self, key: str, window_start: int) -> str:
        return f"{self.prefix}limit:{key}:{window_start}"

    def address(self, event_id: str, address_key: str) -> str:
        return f"{self.event(event_id)}addr:{address_key}"

    def delivery(self, key: str) -> str:
        """A delivery key starts with its event id (``delivery_key``), which fixes the slot."""
        return f"{self.event(key_event(key))}dlv:{key}"

    def deliveries(self, event_id: str, session_id: str | None = None) -> str:
        index = f"{self.event(event_id)}dlvs"
        return index if session_id is None else f"{index}:{session_id}"

    def delivery_and_indexes(self, key: str, event_id: str, session_id: str) -> list[str]:
        """KEYS for the claim and release scripts: one slot, the event's."""
        return [
            self.delivery(key),
            self.deliveries(event_id),
            self.deliveries(event_id, session_id),
        ]

    def registration_order(self, event_id: str) -> str:
        """Sorted set (all scores 0) of the event's registration ids: pages in id order.
        Under the event's tag: it changes in the registration's MULTI, and a page's MGET
        reads records of the same slot."""
        return f"{self.event(event_id)}regorder"

    def batch_and_indexes(self, keys: list[str], event_id: str, session_id: str) -> list[str]:
        """KEYS for the batch claim script: the event's two delivery indexes, then each
        delivery record; every key is ``event_id``'s (one slot), so a batch is one event's."""
        if any(key_event(key) != event_id for key in keys):
            raise ValueError(f"a batch claim takes keys of one event ({event_id!r}) only")
        indexes = self.delivery_and_indexes("", event_id, session_id)[1:]
        return indexes + [self.delivery(key) for key in keys]

    def fanout(self, reminder_key: str) -> str:
        """A reminder key starts with its event id (``ReminderRef.key``)."""
        return f"{self.event(key_event(reminder_key))}fanout:{reminder_key}"

    def sequence(self, event_id: str, session_id: str) -> str:
        return f"{self.event(event_id)}seq:{session_id}"

    # -- work shared across replicas (redis_work.py) ----------------------------------
    def work_stream(self) -> str:
        """Stream of audience chunks, read by the replicas' consumer group: a tag of its own
        (one slot; every command on it names it alone)."""
        return f"{self.prefix}{{work}}stream"

    def fanout_progress(self, reminder_key: str) -> str:
        """Hash of a fan-out's current round: round, publisher, leader_token, total, counts.
        Under the event's tag, with :meth:`fanout_chunks_done` (their scripts take both)."""
        return f"{self.event(key_event(reminder_key))}progress:{reminder_key}"

    def fanout_chunks_done(self, reminder_key: str) -> str:
        """Set of the current round's finished chunks (by their first bound)."""
        return f"{self.event(key_event(reminder_key))}chunks:{reminder_key}"

    def leader(self) -> str:
        """The scheduler's leader lease: ``owner token``, with an expiry; tag ``{leader}``,
        shared with :meth:`leader_token` (one script takes both)."""
        return f"{self.prefix}{{leader}}lease"

    def leader_token(self) -> str:
        """Counter of leader fencing tokens (only grows); lives beside :meth:`leader`."""
        return f"{self.prefix}{{leader}}token"

    def layout(self) -> str:
        """String: the layout version these names follow (absent before layout 2)."""
        return f"{self.prefix}layout"

    def marker(self, tag: str | None = None) -> str:
        """The write marker; on a cluster one per master, each under a tag that master serves."""
        return f"{self.prefix}marker" if tag is None else f"{self.prefix}{{{tag}}}marker"


def key_event(key: str) -> str:
    """The event id a delivery or reminder key starts with (``event/session/…``)."""
    return key.partition("/")[0]


# KEYS: delivery_and_indexes. ARGV: record JSON, delivery key. Returns 1 if this call claimed.
CLAIM_LUA = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
for i = 2, #KEYS do redis.call('SADD', KEYS[i], ARGV[2]) end
return 1
"""

# KEYS: delivery_and_indexes. ARGV: record JSON, delivery key, owner, now, lease_until.
# Returns the claim's fencing token: 1 for a new claim, the same token if ``owner`` holds it
# already (a retry after a lost reply), token + 1 for a claim whose lease ran out; else 0.
# Times are fixed-width UTC text, so comparing strings compares instants.
CLAIM_LEASE_LUA = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], ARGV[1])
  for i = 2, #KEYS do redis.call('SADD', KEYS[i], ARGV[2]) end
  return 1
end
local record = cjson.decode(raw)
if record['status'] ~= 'claimed' then return 0 end
local token = tonumber(record['token']) or 1
if record['owner'] == ARGV[3] then return token end
local lease = record['lease_until']
if type(lease) ~= 'string' or lease > ARGV[4] then return 0 end
record['owner'] = ARGV[3]
record['lease_until'] = ARGV[5]
record['token'] = token + 1
record['updated_at'] = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(record))
return token + 1
"""

# KEYS: delivery. ARGV: status, attempts, now, has_error ('1'/'0'), error, token ('' to skip
# the fencing check), lease_until ('' keeps it). 0: no such record; -1: the token is stale.
RECORD_LUA = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if ARGV[6] ~= '' and (tonumber(record['token']) or 1) ~= tonumber(ARGV[6]) then return -1 end
if ARGV[1] ~= 'claimed' then record['lease_until'] = cjson.null
elseif ARGV[7] ~= '' then record['lease_until'] = ARGV[7] end
record['status'] = ARGV[1]
record['attempts'] = tonumber(ARGV[2])
record['updated_at'] = ARGV[3]
if ARGV[4] == '1' then record['last_error'] = ARGV[5] else record['last_error'] = cjson.null end
if ARGV[1] == 'sent' then record['sent_at'] = ARGV[3] end
redis.call('SET', KEYS[1], cjson.encode(record))
return 1
"""

# KEYS: delivery_and_indexes. ARGV: delivery key. Only a bare claim goes: a sent or failed
# record is history, and dropping it would let the reminder go out again.
RELEASE_LUA = """
local raw = redis.call('GET', KEYS[1])
if not raw or cjson.decode(raw)['status'] ~= 'claimed' then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
return 1
"""

# KEYS: a rate-limit window's counter. ARGV: its lifetime (s). Returns the hits so far.
LIMIT_LUA = """
local hits = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return hits
"""

# KEYS: sequence. ARGV: start_utc. 0 at first; +1 each time the start differs from the last.
SEQUENCE_LUA = """
local start, sequence = unpack(redis.call('HMGET', KEYS[1], 'start_utc', 'sequence'))
if not start then sequence = 0
elseif start ~= ARGV[1] then sequence = tonumber(sequence) + 1
else return tonumber(sequence) end
redis.call('HSET', KEYS[1], 'start_utc', ARGV[1], 'sequence', sequence)
return sequence
"""


async def add_watched(pipe: Pipeline, keys: RedisKeys, registration: Registration) -> Registration:
    """Insert, or merge into the address's registration: one WATCH/MULTI attempt."""
    record = registration_record(registration)
    addr = keys.address(registration.event_id, record["address_key"])
    await pipe.watch(addr)
    existing_id = await pipe.get(addr)
    existing = None
    event_id = registration.event_id
    if existing_id is not None:
        reg = keys.registration(event_id, text(existing_id))
        await pipe.watch(reg)
        raw = await pipe.get(reg)
        existing = None if raw is None else registration_from_record(json.loads(raw))
    if existing is None:
        stored, reg = registration, keys.registration(event_id, registration.id)
        await pipe.watch(reg)
        # GET, not EXISTS: redis-py's cluster pipeline queues EXISTS (a multi-key command)
        # instead of running it at once while watching
        if await pipe.get(reg) is not None:
            message = f"{registration.id!r} belongs to another address; use a fresh id"
            raise RegistrationError("id", message)
    else:
        stored = merge_registration(existing, registration)
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
    pipe.set(reg, json.dumps(registration_record(stored)))
    pipe.set(addr, stored.id)
    pipe.sadd(keys.registrations(event_id), stored.id)
    pipe.zadd(keys.registration_order(event_id), {stored.id: 0})
    if stored.confirmed:
        pipe.zrem(keys.pending(event_id), stored.id)
    else:
        pipe.zadd(keys.pending(event_id), {stored.id: stored.created_at.timestamp()})
    await pipe.execute()
    return stored


async def remove_watched(
    pipe: Pipeline,
    keys: RedisKeys,
    event_id: str,
    registration_id: str,
    *,
    only_pending: bool = False,
) -> bool:
    """Delete a registration, its address key and its index entries: one WATCH/MULTI attempt.

    ``only_pending``: leave it if it was confirmed meanwhile (the expiry sweep must never
    remove someone who clicked their link a moment ago).
    """
    reg = keys.registration(event_id, registration_id)
    await pipe.watch(reg)
    raw = await pipe.get(reg)
    if raw is None or (only_pending and json.loads(raw).get("confirmed", True)):
        if only_pending:  # gone or confirmed: either way it is no longer pending (still
            await pipe.zrem(keys.pending(event_id), registration_id)  # watching: runs at once)
        return False
    # while reg exists its address key names it (both change in one MULTI), so drop both; a
    # registration left with no address has a ``none:`` key that was never set (DEL ignores it)
    record = json.loads(raw)
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
    pipe.delete(reg, keys.address(event_id, record["address_key"]))
    pipe.srem(keys.registrations(event_id), registration_id)
    pipe.zrem(keys.registration_order(event_id), registration_id)
    pipe.zrem(keys.pending(event_id), registration_id)
    await pipe.execute()
    return True


async def read_watched(
    pipe: Pipeline, keys: RedisKeys, event_id: str, registration_id: str
) -> Registration | None:
    """WATCH a registration and read it: the start of a read-change-write attempt."""
    reg = keys.registration(event_id, registration_id)
    await pipe.watch(reg)
    raw = await pipe.get(reg)
    return None if raw is None else registration_from_record(json.loads(raw))


async def confirm_watched(
    pipe: Pipeline, keys: RedisKeys, event_id: str, registration_id: str
) -> Registration | None:
    """Mark a registration confirmed: one WATCH/MULTI attempt; no write if it already is."""
    stored = await read_watched(pipe, keys, event_id, registration_id)
    if stored is None or stored.confirmed:
        return stored
    confirmed = replace(stored, confirmed=True)
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
    pipe.set(
        keys.registration(event_id, registration_id), json.dumps(registration_record(confirmed))
    )
    pipe.zrem(keys.pending(event_id), registration_id)
    await pipe.execute()
    return confirmed


async def update_watched(
    pipe: Pipeline, keys: RedisKeys, event_id: str, changed: Registration
) -> Registration | None:
    """Replace a registration's own settings (the manage page): one WATCH/MULTI attempt.

    The address is not among them, so its address key and index entries stay as they are.
    """
    stored = await read_watched(pipe, keys, event_id, changed.id)
    if stored is None:
        return None
    updated = update_settings(stored, changed)
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
    pipe.set(keys.registration(event_id, changed.id), json.dumps(registration_record(updated)))
    await pipe.execute()
    return updated


async def disable_webhook_watched(
    pipe: Pipeline, keys: RedisKeys, event_id: str, registration_id: str
) -> bool:
    """Drop a registration's webhook URL, and its address key if the URL was its identity."""
    stored = await read_watched(pipe, keys, event_id, registration_id)
    if stored is None or not stored.webhook_url:
        return False
    record = registration_record(replace(stored, webhook_url=None))
    old_key = address_key(stored)
    old_addr = keys.address(event_id, old_key)
    # a webhook-only registration leaves with no address (a ``none:`` key of its own): free the
    # URL's addr key, so a new sign-up of it starts afresh instead of merging into this one; but
    # only if it still names this registration, never another's identity
    drop_addr = False
    if record["address_key"] != old_key:
        await pipe.watch(old_addr)
        named = await pipe.get(old_addr)
        drop_addr = named is not None and text(named) == registration_id
    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
    pipe.set(keys.registration(event_id, registration_id), json.dumps(record))
    if drop_addr:
        pipe.delete(old_addr)
    await pipe.execute()
    return True


def text(value: bytes | str) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value
