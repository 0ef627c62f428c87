"""APScheduler 3's ``RedisJobStore`` on a Redis Cluster.

APScheduler keeps its jobs in two keys (a hash and a sorted set) changed together in MULTI.
On a cluster both carry one hash tag (``{apscheduler}``), so every MULTI runs on one node; and
redis-py's cluster pipeline only allows ``multi()`` when made with ``transaction=True``, which
APScheduler does not ask for, so the client here makes every pipeline transactional.
"""

from __future__ import annotations

from typing import Any

from apscheduler.jobstores.redis import RedisJobStore
from redis.cluster import ClusterNode, RedisCluster


class _TransactionalCluster(RedisCluster):
    """A cluster client whose pipelines are MULTI/EXEC on the keys' one slot."""

    def pipeline(self, transaction: Any = True, shard_hint: Any = None) -> Any:
        # redis-py leaves RedisCluster.pipeline unannotated
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)  # type: ignore[no-untyped-call]

    @property
    def connection_pool(self) -> _ClusterPools:
        """What ``RedisJobStore.shutdown`` closes: every node's connections."""
        return _ClusterPools(self)


class _ClusterPools:
    def __init__(self, client: RedisCluster) -> None:
        self._client = client

    def disconnect(self) -> None:
        self._client.close()


def cluster_jobstore(
    nodes: list[tuple[str, int]],
    prefix: str,
    *,
    username: str | None,
    password: str | None,
    ssl: bool,
) -> RedisJobStore:
    """The job store on the cluster that ``nodes`` belong to (one is enough)."""
    store = RedisJobStore.__new__(RedisJobStore)
    # RedisJobStore.__init__ makes a single-server client; set up the same fields around ours
    RedisJobStore.__init__(
        store,
        jobs_key=f"{prefix}{{apscheduler}}.jobs",
        run_times_key=f"{prefix}{{apscheduler}}.run_times",
        host=nodes[0][0],
        port=nodes[0][1],
    )
    store.redis.close()
    store.redis = _TransactionalCluster(
        # redis-py leaves ClusterNode unannotated
        startup_nodes=[ClusterNode(host, port) for host, port in nodes],  # type: ignore[no-untyped-call]
        username=username,
        password=password,
        ssl=ssl,
        socket_timeout=10,
    )
    return store
