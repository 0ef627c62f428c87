"""Shared fixtures: a real ``redis-server`` per session, test certificates, the store backends.

Redis runs as a real process on a free loopback port (arq's shape, no containers), never on
the machine's own 6379; tests that break it (stop, kill, pause) get it back per test from
``redis_url``. The ``store`` fixture opens every backend fresh, as APScheduler 3's ``jobstore``
fixture does, so one contract suite covers them all. The helpers live in ``tests/support``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from notifier.store import Store, open_store
from tests.support.cluster import RedisClusterNodes, find_redis_cli
from tests.support.processes import Children
from tests.support.redis import RedisServer, find_redis_server
from tests.support.smtp import Certificates, make_certificates


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The session's real Redis server; tests may stop, kill or pause it."""
    with Children() as children:
        server = RedisServer(find_redis_server(), tmp_path_factory.mktemp("redis"), children)
        server.start()
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, running again if a test broke it, and empty (FLUSHDB)."""
    redis_server.resume()
    redis_server.start()
    reply = redis_server.command("FLUSHDB")
    if reply != "+OK":
        pytest.fail(f"FLUSHDB on the test Redis answered {reply!r}")
    return redis_server.url


@pytest.fixture
def start_redis_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RedisServer]]:
    """Start extra servers for one test (``start_redis_server("--requirepass", "pw")``)."""
    with Children() as children:

        def start(*extra_args: str) -> RedisServer:
            folder = tmp_path_factory.mktemp("redis")
            server = RedisServer(find_redis_server(), folder, children, *extra_args)
            server.start()
            return server

        yield start


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterNodes]:
    """The session's real Redis Cluster: three masters joined by ``redis-cli --cluster``."""
    with Children() as children:
        folder = tmp_path_factory.mktemp("cluster")
        cluster = RedisClusterNodes(find_redis_server(), find_redis_cli(), folder, children)
        cluster.start()
        yield cluster


@pytest.fixture
def redis_cluster_url(redis_cluster: RedisClusterNodes) -> str:
    """The session cluster's ``redis+cluster://`` URL, every master empty (FLUSHALL)."""
    redis_cluster.flush()
    return redis_cluster.url


@pytest.fixture(params=["redis", "redis-cluster"])
def shared_redis_url(request: pytest.FixtureRequest) -> str:
    """A Redis that replicas share, empty: one server, or the three-master cluster."""
    fixture = "redis_url" if request.param == "redis" else "redis_cluster_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a certificate for 127.0.0.1, for the SMTP servers' TLS."""
    return make_certificates(tmp_path_factory.mktemp("ca"))


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where each backend keeps its data for one test: a fresh file, an empty database, an
    empty three-master Redis Cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"  # tmp_path is absolute: sqlite:////tmp/…
    fixture = "redis_url" if request.param == "redis" else "redis_cluster_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """Each backend, opened fresh through ``open_store`` and closed after the test."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.aclose()
