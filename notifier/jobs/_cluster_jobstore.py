"""APScheduler 3's ``RedisJobStore`` on a Redis Cluster.

APScheduler keeps its jobs in two keys (a hash and a sorted set) changed together in MULTI.
On a cluster both carry one hash tag (``{apscheduler}``), so every MULTI runs on one node; and
redis-py's cluster pipeline only allows ``multi()`` when made with ``transaction=True``, which
APScheduler does not ask for, so the client here makes every pipeline transactional. redis-py's
sync cluster client connects as it is made, so it is made at first use, in the scheduler's
thread (or the one syncing jobs), never on the event loop.
"""

from __future__ import annotations

import pickle
import threading
from typing import Any

from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.redis import RedisJobStore
from redis.cluster import ClusterNode, RedisCluster


class _TransactionalCluster(RedisCluster):
    """A cluster client whose pipelines are MULTI/EXEC on the keys' one slot."""

    def pipeline(self, transaction: Any = True, shard_hint: Any = None) -> Any:
        # redis-py leaves RedisCluster.pipeline unannotated
        return super().pipeline(transaction=transaction, shard_hint=shard_hint)  # type: ignore[no-untyped-call]


class ClusterJobStore(RedisJobStore):  # type: ignore[misc]  # APScheduler 3 is untyped
    """``RedisJobStore`` whose ``redis`` is a cluster client, made at first use."""

    def __init__(
        self,
        nodes: list[tuple[str, int]],
        prefix: str,
        *,
        username: str | None,
        password: str | None,
        ssl: bool,
    ) -> None:
        BaseJobStore.__init__(self)  # not RedisJobStore's: it makes a single-server client
        self.pickle_protocol = pickle.HIGHEST_PROTOCOL
        self.jobs_key = f"{prefix}{{apscheduler}}.jobs"
        self.run_times_key = f"{prefix}{{apscheduler}}.run_times"
        self._nodes = nodes
        self._options: dict[str, Any] = {
            "username": username,
            "password": password,
            "ssl": ssl,
            "socket_timeout": 10,
        }
        self._client: RedisCluster | None = None
        self._made = threading.Lock()

    @property
    def redis(self) -> RedisCluster:
        with self._made:
            if self._client is None:
                # redis-py leaves ClusterNode unannotated
                nodes = [ClusterNode(host, port) for host, port in self._nodes]  # type: ignore[no-untyped-call]
                self._client = _TransactionalCluster(startup_nodes=nodes, **self._options)
            return self._client

    def shutdown(self) -> None:
        with self._made:
            if self._client is not None:
                self._client.close()
                self._client = None
