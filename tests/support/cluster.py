"""A real local Redis Cluster of three masters, made the way an operator makes one.

Three ``redis-server --cluster-enabled yes --appendonly yes`` on free loopback ports, each in
a folder of its own, joined by ``redis-cli --cluster create … --cluster-replicas 0``; ready
once every node's ``CLUSTER INFO`` says ``cluster_state:ok``. The processes go through
:class:`~tests.support.processes.Children`, so the owning fixture ends them even when a test
fails. No replicas: the tests check hash tags and slots, not failover.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tests.support.ports import HOST, free_port
from tests.support.processes import Children
from tests.support.redis import RedisServer
from tests.support.waiting import ConditionTimeout, wait_until

MASTERS = 3
CREATE_DEADLINE_S = 60.0  # redis-cli assigns 16384 slots and waits for the nodes to agree


def find_redis_cli() -> str:
    """The ``redis-cli`` binary (Debian's redis-tools, a dependency of redis-server)."""
    found = shutil.which("redis-cli") or shutil.which("redis-cli", path="/usr/bin")
    if found is None:
        pytest.fail(
            "redis-cli is not installed and the cluster tests need it to join the nodes:"
            " run `sudo apt-get install redis-server` (scripts/test does this on CI)",
            pytrace=False,
        )
    return found


def reply_text(port: int, line: str) -> str:
    """Send one inline command and return the whole reply (a bulk string's lines too)."""
    with socket.create_connection((HOST, port), timeout=2.0) as conn:
        conn.sendall(line.encode() + b"\r\n")
        data = conn.recv(65536)
        if data.startswith(b"$"):  # bulk string: $<length>\r\n<body>\r\n
            header, _, body = data.partition(b"\r\n")
            length = int(header[1:])
            while len(body) < length + 2:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            return body[:length].decode()
        return data.decode()


class RedisClusterNodes:
    """Three cluster-enabled ``redis-server`` masters joined into one cluster."""

    def __init__(self, binary: str, cli: str, folder: Path, children: Children) -> None:
        self.nodes: list[RedisServer] = []
        for index in range(MASTERS):
            node_folder = folder / f"node{index}"
            node_folder.mkdir()
            config = ("--cluster-config-file", str(node_folder / "nodes.conf"))
            # the bus port named, not port + 10000: a free port above 55535 would have none
            bus = ("--cluster-port", str(free_port()))
            args = ("--cluster-enabled", "yes", *config, *bus, "--cluster-node-timeout", "5000")
            # AOF on, as production must run it: the store refuses a volatile Redis
            aof = ("--appendonly", "yes")
            self.nodes.append(RedisServer(binary, node_folder, children, *args, *aof))
        self._cli = cli
        self._folder = folder
        self._children = children

    @property
    def url(self) -> str:
        """The store URL naming every node (one would do: the client learns the others)."""
        return "redis+cluster://" + ",".join(f"{HOST}:{node.port}" for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        addresses = [f"{HOST}:{node.port}" for node in self.nodes]
        argv = [self._cli, "--cluster", "create", *addresses, "--cluster-replicas", "0"]
        done = self._children.run([*argv, "--cluster-yes"], timeout_s=CREATE_DEADLINE_S)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            pytest.fail(f"redis-cli --cluster create failed:\n{output}")
        try:
            wait_until(self._all_ok, timeout_s=CREATE_DEADLINE_S, what=self._states)
        except ConditionTimeout as exc:
            pytest.fail(f"the cluster did not come up: {exc}")

    def flush(self) -> None:
        """Empty every master (FLUSHALL runs on the node it is sent to only)."""
        for node in self.nodes:
            reply = node.command("FLUSHALL")
            if reply != "+OK":
                pytest.fail(f"FLUSHALL on cluster node {node.port} answered {reply!r}")

    def _state(self, node: RedisServer) -> str:
        try:
            info = reply_text(node.port, "CLUSTER INFO")
        except OSError as exc:
            return f"no answer ({exc})"
        for line in info.splitlines():
            if line.startswith("cluster_state:"):
                return line.partition(":")[2].strip()
        return "no cluster_state"

    def _all_ok(self) -> bool:
        return all(self._state(node) == "ok" for node in self.nodes)

    def _states(self) -> str:
        return ", ".join(f"{node.port}: {self._state(node)}" for node in self.nodes)
