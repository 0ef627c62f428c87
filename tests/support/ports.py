"""Free loopback ports for servers that cannot take port 0 themselves (redis-server, the daemon)."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"
SHARED_REDIS_PORT = 6379  # the machine's own Redis: never handed to a test


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never 6379)."""
    while True:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port: int = probe.getsockname()[1]
        if port != SHARED_REDIS_PORT:
            return port
