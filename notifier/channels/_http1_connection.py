"""One keep-alive HTTP/1.1 connection of :class:`~notifier.channels.http1.Http1Client`.

A protocol that sends one request at a time and parses its answer with httptools as bytes
arrive; what the pool needs of it: the answer (a future), whether it may be reused, and its
deadline and idle time for the client's watchdog.
"""

from __future__ import annotations

import asyncio
import errno
from typing import Protocol

import httptools

Answer = tuple[int, str | None, bytes]  # status, Retry-After, the first 64 KiB of the body
Origin = tuple[str, str, int]  # scheme, host, port: what a connection may be reused for
ANSWER_LIMIT = 64 * 1024  # a longer answer is cut here and its connection dropped
NOT_HTTP = (httptools.HttpParserError, httptools.HttpParserUpgrade)


class Pool(Protocol):
    """What a connection tells its pool: drop me now, or I am closed."""

    def discard(self, connection: Connection) -> None: ...

    def forget(self, connection: Connection) -> None: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed as it arrives."""

    def __init__(self, pool: Pool, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.pool, self.loop, self.origin = pool, loop, origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future[Answer] | None = None
        self.deadline = self.idle_since = 0.0  # loop time
        self.reusable = False
        self._status, self._framed = 0, False
        self._retry_after: str | None = None
        self._body: list[bytes] = []
        self._size = 0

    def request(self, data: bytes, deadline: float) -> asyncio.Future[Answer]:
        if self.transport is None:  # cannot happen: connection_made runs before it is handed out
            raise ConnectionResetError(errno.ENOTCONN, "the connection was never made")
        self.answer = self.loop.create_future()
        self.deadline, self.reusable = deadline, False
        self._status, self._retry_after, self._framed, self._size = 0, None, False, 0
        self._body = []
        self.transport.write(data)
        return self.answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        if self.answer is None:  # bytes nobody asked for: this connection cannot be trusted
            self.pool.discard(self)
            return
        try:
            self.parser.feed_data(data)
        except NOT_HTTP as exc:  # malformed, or a protocol switch nobody asked for
            self.fail(exc)

    def on_message_begin(self) -> None:
        if self.answer is None:  # a second answer to one request: the stream is out of step
            self.reusable = False

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"retry-after":
            self._retry_after = value.decode("latin-1")
        elif name in (b"content-length", b"transfer-encoding"):
            self._framed = True  # else the body runs to EOF (see connection_lost)

    def on_headers_complete(self) -> None:
        self._status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if self._size < ANSWER_LIMIT:
            self._body.append(body[: ANSWER_LIMIT - self._size])
        self._size += len(body)
        if self._size > ANSWER_LIMIT:
            self._finish(reusable=False)  # the rest stays unread: the connection goes

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:  # an interim answer (103 Early Hints): the real one follows
            self._status, self._retry_after, self._framed = 0, None, False
            return
        self._finish(self.parser.should_keep_alive())

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool.forget(self)
        if exc is None and self.answer is not None and self._status and not self._framed:
            self._finish(reusable=False)  # HTTP/1.0 style: the answer ended with the connection
        else:
            reason = "the receiver closed the connection before a complete answer"
            self.fail(exc or ConnectionResetError(errno.ECONNRESET, reason))

    def fail(self, exc: BaseException) -> None:
        """End the pending request with ``exc`` and drop the connection."""
        answer, self.answer = self.answer, None
        if answer is not None and not answer.done():
            answer.set_exception(exc)
        self.pool.discard(self)

    def _finish(self, reusable: bool) -> None:
        answer, self.answer = self.answer, None
        if answer is not None and not answer.done():
            self.reusable = reusable
            answer.set_result((self._status, self._retry_after, b"".join(self._body)))
