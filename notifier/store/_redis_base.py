"""What the Redis store stands on: the client, deadlines, the layout check, transactions.

Split from ``redis.py`` (which holds the :class:`~notifier.store.base.Store` methods): how a
call reaches Redis, on one server or a cluster, and the store's own health.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    AskError,
    RedisClusterException,
    RedisError,
    TryAgainError,
    WatchError,
)

from notifier.errors import StoreError
from notifier.store import _redis_health as _health
from notifier.store._redis_batch import CLAIM_LEASES_LUA, RECORD_MANY_LUA
from notifier.store._redis_client import Connection, redact
from notifier.store._redis_layout import (
    CLAIM_LEASE_LUA,
    CLAIM_LUA,
    LIMIT_LUA,
    RECORD_LUA,
    RELEASE_LUA,
    SEQUENCE_LUA,
    RedisKeys,
    text,
)
from notifier.store._redis_migrate import ensure_layout

T = TypeVar("T")
WATCH_ATTEMPTS = 50
LAYOUT_DEADLINE_S = 600.0  # moving a large layout-1 store at first start (see _redis_migrate)


class RedisBase:
    """The plumbing under :class:`~notifier.store.redis.RedisStore`."""

    def __init__(
        self, connection: Connection, prefix: str = "notifier:", *, timeout_s: float = 5.0
    ) -> None:
        self._client = client = connection.client
        self._where, self._password = connection.where, connection.password
        self._masters = connection.masters
        self._keys = RedisKeys(prefix)
        self._timeout_s = timeout_s
        self._layout_checked = False
        self._layout_lock = asyncio.Lock()
        self._claim = client.register_script(CLAIM_LUA)
        self._claim_lease = client.register_script(CLAIM_LEASE_LUA)
        self._claim_leases = client.register_script(CLAIM_LEASES_LUA)
        self._record_many = client.register_script(RECORD_MANY_LUA)
        self._record = client.register_script(RECORD_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._sequence = client.register_script(SEQUENCE_LUA)
        self._limit = client.register_script(LIMIT_LUA)
        self._scripts = (
            self._claim,
            self._claim_lease,
            self._claim_leases,
            self._record_many,
            self._record,
            self._release,
            self._sequence,
            self._limit,
        )

    @asynccontextmanager
    async def _guard(
        self, action: str, deadline_s: float | None = None, *, layout: bool = True
    ) -> AsyncIterator[None]:
        """A deadline for ``action``, and Redis failures as StoreError without the password.

        The first call of a store also brings the data to the current layout (once)."""
        if layout and not self._layout_checked:
            await self._check_layout()
        try:
            async with asyncio.timeout(deadline_s or self._timeout_s):
                yield
        except TimeoutError as exc:
            raise StoreError(
                f"redis store at {self._where}: {action} got no answer within"
                f" {deadline_s or self._timeout_s}s; check that the server is up and reachable"
            ) from exc
        except (RedisError, RedisClusterException, OSError) as exc:  # the last is no RedisError
            detail = redact(f"{type(exc).__name__}: {exc}", self._password)
            raise StoreError(
                f"redis store at {self._where}: {action} failed ({detail});"
                " check that the server is up and the store URL and password are right"
            ) from exc

    async def _check_layout(self) -> None:
        """Once per store, before its first command and with every other caller waiting:
        learn the cluster's slot map, bring the data to layout 2, load the scripts."""
        async with self._layout_lock:
            if self._layout_checked:
                return
            async with self._guard("upgrade_layout", LAYOUT_DEADLINE_S, layout=False):
                if isinstance(self._client, RedisCluster):
                    # alone: redis-py's cluster client breaks when many first calls each
                    # discover the slots at once (connections left half-made)
                    await self._client.initialize()
                await ensure_layout(self._client, self._keys)
                # loaded once up front (on a cluster: into every master), so that many
                # first callers do not all answer NOSCRIPT with a SCRIPT LOAD at once
                for script in self._scripts:
                    await self._client.script_load(script.script)
            self._layout_checked = True

    async def _watched(
        self, action: str, event_id: str, attempt: Callable[[Pipeline], Awaitable[T]]
    ) -> T:
        """Run ``attempt`` (WATCH, read, MULTI, EXEC) again while another writer gets between.

        Every key an attempt watches and writes carries ``event_id``'s hash tag, so on a
        cluster it runs on the one master serving that slot (see :meth:`_transactions`)."""
        async with self._guard(action):
            for _ in range(WATCH_ATTEMPTS):
                client = await self._transactions(event_id)
                async with client.pipeline(transaction=True) as pipe:
                    try:
                        return await attempt(pipe)
                    except WatchError:
                        continue
                    except (AskError, TryAgainError):  # MovedError is an AskError
                        # the slot moved or is moving (a reshard or a failover): learn the
                        # new map and try again on the master that serves it now
                        await self._cluster_map_changed()
        raise StoreError(f"redis store: {action} kept colliding with other writers; try again")

    async def _transactions(self, event_id: str) -> Redis:
        """The client to run an event's WATCH/MULTI on: the one server, or on a cluster
        the master serving the event's slot (``Masters``)."""
        if self._masters is not None:
            return await self._masters.serving(self._keys.event(event_id))
        if isinstance(self._client, RedisCluster):  # made by make_client: never without
            raise StoreError("redis store: a cluster client needs its masters' clients")
        return self._client

    async def _cluster_map_changed(self) -> None:
        if self._masters is not None:
            await self._masters.refresh()

    async def _event_of(self, registration_id: str) -> str | None:
        """The event a registration belongs to (its pointer), None if there is none."""
        async with self._guard("registration_event"):
            found = await self._client.get(self._keys.registration_event(registration_id))
        return None if found is None else text(found)

    async def _event_ids(self, action: str, event_id: str | None = None) -> list[str]:
        """The event given, or every event that has registrations or deliveries."""
        if event_id is not None:
            return [event_id]
        async with self._guard(action):
            return sorted(
                text(member) for member in await self._client.smembers(self._keys.events())
            )

    async def _records(
        self, action: str, index: str, record_key: Callable[[str], str]
    ) -> list[dict[str, Any]]:
        """The JSON records an index set names (skipping any removed since it was read).

        The index and its records share a hash tag, so one MGET reads them on a cluster too."""
        async with self._guard(action):
            keys = [record_key(text(member)) for member in await self._client.smembers(index)]
            values = await self._client.mget(keys) if keys else []
        return [json.loads(value) for value in values if value is not None]

    async def _note_event(self, action: str, event_id: str) -> None:
        """List the event before writing its records (another slot: a step of its own)."""
        async with self._guard(action):
            await self._client.sadd(self._keys.events(), event_id)

    async def ping(self) -> None:
        async with self._guard("ping"):
            await self._client.ping()

    # -- the store's own health (#12): is it persistent, its clock, a marker of its writes --
    async def persistence(self) -> bool:
        """Whether the server (every master of a cluster) runs with ``appendonly yes``."""
        async with self._guard("persistence"):
            return await _health.persistence(self._client)

    async def server_time(self) -> datetime:
        """The server's clock (``TIME``): one clock for every replica's due decisions."""
        async with self._guard("server_time"):
            return await _health.server_time(self._client)

    async def bump_marker(self) -> int:
        """Add one to the write marker (each master's) and return it (the lowest): see
        ``_redis_health``."""
        async with self._guard("bump_marker"):
            return await _health.bump_marker(self._client, self._keys)

    async def aclose(self) -> None:
        async with self._guard("aclose", layout=False):
            if self._masters is not None:
                await self._masters.aclose()
            await self._client.aclose()
