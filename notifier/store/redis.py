"""The production store: Redis through one ``redis.asyncio`` pool.

Key layout, every key under ``prefix`` (default ``notifier:``)::

    reg:{registration_id}              string  registration, JSON
    regs                               set     every registration id
    regs:{event_id}                    set     the event's registration ids
    addr:{event_id}:{sha256(address)}  string  registration id: one registration per address
    dlv:{delivery_key}                 string  delivery record, JSON; claimed with SET NX
    dlvs                               set     every delivery key
    dlvs:{event_id}                    set     the event's delivery keys
    dlvs:{event_id}/{session_id}       set     the session's delivery keys
    fanout:{reminder_key}              string  fan-out record, JSON
    seq:{event_id}/{session_id}        hash    start_utc, sequence (iCalendar SEQUENCE)
    marker                             string  write marker, only grows (a lost write shows)

``sha256(address)`` hashes ``email:`` plus the lower-cased email, else ``webhook:`` plus the URL.
Registrations change under WATCH/MULTI on their ``addr`` and ``reg`` keys, so two replicas
registering one address end with one record holding both sessions. Delivery claims, updates
and releases are Lua scripts: each is one atomic step that also keeps the index sets right.
Every call runs under a deadline and any Redis failure surfaces as :class:`StoreError`, whose
text names the server but never its password.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError, WatchError

from notifier.errors import ClaimLostError, StoreError
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
from notifier.store._redis_batch import (
    RESULTS,
    claim_leases_call,
    fill_order,
    page_ids,
    record_many_call,
)
from notifier.store._redis_layout import (
    CLAIM_LEASE_LUA,
    CLAIM_LEASES_LUA,
    CLAIM_LUA,
    RECORD_LUA,
    RECORD_MANY_LUA,
    RELEASE_LUA,
    SEQUENCE_LUA,
    RedisKeys,
    add_watched,
    confirm_watched,
    disable_webhook_watched,
    remove_watched,
    text,
)
from notifier.store.redis_work import RedisLeaderLease, RedisWorkQueue

T = TypeVar("T")
WATCH_ATTEMPTS = 50


def open_redis_store(url: str, *, prefix: str = "notifier:", timeout_s: float = 5.0) -> RedisStore:
    """A store on its own pool for ``url`` (``redis://[:password@]host:port/db``, ``rediss://``)."""
    # few, short retries: a replica restart is ridden out, a dead server fails within timeout_s
    retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), retries=3)
    try:
        client = Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=retry
        )
    except ValueError as exc:
        parts = urlsplit(url)
        password, in_query = parts.password, dict(parse_qsl(parts.query)).get("password")
        message = _redact(str(exc), password, unquote(password or ""), in_query)
        raise StoreError(f"redis url: {message}; write redis://[:password@]host:port/db") from exc
    return RedisStore(client, prefix, timeout_s=timeout_s, owns_client=True)


