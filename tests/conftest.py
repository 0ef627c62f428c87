"""Shared fixtures: a real ``redis-server`` per session, and the store contract's backends.

Redis runs as a real process on a free loopback port (arq's shape, no containers), never on
the machine's own 6379; tests that break it (stop, kill, pause) get it back per test from
``redis_url``. The ``store`` fixture opens every backend fresh, as APScheduler 3's ``jobstore``
fixture does, so one contract suite covers them all.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from notifier.store import Store, open_store

STARTUP_DEADLINE_S = 10.0


def _find_redis_server() -> str:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(
            "redis-server is not installed, and the store tests need a real one (they never"
            " skip): run `sudo apt-get install redis-server` (scripts/test does this on CI)",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port != 6379:  # never the machine's shared Redis
            return port


class RedisServer:
    """One ``redis-server`` process on a fixed loopback port that tests may stop and start."""

    def __init__(self, binary: str, folder: Path, *extra_args: str) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._binary = binary
        self._folder = folder
        self._extra_args = extra_args
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start (or restart, on the same port) and return once it answers PING."""
        if self.running:
            return
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        args += ["no", "--dir", str(self._folder), *self._extra_args]
        with (self._folder / "redis.log").open("ab") as log:
            self._process = subprocess.Popen(
                [self._binary, *args], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_answering()

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM)."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Die at once (SIGKILL): connections drop with no goodbye."""
        self._end(signal.SIGKILL)

    def pause(self) -> None:
        """Freeze (SIGSTOP): connections stay open and nothing answers."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def command(self, line: str) -> str:
        """Send one inline command and return the first reply line (``+OK``, ``+PONG``…)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
            conn.sendall(line.encode() + b"\r\n")
            return conn.recv(1024).decode().splitlines()[0]

    def _end(self, sig: signal.Signals) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)  # a paused server cannot handle SIGTERM
            self._process.send_signal(sig)
        self._process.wait(timeout=STARTUP_DEADLINE_S)
        self._process = None

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if not self.running:
                break
            try:
                reply = self.command("PING")
            except OSError:
                time.sleep(0.01)
                continue
            if reply in ("+PONG", "-NOAUTH Authentication required."):
                return
        log = (self._folder / "redis.log").read_text(errors="replace")[-2000:]
        self._end(signal.SIGKILL)
        pytest.fail(f"redis-server on port {self.port} did not answer PING:\n{log}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The session's real Redis server; tests may stop, kill or pause it."""
    server = RedisServer(_find_redis_server(), tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
    started: list[RedisServer] = []

    def start(*extra_args: str) -> RedisServer:
        server = RedisServer(_find_redis_server(), tmp_path_factory.mktemp("redis"), *extra_args)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where each backend keeps its data for one test: a fresh file, an empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"  # tmp_path is absolute: sqlite:////tmp/…
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """Each backend, opened fresh through ``open_store`` and closed after the test."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.aclose()
