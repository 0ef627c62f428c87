"""HTTP/1.1 for webhooks: pooled keep-alive POSTs on asyncio protocols, parsed by httptools.

A webhook fan-out is CPU-bound, and aiohttp's ``ClientSession`` spends ~0.08 ms of CPU on each
request (a third of the fan-out's budget). A webhook needs one kind of request: POST a body,
read the status, ``Retry-After`` and a short answer. This client does only that, at ~0.03 ms
(``python -m benchmarks.ceilings http1`` against ``http``):

* answers are parsed by httptools (llhttp, uvicorn's parser): lengths, chunks, statuses without
  a body, ``Connection: close`` and HTTP/1.0 are llhttp's to judge, never ours;
* connections are kept per origin and reused while ``should_keep_alive()`` says so; at most
  ``pool_size`` are open across origins (waiters queue in order); an idle one is dropped after
  15 s, or as soon as the receiver closes it; one whose answer went past 64 KiB is dropped;
* names are resolved by :class:`~notifier.channels.ssrf.GuardedLookup` and only the addresses
  it allowed are dialled, by IP (TLS still checks the certificate against the URL's host);
* no redirects, proxies or cookies: 3xx is just a status;
* one watchdog per client, waking every half second, ends requests past their deadline: a
  timer per request cost ~5% of the fan-out's CPU. Only dialling takes a timer of its own.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from yarl import URL

from notifier.channels._http1_connection import ANSWER_LIMIT, NOT_HTTP, Answer, Connection, Origin
from notifier.channels.ssrf import GuardedLookup
from notifier.errors import (
    BlockedDestinationError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

__all__ = ["ANSWER_LIMIT", "Answer", "Http1Client", "Origin", "Target"]

_TICK_S = 0.5


@dataclass(frozen=True, slots=True)
class Target:
    """Where POSTs go, read from a URL the guard already judged (``parse_webhook_url``).

    The path is not part of it: one target serves every URL of its origin.
    """

    origin: Origin
    literal: bool  # the host is an IP address: dialled as is, with no lookup
    host_line: bytes  # ``Host: name[:port]`` and CRLF, the port only when not the default
    where: str  # ``webhook scheme://host:port`` for messages: never the path or query

    @classmethod
    def of(cls, url: URL) -> Target:
        host, port = url.raw_host or "", url.port or 0
        name = f"[{host}]" if ":" in host else host
        authority = name if url.is_default_port() else f"{name}:{port}"
        return cls(
            (url.scheme, host, port),
            _is_ip_address(host),
            f"Host: {authority}\r\n".encode("ascii"),
            f"webhook {url.origin()}",
        )


class Http1Client:
    """POSTs over pooled HTTP/1.1 connections; see the module docstring for what it does."""

    def __init__(
        self,
        lookup: GuardedLookup,
        *,
        pool_size: int,
        timeout_s: float,
        user_agent: str,
        ssl_context: ssl.SSLContext | None = None,
        keepalive_s: float = 15.0,  # aiohttp's: receivers' own timeouts are mostly longer
    ) -> None:
        self._lookup, self._pool_size, self._timeout_s = lookup, pool_size, timeout_s
        self._agent_line = f"User-Agent: {user_agent}\r\n"
        self._ssl, self._keepalive_s = ssl_context, keepalive_s
        self._tick_s = min(_TICK_S, timeout_s / 4)
        self._idle: dict[Origin, list[Connection]] = {}
        self._busy: set[Connection] = set()
        self._open: set[Connection] = set()
        self._dialling = 0
        self._waiting: deque[tuple[asyncio.Future[None], float]] = deque()
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None  # bound on first use: the running one

    @property
    def open_connections(self) -> int:
        """Connections open or being dialled (never more than ``pool_size``)."""
        return len(self._open) + self._dialling

    async def post(
        self, target: Target, path_qs: str, fields: Sequence[tuple[str, str]], body: bytes
    ) -> Answer:
        """POST ``body`` to ``path_qs`` (raw, quoted as yarl quotes it) with header ``fields``.

        The client adds ``User-Agent`` and ``Content-Length``; the whole request, from waiting
        for a connection to the last byte of the answer, ends within ``timeout_s``.
        """
        if self._closed:
            raise TransientDeliveryError("the webhook channel is shut down; retry after restart")
        lines = "".join([f"{name}: {value}\r\n" for name, value in fields])
        if lines.count("\n") != len(fields) or lines.count("\r") != len(fields):
            # ours, not the receiver's: still, a line break would let a value forge headers
            raise PermanentDeliveryError(f"{target.where}: a header holds a line break; refused")
        data = b"".join(
            (
                f"POST {path_qs} HTTP/1.1\r\n".encode(),
                target.host_line,
                f"{self._agent_line}{lines}Content-Length: {len(body)}\r\n\r\n".encode(),
                body,
            )
        )
        loop = self._loop or self._bind()
        deadline = loop.time() + self._timeout_s
        try:
            # no coroutine for the common case: an idle connection is there to take
            connection = self._idle_connection(target.origin) or await self._acquire(
                target, deadline
            )
            if self._watchdog is None:  # after waiting: it may have ended with nothing to watch
                self._watchdog = loop.create_task(self._watch())
            answer = connection.request(data, deadline)
            self._busy.add(connection)
            try:
                result = await answer
            except BaseException:  # cancelled or failed mid-request: never reused
                self.discard(connection)
                raise
            finally:
                self._busy.discard(connection)
        except TimeoutError as exc:
            message = f"{target.where}: no answer within {self._timeout_s:g} s"
            raise TransientDeliveryError(message) from exc
        except BlockedDestinationError as exc:  # every address of the name is refused
            raise BlockedDestinationError(f"{target.where}: {exc}") from exc
        except socket.gaierror as exc:
            message = f"{target.where}: cannot resolve ({_reason(exc)})"
            raise TransientDeliveryError(message) from exc
        except NOT_HTTP as exc:
            message = f"{target.where}: the answer is not HTTP ({type(exc).__name__})"
            raise TransientDeliveryError(message) from exc
        except OSError as exc:  # refused, reset, EOF, TLS: the receiver may be back later
            raise TransientDeliveryError(f"{target.where}: {_reason(exc)}") from exc
        self._release(connection, loop)
        return result

    async def aclose(self) -> None:
        """Close every connection; a request still in flight fails as a connection error."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        for connection in list(self._open):
            connection.fail(ConnectionAbortedError(errno.ECONNABORTED, "the client shut down"))
        while self._waiting:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionAbortedError(errno.ECONNABORTED, "shut down"))
        await asyncio.sleep(0)  # let the transports run connection_lost before the loop ends

    def _idle_connection(self, origin: Origin) -> Connection | None:
        """The most recently used idle connection to ``origin`` (the least likely to have
        timed out at the receiver), dropping any the receiver closed meanwhile."""
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.transport is not None and not connection.transport.is_closing():
                return connection
            self.discard(connection)
        return None

    async def _acquire(self, target: Target, deadline: float) -> Connection:
        """A new connection if the pool has room, else an idle one once freed, else wait."""
        front = False
        while True:
            if connection := self._idle_connection(target.origin):
                return connection
            if self.open_connections < self._pool_size:
                return await self._dial(target, deadline)
            if not self._drop_oldest_idle():
                await self._wait_turn(deadline, front)
                front = True  # woken but beaten to it: first in line again

    async def _dial(self, target: Target, deadline: float) -> Connection:
        self._dialling += 1
        try:
            async with asyncio.timeout_at(deadline):  # per new connection, not per request
                _, host, port = target.origin
                if target.literal:
                    addresses: tuple[str, ...] = (host,)
                else:
                    addresses = await self._lookup.addresses(host, port)
                connection = await self._connect(target.origin, addresses)
        finally:
            self._dialling -= 1
        if self._closed:
            connection.fail(ConnectionAbortedError(errno.ECONNABORTED, "shut down"))
            raise ConnectionAbortedError(errno.ECONNABORTED, "the client is shut down")
        self._open.add(connection)
        return connection

    async def _connect(self, origin: Origin, addresses: tuple[str, ...]) -> Connection:
        """Dial the checked addresses in order; the last failure if none answers."""
        scheme, host, port = origin
        tls = self._tls_context() if scheme == "https" else None
        failure: OSError = ConnectionRefusedError(errno.ECONNREFUSED, "no address to dial")
        loop = self._bind()
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    lambda: Connection(self, loop, origin),
                    address,
                    port,
                    ssl=tls,
                    server_hostname=host if tls else None,  # SNI and the certificate's name
                )
            except OSError as exc:
                failure = exc
                continue
            return connection
        raise failure

    def _bind(self) -> asyncio.AbstractEventLoop:
        self._loop = asyncio.get_running_loop()
        return self._loop

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # made on first https use: loading the CA store is not free
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _release(self, connection: Connection, loop: asyncio.AbstractEventLoop) -> None:
        transport = connection.transport
        if connection.reusable and not self._closed and transport and not transport.is_closing():
            connection.idle_since = loop.time()
            self._idle.setdefault(connection.origin, []).append(connection)
            self._wake()
        else:
            self.discard(connection)

    def discard(self, connection: Connection) -> None:
        """Close ``connection`` now (never to be reused) and free its place in the pool."""
        if connection.transport is not None:
            connection.transport.abort()
        self.forget(connection)

    def forget(self, connection: Connection) -> None:
        """``connection`` is closed: out of the pool, and its place goes to the next waiter."""
        if connection in self._open:
            self._open.discard(connection)
            idle = self._idle.get(connection.origin)
            if idle and connection in idle:
                idle.remove(connection)
            self._wake()

    def _drop_oldest_idle(self) -> bool:
        """Close the longest idle connection (to another origin) to make room; False if none."""
        idle = [c for connections in self._idle.values() for c in connections]
        if not idle:
            return False
        self.discard(min(idle, key=lambda connection: connection.idle_since))
        return True

    async def _wait_turn(self, deadline: float, front: bool) -> None:
        loop = self._bind()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (waiter, deadline)
        if self._watchdog is None:
            self._watchdog = loop.create_task(self._watch())
        if front:
            self._waiting.appendleft(entry)
        else:
            self._waiting.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake()  # woken and cancelled at once: the turn goes to the next in line
            raise
        finally:
            if entry in self._waiting:
                self._waiting.remove(entry)

    def _wake(self) -> None:
        while self._waiting:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _watch(self) -> None:
        """End requests and waits past their deadline, close idle connections past 15 s."""
        while self._open or self._waiting or self._dialling:
            await asyncio.sleep(self._tick_s)
            now = self._bind().time()
            for waiter, deadline in self._waiting:  # first: a place freed below is not theirs
                if deadline <= now and not waiter.done():
                    waiter.set_exception(TimeoutError())
            for connection in [c for c in self._busy if c.deadline <= now]:
                connection.fail(TimeoutError())
            stale = now - self._keepalive_s
            for idle in list(self._idle.values()):
                for connection in [c for c in idle if c.idle_since <= stale]:
                    self.discard(connection)
        self._watchdog = None


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _reason(exc: BaseException) -> str:
    """What failed, by type and the OS's words (never a text that could quote the URL)."""
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
