"""The ``redis.asyncio`` client a store URL names: one server, or a Redis Cluster.

``redis://`` and ``rediss://`` make a :class:`~redis.asyncio.Redis` (one pool);
``redis+cluster://[user:password@]host:port[,host:port…]`` (``rediss+cluster://`` for TLS)
makes a :class:`~redis.asyncio.cluster.RedisCluster`, which learns the other masters and the
slot map from the nodes named (one is enough; more ride out one being down at start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from notifier.errors import StoreError

Client = Redis | RedisCluster
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
SINGLE_FORMS = "redis://[:password@]host:port/db"
CLUSTER_FORMS = "redis+cluster://[:password@]host:port[,host:port…]"


def is_cluster_url(url: str) -> bool:
    return url.partition("://")[0].lower() in CLUSTER_SCHEMES


class Masters:
    """Plain clients of a cluster's masters, one per node, made as first needed.

    WATCH/MULTI runs on these: redis-py's cluster pipeline in transaction mode resolves
    slots on a second event loop in a thread per command, which breaks under concurrent
    callers (seen in the contract suite). Every key of one transaction shares a hash tag, so
    it goes to the one master serving that slot."""

    def __init__(self, cluster: RedisCluster, make: Callable[[str, int], Redis]) -> None:
        self._cluster = cluster
        self._make = make
        self._clients: dict[str, Redis] = {}

    async def serving(self, key: str) -> Redis:
        """The client of the master serving ``key``'s slot."""
        await self._cluster.initialize()  # at once if it already knows the slot map
        node = self._cluster.get_node_from_key(key)
        if node is None:
            raise StoreError(f"redis cluster: no master serves the slot of {key!r}")
        client = self._clients.get(node.name)
        if client is None:
            client = self._clients[node.name] = self._make(node.host, int(node.port))
        return client

    async def refresh(self) -> None:
        """Learn the slot map again (after MOVED or ASK: a reshard or a failover)."""
        await self._cluster.nodes_manager.initialize()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


@dataclass(frozen=True)
class Connection:
    """A client, where it points (``host:port``, for errors) and its password (hidden in
    them); for a cluster also its masters' own clients (for transactions)."""

    client: Client
    where: str
    password: str | None
    masters: Masters | None = None


def make_client(url: str, timeout_s: float) -> Connection:
    """The client for ``url``: one server, or a cluster."""
    # few, short retries: a replica restart is ridden out, a dead server fails within timeout_s
    retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.5), retries=3)
    if is_cluster_url(url):
        return _cluster_client(url, timeout_s, retry)
    try:
        client = Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=retry
        )
    except ValueError as exc:
        parts = urlsplit(url)
        password, in_query = parts.password, dict(parse_qsl(parts.query)).get("password")
        message = redact(str(exc), password, unquote(password or ""), in_query)
        raise StoreError(f"redis url: {message}; write {SINGLE_FORMS}") from exc
    kwargs = client.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    return Connection(client, where, kwargs.get("password"))


def _cluster_client(url: str, timeout_s: float, retry: Retry) -> Connection:
    scheme, _, rest = url.partition("://")
    userinfo, _, hosts = rest.rpartition("@")
    hosts = hosts.split("/", 1)[0].split("?", 1)[0]
    username, _, password = userinfo.partition(":")
    nodes = [_node(address, hosts) for address in hosts.split(",") if address]
    if not nodes:
        raise StoreError(f"redis cluster url names no node; write {CLUSTER_FORMS}")
    options = {
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "ssl": scheme.lower().startswith("rediss"),
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": retry,
    }
    client = RedisCluster(startup_nodes=nodes, **options)  # type: ignore[arg-type]

    def master(host: str, port: int) -> Redis:
        return Redis(host=host, port=port, **options)  # type: ignore[arg-type]

    masters = Masters(client, master)
    return Connection(client, f"cluster {hosts}", unquote(password) or None, masters)


def _node(address: str, hosts: str) -> ClusterNode:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StoreError(f"redis cluster node {address!r} in {hosts!r}: write {CLUSTER_FORMS}")
    return ClusterNode(host.strip("[]"), int(port))


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without the secrets: URLs and error details may carry the password."""
    for secret in secrets:
        text = text.replace(secret, "***") if secret else text
    return text
