"""The production store: Redis through one ``redis.asyncio`` pool, or a Redis Cluster.

Key layout 2, every key under ``prefix`` (default ``notifier:``); ``{ev:E}`` is a hash tag, so
every key of event ``E`` sits in one cluster slot and each script or transaction runs there::

    events                             set     every event id with registrations or deliveries
    regev:{registration_id}            string  the registration's event id
    {ev:E}reg:{registration_id}        string  registration, JSON
    {ev:E}regs                         set     the event's registration ids
    {ev:E}regorder                     zset    the same ids, all scored 0: keyset pages by id
                                               (ZRANGEBYLEX; built from regs at first use)
    {ev:E}pending                      zset    unconfirmed registration ids, by creation time
    {ev:E}addr:{sha256(address)}       string  registration id: one registration per address
    {ev:E}dlv:{delivery_key}           string  delivery record, JSON; claimed with SET NX
    {ev:E}dlvs                         set     the event's delivery keys
    {ev:E}dlvs:{session_id}            set     the session's delivery keys
    {ev:E}fanout:{reminder_key}        string  fan-out record, JSON
    {ev:E}seq:{session_id}             hash    start_utc, sequence (iCalendar SEQUENCE)
    {ev:E}progress:{reminder_key}      hash    a shared fan-out's round: round, publisher,
                                               leader_token, total, counts (redis_work.py)
    {ev:E}chunks:{reminder_key}        set     the round's finished chunks
    {work}stream                       stream  audience chunks; consumer group "fanout"
    {leader}lease, {leader}token       string  the scheduler's leader lease; its fencing tokens
    limit:{key}:{window_start}         string  hits in one rate-limit window (expires)
    layout                             string  "2"; absent: layout 1, moved at first use
    marker, {marker:n}marker           string  write marker, only grows (a lost write shows)

``sha256(address)`` hashes ``email:`` plus the lower-cased email, else ``webhook:`` plus the URL.
``events`` and ``regev:`` live in other slots, so they are written in a step of their own
*before* the event's records (and ``regev:`` deleted after): a crash between the steps
leaves an event listed with nothing in it, or a pointer to no record, both read as absent.
Shared work has tags of its own (``{work}``, ``{leader}``): its keys are named alone by each
command, or together by one script only within one tag.
Registrations change under WATCH/MULTI on their ``addr`` and ``reg`` keys, so two replicas
registering one address end with one record holding both sessions. Delivery claims, updates
and releases are Lua scripts: each is one atomic step that also keeps the index sets right;
a batch (``claim_leases``, ``record_deliveries``) is one script call per event.
Every call runs under a deadline and any Redis failure surfaces as :class:`StoreError`, whose
text names the server but never its password.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

import orjson

from notifier.errors import ClaimLostError, RegistrationError, StoreError
from notifier.records import (
    ChannelName,
    Delivery,
    DeliveryStatus,
    DeliveryWrite,
    Fanout,
    FanoutStatus,
    Registration,
    ReminderRef,
    WriteResult,
)
from notifier.store._codec import (
    address_key,
    check_registration,
    claim_record,
    delivery_from_record,
    fanout_from_record,
    fanout_record,
    lease_text,
    registration_from_record,
    utc_text,
)
from notifier.store._redis_base import RedisBase
from notifier.store._redis_batch import (
    RESULTS,
    claim_leases_call,
    fill_order,
    page_ids,
    record_many_call,
)
from notifier.store._redis_client import make_client
from notifier.store._redis_layout import (
    add_watched,
    confirm_watched,
    disable_webhook_watched,
    key_event,
    remove_watched,
    text,
    update_watched,
)
from notifier.store.redis_work import RedisLeaderLease, RedisWorkQueue


def open_redis_store(url: str, *, prefix: str = "notifier:", timeout_s: float = 5.0) -> RedisStore:
    """A store on its own pool for ``url``: ``redis://[:password@]host:port/db``, ``rediss://``,
    or ``redis+cluster://[:password@]host:port[,host:port…]`` for a Redis Cluster."""
    if "{" in prefix or "}" in prefix:
        raise StoreError(f"redis key prefix {prefix!r}: braces would change the hash tags")
    return RedisStore(make_client(url, timeout_s), prefix, timeout_s=timeout_s)


