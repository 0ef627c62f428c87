"""A real ``redis-server`` process on a free loopback port, which tests may stop, kill or pause.

arq's shape, no containers, and never the machine's own Redis on 6379. The process is started
through :class:`~tests.support.processes.Children`, so the fixture that owns a server ends it
(and any server it restarted) even when a test fails.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.ports import HOST, free_port
from tests.support.processes import Children, end_process, signal_group
from tests.support.waiting import ConditionTimeout, wait_until

STARTUP_DEADLINE_S = 10.0
ANSWERS_PING = ("+PONG", "-NOAUTH Authentication required.")


def find_redis_server() -> str:
    """The ``redis-server`` binary; the tests need a real one and never skip without it."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(
            "redis-server is not installed, and the store tests need a real one (they never"
            " skip): run `sudo apt-get install redis-server` (scripts/test does this on CI)",
            pytrace=False,
        )
    return found


class RedisServer:
    """One ``redis-server`` process on a fixed loopback port that tests may stop and start."""

    def __init__(self, binary: str, folder: Path, children: Children, *extra_args: str) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self._binary = binary
        self._folder = folder
        self._children = children
        self._extra_args = extra_args
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Start (or restart, on the same port) and return once it answers PING."""
        if self.running:
            return
        args = ["--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self._folder), *self._extra_args]
        with (self._folder / "redis.log").open("ab") as log:
            self._popen = self._children.popen(
                [self._binary, *args], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_answering()

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM)."""
        if self._popen is not None:
            end_process(self._popen)
            self._popen = None

    def kill(self) -> None:
        """Die at once (SIGKILL): connections drop with no goodbye."""
        if self._popen is not None:
            signal_group(self._popen, signal.SIGKILL)
            self._popen.wait(timeout=STARTUP_DEADLINE_S)
            self._popen = None

    def pause(self) -> None:
        """Freeze (SIGSTOP): connections stay open and nothing answers."""
        if self._popen is not None:
            signal_group(self._popen, signal.SIGSTOP)

    def resume(self) -> None:
        if self._popen is not None:
            signal_group(self._popen, signal.SIGCONT)

    def command(self, line: str) -> str:
        """Send one inline command and return the first reply line (``+OK``, ``+PONG``…)."""
        with socket.create_connection((HOST, self.port), timeout=1.0) as conn:
            conn.sendall(line.encode() + b"\r\n")
            return conn.recv(1024).decode().splitlines()[0]

    def _answers_ping(self) -> bool:
        if not self.running:
            raise ConditionTimeout("redis-server exited")
        try:
            return self.command("PING") in ANSWERS_PING
        except OSError:  # not listening yet
            return False

    def _wait_until_answering(self) -> None:
        try:
            wait_until(self._answers_ping, timeout_s=STARTUP_DEADLINE_S, poll_s=0.01)
        except ConditionTimeout as exc:
            log = (self._folder / "redis.log").read_text(errors="replace")[-2000:]
            self.kill()
            pytest.fail(f"redis-server on port {self.port} did not answer PING ({exc}):\n{log}")