class RedisStore:
    """:class:`~notifier.store.base.Store` on a ``redis.asyncio`` client (one pool)."""

    def __init__(
        self,
        client: Redis,
        prefix: str = "notifier:",
        *,
        timeout_s: float = 5.0,
        owns_client: bool = False,
    ) -> None:
        self._client = client
        self._keys = RedisKeys(prefix)
        self._timeout_s = timeout_s
        self._owns_client = owns_client
        self._claim = client.register_script(CLAIM_LUA)
        self._claim_lease = client.register_script(CLAIM_LEASE_LUA)
        self._claim_leases = client.register_script(CLAIM_LEASES_LUA)
        self._record_many = client.register_script(RECORD_MANY_LUA)
        self._record = client.register_script(RECORD_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._sequence = client.register_script(SEQUENCE_LUA)

    @asynccontextmanager
    async def _guard(self, action: str) -> AsyncIterator[None]:
        """A deadline for ``action``, and Redis failures as StoreError without the password."""
        kwargs = self._client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        try:
            async with asyncio.timeout(self._timeout_s):
                yield
        except TimeoutError as exc:
            raise StoreError(
                f"redis store at {where}: {action} got no answer within {self._timeout_s}s;"
                " check that the server is up and reachable"
            ) from exc
        except (RedisError, OSError) as exc:
            detail = _redact(f"{type(exc).__name__}: {exc}", kwargs.get("password"))
            raise StoreError(
                f"redis store at {where}: {action} failed ({detail});"
                " check that the server is up and the store URL and password are right"
            ) from exc

    async def _watched(self, action: str, attempt: Callable[[Pipeline], Awaitable[T]]) -> T:
        """Run ``attempt`` (WATCH, read, MULTI, EXEC) again while another writer gets between."""
        async with self._guard(action):
            for _ in range(WATCH_ATTEMPTS):
                async with self._client.pipeline(transaction=True) as pipe:
                    try:
                        return await attempt(pipe)
                    except WatchError:
                        continue
        raise StoreError(f"redis store: {action} kept colliding with other writers; try again")

    async def add_registration(self, registration: Registration) -> Registration:
        check_registration(registration)
        return await self._watched(
            "add_registration", lambda pipe: add_watched(pipe, self._keys, registration)
        )

    async def find_registration(self, like: Registration) -> Registration | None:
        key = self._keys.address(like.event_id, address_key(like))
        async with self._guard("find_registration"):
            registration_id = await self._client.get(key)
        if registration_id is None:
            return None
        if isinstance(registration_id, bytes):  # a client made with decode_responses=False
            registration_id = registration_id.decode()
        return await self.get_registration(registration_id)

    async def get_registration(self, registration_id: str) -> Registration | None:
        async with self._guard("get_registration"):
            raw = await self._client.get(self._keys.registration(registration_id))
        return None if raw is None else registration_from_record(json.loads(raw))

    async def confirm_registration(self, registration_id: str) -> Registration | None:
        return await self._watched(
            "confirm_registration", lambda pipe: confirm_watched(pipe, self._keys, registration_id)
        )

    async def disable_webhook(self, registration_id: str) -> bool:
        return await self._watched(
            "disable_webhook",
            lambda pipe: disable_webhook_watched(pipe, self._keys, registration_id),
        )

    async def remove_registration(self, registration_id: str) -> bool:
        return await self._watched(
            "remove_registration", lambda pipe: remove_watched(pipe, self._keys, registration_id)
        )

    async def purge_pending(self, created_before: datetime) -> int:
        async with self._guard("purge_pending"):
            due = await self._client.zrangebyscore(
                self._keys.pending(), "-inf", f"({created_before.timestamp()}"
            )
        purged = 0
        for member in due:
            if isinstance(member, bytes | str):  # ids only: asked without WITHSCORES
                purged += await self._remove_pending(text(member))
        return purged

    async def _remove_pending(self, registration_id: str) -> bool:
        return await self._watched(
            "purge_pending",
            lambda pipe: remove_watched(pipe, self._keys, registration_id, only_pending=True),
        )

    async def hit_limit(self, key: str, limit: int, window_s: int, now: datetime) -> float | None:
        window_start = int(now.timestamp()) // window_s * window_s
        name = self._keys.limit(key, window_start)
        async with self._guard("hit_limit"), self._client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_s + 1)  # the window's own key: gone once it is over
            hits, _ = await pipe.execute()
        return None if int(hits) <= limit else window_start + window_s - now.timestamp()

    async def list_registrations(self, event_id: str | None = None) -> list[Registration]:
        index = self._keys.registrations(event_id)
        records = await self._records("list_registrations", index, self._keys.registration)
        found = [registration_from_record(record) for record in records]
        return sorted(found, key=lambda r: (r.created_at, r.id))

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
            values = await self._client.mget([self._keys.registration(i) for i in ids])
        # an id whose record is gone was removed between the two reads: it is not a follower
        return [registration_from_record(json.loads(v)) for v in values if v is not None]

    async def registrations_for(self, event_id: str, session_id: str) -> list[Registration]:
        return [r for r in await self.list_registrations(event_id) if r.follows(session_id)]

    async def _records(
        self, action: str, index: str, record_key: Callable[[str], str]
    ) -> list[dict[str, Any]]:
        """The JSON records an index set names (skipping any removed since it was read)."""
        async with self._guard(action):
            keys = [record_key(text(member)) for member in await self._client.smembers(index)]
            values = await self._client.mget(keys) if keys else []
        return [json.loads(value) for value in values if value is not None]

    async def claim_delivery(
        self, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName, now: datetime
    ) -> bool:
        record = json.dumps(claim_record(key, ref, registration_id, channel, now))
        keys = self._keys.delivery_and_indexes(key, ref.event_id, ref.session_id)
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
        keys, args = claim_leases_call(self._keys, ref, targets, now, owner, lease_s)
        async with self._guard("claim_leases"):
            tokens = await self._claim_leases(keys=keys, args=args)
        return [int(token) for token in tokens]

    async def record_deliveries(
        self, writes: Sequence[DeliveryWrite], now: datetime
    ) -> list[WriteResult]:
        if not writes:
            return []
        keys, args = record_many_call(self._keys, writes, now)
        async with self._guard("record_deliveries"):
            found = await self._record_many(keys=keys, args=args)
        return [RESULTS[int(code)] for code in found]

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
        index = self._keys.deliveries(event_id, session_id)
        records = await self._records("list_deliveries", index, self._keys.delivery)
        found = [delivery_from_record(r) for r in records]
        if session_id is not None:  # only needed without an event; harmless with one
            found = [d for d in found if d.ref.session_id == session_id]
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
        """The replicas' shared chunk queue, on this store's pool."""
        return RedisWorkQueue(self._client, self._keys, self._guard)

    def leader_lease(self) -> RedisLeaderLease:
        """The scheduler's leader lease, on this store's pool."""
        return RedisLeaderLease(self._client, self._keys, self._guard)

    async def ping(self) -> None:
        async with self._guard("ping"):
            await self._client.ping()

    # -- the store's own health (#12): is it persistent, its clock, a marker of its writes --
    async def persistence(self) -> bool:
        """Whether the server logs every write to its append-only file (``appendonly yes``).

        Read from ``INFO persistence``, which managed Redis services answer where ``CONFIG``
        is often disabled."""
        async with self._guard("persistence"):
            info = await self._client.info("persistence")
        return bool(int(info.get("aof_enabled", 0)))

    async def server_time(self) -> datetime:
        """The server's clock (``TIME``): one clock for every replica's due decisions."""
        async with self._guard("server_time"):
            seconds, micros = await self._client.time()
        return datetime.fromtimestamp(int(seconds) + int(micros) / 1_000_000, UTC)

    async def bump_marker(self) -> int:
        """Add one to the store's write marker and return it.

        It only grows, so a value at or below one seen before means the server lost writes:
        it came back empty (1) or from an older snapshot."""
        async with self._guard("bump_marker"):
            return int(await self._client.incr(f"{self._keys.prefix}marker"))

    async def aclose(self) -> None:
        if self._owns_client:
            async with self._guard("aclose"):
                await self._client.aclose()


def _redact(text: str, *secrets: str | None) -> str:
    """``text`` without the secrets: URLs and error details may carry the password."""
    for secret in secrets:
        text = text.replace(secret, "***") if secret else text
    return text
