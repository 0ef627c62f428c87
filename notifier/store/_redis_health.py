"""The Redis store's own health (#12): does it persist, its clock, a marker of its writes.

On a Redis Cluster each master is its own server, so each must persist and each keeps a
marker: a master that came back empty or rolled back shows, whichever it is. A master's
marker key is ``{marker:n}marker`` for the first ``n`` whose slot that master serves; after a
reshard moves that slot away, the master's marker starts again at 1 under a new ``n``, which a
running replica reports as lost writes (a restart of the replicas clears it: they compare
only with what they saw). The clock is one master's ``TIME``: the masters' clocks are kept
in step by the hosts' time sync, as the replicas' are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.crc import key_slot

from notifier.store._redis_client import Client
from notifier.store._redis_layout import RedisKeys


async def persistence(client: Client) -> bool:
    """Whether every server logs every write to its append-only file (``appendonly yes``).

    Read from ``INFO persistence``, which managed Redis services answer where ``CONFIG``
    is often disabled."""
    if isinstance(client, RedisCluster):
        replies: dict[str, Any] = await client.info("persistence", target_nodes=client.PRIMARIES)
        return bool(replies) and all(_aof(info) for info in replies.values())
    return _aof(await client.info("persistence"))


def _aof(info: dict[str, Any]) -> bool:
    return bool(int(info.get("aof_enabled", 0)))


async def server_time(client: Client) -> datetime:
    """The server's clock (``TIME``): one clock for every replica's due decisions."""
    seconds, micros = await client.time()
    return datetime.fromtimestamp(int(seconds) + int(micros) / 1_000_000, UTC)


async def bump_marker(client: Client, keys: RedisKeys) -> int:
    """Add one to the write marker (every master's, on a cluster) and return the lowest.

    Markers only grow and move together, so a value at or below one seen before means a
    server lost writes: it came back empty (1) or from an older snapshot."""
    if not isinstance(client, RedisCluster):
        return int(await client.incr(keys.marker()))
    values = [
        int(await client.incr(keys.marker(_tag_on(client, node))))
        for node in client.get_primaries()
    ]
    return min(values)


def _tag_on(client: RedisCluster, node: ClusterNode) -> str:
    """The first ``marker:n`` hash tag whose slot ``node`` serves (a few tries on average)."""
    for n in count():
        tag = f"marker:{n}"
        if client.nodes_manager.get_node_from_slot(key_slot(tag.encode())).name == node.name:
            return tag
    raise AssertionError("unreachable: count() never ends")  # pragma: no cover