class RedisStore(RedisBase):
    """:class:`~notifier.store.base.Store` on a ``redis.asyncio`` client (one pool, or a
    :class:`~redis.asyncio.cluster.RedisCluster`)."""

    async def add_registration(self, registration: Registration) -> Registration:
        check_registration(registration)
        event_id, pointer = registration.event_id, self._keys.registration_event(registration.id)
        # the listing set and the pointer first (other slots): a crash after them leaves an
        # empty listing entry or a pointer to no record, both read as nothing
        async with self._guard("add_registration"):
            await self._client.sadd(self._keys.events(), event_id)
            created = await self._client.set(pointer, event_id, nx=True)
            if not created and text(await self._client.get(pointer) or b"") != event_id:
                message = f"{registration.id!r} belongs to another event; use a fresh id"
                raise RegistrationError("id", message)
        stored = await self._watched(
            "add_registration", event_id, lambda pipe: add_watched(pipe, self._keys, registration)
        )
        if created and stored.id != registration.id:  # merged into another: no record of its own
            async with self._guard("add_registration"):
                await self._client.delete(pointer)
        return stored

    async def find_registration(self, like: Registration) -> Registration | None:
        key = self._keys.address(like.event_id, address_key(like))
        async with self._guard("find_registration"):
            registration_id = await self._client.get(key)
            if registration_id is None:
                return None
            raw = await self._client.get(
                self._keys.registration(like.event_id, text(registration_id))
            )
        return None if raw is None else registration_from_record(json.loads(raw))

    async def get_registration(self, registration_id: str) -> Registration | None:
        event_id = await self._event_of(registration_id)
        if event_id is None:
            return None
        async with self._guard("get_registration"):
            raw = await self._client.get(self._keys.registration(event_id, registration_id))
        return None if raw is None else registration_from_record(json.loads(raw))

    async def confirm_registration(self, registration_id: str) -> Registration | None:
        event_id = await self._event_of(registration_id)
        if event_id is None:
            return None
        return await self._watched(
            "confirm_registration",
            event_id,
            lambda pipe: confirm_watched(pipe, self._keys, event_id, registration_id),
        )

    async def disable_webhook(self, registration_id: str) -> bool:
        event_id = await self._event_of(registration_id)
        if event_id is None:
            return False
        return await self._watched(
            "disable_webhook",
            event_id,
            lambda pipe: disable_webhook_watched(pipe, self._keys, event_id, registration_id),
        )

    async def update_registration(self, changed: Registration) -> Registration | None:
        event_id = await self._event_of(changed.id)
        if event_id is None:
            return None
        return await self._watched(
            "update_registration",
            event_id,
            lambda pipe: update_watched(pipe, self._keys, event_id, changed),
        )

    async def remove_registration(self, registration_id: str) -> bool:
        event_id = await self._event_of(registration_id)
        if event_id is None:
            return False
        return await self._remove(event_id, registration_id, only_pending=False)

    async def _remove(self, event_id: str, registration_id: str, *, only_pending: bool) -> bool:
        removed = await self._watched(
            "remove_registration",
            event_id,
            lambda pipe: remove_watched(
                pipe, self._keys, event_id, registration_id, only_pending=only_pending
            ),
        )
        if removed:  # after the record: a crash between leaves a pointer to nothing
            async with self._guard("remove_registration"):
                await self._client.delete(self._keys.registration_event(registration_id))
        return removed

    async def purge_pending(self, created_before: datetime) -> int:
        purged = 0
        for event_id in await self._event_ids("purge_pending"):
            async with self._guard("purge_pending"):
                due = await self._client.zrangebyscore(
                    self._keys.pending(event_id), "-inf", f"({created_before.timestamp()}"
                )
            for member in due:
                if isinstance(member, bytes | str):  # ids only: asked without WITHSCORES
                    purged += await self._remove(event_id, text(member), only_pending=True)
        return purged

    async def hit_limit(self, key: str, limit: int, window_s: int, now: datetime) -> float | None:
        window_start = int(now.timestamp()) // window_s * window_s
        name = self._keys.limit(key, window_start)
        async with self._guard("hit_limit"):
            # the window's own key, gone once it is over
            hits = await self._limit(keys=[name], args=[window_s + 1])
        return None if int(hits) <= limit else window_start + window_s - now.timestamp()

    async def list_registrations(self, event_id: str | None = None) -> list[Registration]:
        found = []
        for event in await self._event_ids("list_registrations", event_id):
            index = self._keys.registrations(event)
            record_key = self._registration_key(event)
            found += [
                registration_from_record(r)
                for r in await self._records("list_registrations", index, record_key)
            ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def _registration_key(self, event_id: str) -> Callable[[str], str]:
        return lambda registration_id: self._keys.registration(event_id, registration_id)

    async def count_registrations(self, event_id: str) -> int:
        async with self._guard("count_registrations"):
            return int(await self._client.scard(self._keys.registrations(event_id)))

    async def registration_page(
        self, event_id: str, after_id: str = "", limit: int = 500, upto_id: str | None = None
    ) -> list[Registration]:
        async with self._guard("registration_order"):  # its own deadline: a one-off build
            await fill_order(self._client, self._keys, event_id)
        async with self._guard("registration_page"):
            ids = await page_ids(self._client, self._keys, event_id, after_id, limit, upto_id)
            # one event's records share its tag: one MGET, on a cluster too
            keys = [self._keys.registration(event_id, i) for i in ids]
            values = await self._client.mget(keys) if keys else []
        # an id whose record is gone was removed between the two reads: it is not a follower
        # (orjson: a page is read per 500 deliveries, and json.loads was 4 times slower)
        return [registration_from_record(orjson.loads(v)) for v in values if v is not None]

    async def registrations_for(self, event_id: str, session_id: str) -> list[Registration]:
        return [r for r in await self.list_registrations(event_id) if r.follows(session_id)]

    async def claim_delivery(
        self, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName, now: datetime
    ) -> bool:
        record = json.dumps(claim_record(key, ref, registration_id, channel, now))
        keys = self._keys.delivery_and_indexes(key, ref.event_id, ref.session_id)
        await self._note_event("claim_delivery", ref.event_id)
        async with self._guard("claim_delivery"):
            return bool(await self._claim(keys=keys, args=[record, key]))

    async def claim_lease(
        self,
        key: str,
        ref: ReminderRef,
        registration_id: str,
        channel: ChannelName,
        now: datetime,
        *,
        owner: str,
        lease_s: float,
    ) -> int:
        record = claim_record(key, ref, registration_id, channel, now, owner, lease_s)
        keys = self._keys.delivery_and_indexes(key, ref.event_id, ref.session_id)
        args = [json.dumps(record), key, owner, record["updated_at"], record["lease_until"]]
        await self._note_event("claim_lease", ref.event_id)
        async with self._guard("claim_lease"):
            return int(await self._claim_lease(keys=keys, args=args))

    async def claim_leases(
        self,
        ref: ReminderRef,
        targets: Sequence[tuple[str, ChannelName]],
        now: datetime,
        *,
        owner: str,
        lease_s: float,
    ) -> list[int]:
        if not targets:
            return []
        # every key of the batch is the reminder's event's: one script call on one slot
        keys, args = claim_leases_call(self._keys, ref, targets, now, owner, lease_s)
        await self._note_event("claim_leases", ref.event_id)
        async with self._guard("claim_leases"):
            tokens = await self._claim_leases(keys=keys, args=args)
        return [int(token) for token in tokens]

    async def record_deliveries(
        self, writes: Sequence[DeliveryWrite], now: datetime
    ) -> list[WriteResult]:
        # one script call per event (one slot each), the answers put back in the writes' order
        by_event: dict[str, list[int]] = {}
        for index, write in enumerate(writes):
            by_event.setdefault(key_event(write.key), []).append(index)
        results: list[WriteResult] = ["missing"] * len(writes)
        for indexes in by_event.values():
            keys, args = record_many_call(self._keys, [writes[i] for i in indexes], now)
            async with self._guard("record_deliveries"):
                found = await self._record_many(keys=keys, args=args)
            for index, code in zip(indexes, found, strict=True):
                results[index] = RESULTS[int(code)]
        return results

    async def record_delivery(
        self,
        key: str,
        status: DeliveryStatus,
        attempts: int,
        now: datetime,
        error: str | None = None,
        *,
        token: int | None = None,
        lease_s: float | None = None,
    ) -> None:
        now_text = utc_text(now, "now")
        lease = lease_text(now, lease_s) if status == "claimed" else None
        fence = "" if token is None else str(token)
        args = [status, attempts, now_text, int(error is not None), error or "", fence, lease or ""]
        async with self._guard("record_delivery"):
            found = int(await self._record(keys=[self._keys.delivery(key)], args=args))
        if found == -1:
            raise ClaimLostError(f"delivery {key!r}: its claim was taken over; not written")
        if not found:
            raise StoreError(f"delivery {key!r} was never claimed; claim_delivery first")

    async def release_delivery(self, key: str) -> None:
        delivery = await self.get_delivery(key)
        if delivery is None:
            return
        keys = self._keys.delivery_and_indexes(key, delivery.ref.event_id, delivery.ref.session_id)
        async with self._guard("release_delivery"):
            await self._release(keys=keys, args=[key])

    async def get_delivery(self, key: str) -> Delivery | None:
        async with self._guard("get_delivery"):
            raw = await self._client.get(self._keys.delivery(key))
        return None if raw is None else delivery_from_record(json.loads(raw))

    async def list_deliveries(
        self, event_id: str | None = None, session_id: str | None = None
    ) -> list[Delivery]:
        found = []
        for event in await self._event_ids("list_deliveries", event_id):
            index = self._keys.deliveries(event, session_id)
            records = await self._records("list_deliveries", index, self._keys.delivery)
            found += [delivery_from_record(r) for r in records]
        return sorted(found, key=lambda d: (d.created_at, d.key))

    async def get_fanout(self, ref: ReminderRef) -> Fanout | None:
        async with self._guard("get_fanout"):
            raw = await self._client.get(self._keys.fanout(ref.key))
        return None if raw is None else fanout_from_record(json.loads(raw))

    async def record_fanout(
        self, ref: ReminderRef, status: FanoutStatus, now: datetime, counts: dict[str, int]
    ) -> None:
        record = json.dumps(fanout_record(ref, status, now, counts))
        async with self._guard("record_fanout"):
            await self._client.set(self._keys.fanout(ref.key), record)

    async def session_sequence(self, event_id: str, session_id: str, start_utc: datetime) -> int:
        key = self._keys.sequence(event_id, session_id)
        async with self._guard("session_sequence"):
            return int(await self._sequence(keys=[key], args=[utc_text(start_utc, "start_utc")]))

    def work_queue(self) -> RedisWorkQueue:
        """The replicas' shared chunk queue, on this store's client."""
        return RedisWorkQueue(self._client, self._keys, self._guard)

    def leader_lease(self) -> RedisLeaderLease:
        """The scheduler's leader lease, on this store's client."""
        return RedisLeaderLease(self._client, self._keys, self._guard)
