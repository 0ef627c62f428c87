"""A raw HTTP/1.1 receiver on asyncio, for the client's framing cases aiohttp will not write.

Each request is read with httptools' request parser and answered with the next scripted
:class:`RawReply`: bytes written as given (chunked, HTTP/1.0, oversize, garbage), then the
connection closed or kept. ``None`` bytes never answer (a stalled receiver). It counts the
connections it accepted, how many were open at once, and records every request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httptools

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnoted"


@dataclass(frozen=True)
class RawReply:
    data: bytes | None = OK  # None: never answer
    close: bool = False  # close the connection once written


@dataclass
class RawRequest:
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Peer(asyncio.Protocol):
    """One accepted connection: parses requests, answers each from the server's script."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.request = RawRequest()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport
        self.server.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed(self)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self.request.path += url.decode()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.request.headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self.request.body += body

    def on_message_complete(self) -> None:
        request, self.request = self.request, RawRequest()
        self.server.requests.append(request)
        reply = self.server.script.pop(0) if self.server.script else RawReply()
        assert self.transport is not None
        if reply.data is not None:
            self.transport.write(reply.data)
        if reply.close:
            self.transport.close()


@dataclass
class RawServer:
    port: int = 0
    script: list[RawReply] = field(default_factory=list)
    requests: list[RawRequest] = field(default_factory=list)
    accepted: int = 0  # connections ever accepted
    most_open: int = 0  # the most open at one time
    peers: set[_Peer] = field(default_factory=set)

    def answer(self, *replies: RawReply) -> None:
        self.script.extend(replies)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def opened(self, peer: _Peer) -> None:
        self.peers.add(peer)
        self.accepted += 1
        self.most_open = max(self.most_open, len(self.peers))

    def closed(self, peer: _Peer) -> None:
        self.peers.discard(peer)

    def close_connections(self) -> None:
        """Close every open connection from this side, as a receiver's idle timeout does."""
        for peer in list(self.peers):
            if peer.transport is not None:
                peer.transport.close()


@contextlib.asynccontextmanager
async def serve_raw(host: str = "127.0.0.1") -> AsyncIterator[RawServer]:
    """A :class:`RawServer` on ``host``, port 0, served by the running loop until the block ends."""
    served = RawServer()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Peer(served), host, 0)
    served.port = server.sockets[0].getsockname()[1]
    try:
        yield served
    finally:
        server.close()
        served.close_connections()
        await server.wait_closed()
