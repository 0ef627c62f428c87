"""Email over SMTP with aiosmtplib: a small pool of connections shared by every fan-out.

A connection that raised, or timed out, is closed and dropped: aiosmtplib cannot say what state
the server is in after that, and a desynced connection could pair a reply with the wrong mail.

A timeout or a dropped line once DATA has begun is an unknown outcome (the server may have
queued the mail and lost only its reply): :class:`UnknownDeliveryError`, never retried blindly.
Before DATA (connect, MAIL, RCPT) the same faults are transient and retried.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine
from email.message import EmailMessage
from functools import partial
from typing import Any, Literal

import aiosmtplib

from notifier.channels.base import ReminderMessage
from notifier.channels.compose import check_identity, compose_email
from notifier.channels.outbox import OutboxChannel
from notifier.channels.wire import WireComposer, WireEmail
from notifier.errors import (
    DeliveryError,
    PermanentDeliveryError,
    SettingsError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from notifier.records import ChannelName
from notifier.settings import Settings

TlsMode = Literal["none", "starttls", "tls"]
# servers drop idle sessions (often after 60-300 s); an older pooled one is replaced, not tried
_MAX_IDLE_S = 50.0


class _Client(aiosmtplib.SMTP):
    """aiosmtplib's client, noting when DATA began: ``sendmail`` calls ``data`` last."""

    data_begun = False

    async def data(self, message: str | bytes, /, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        self.data_begun = True
        return await super().data(message, **kwargs)


class SmtpChannel:
    """Sends one message per recipient through at most ``pool_size`` SMTP connections."""

    name: ChannelName = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        tls: TlsMode,
        username: str | None,
        password: str | None,
        sender: str,
        public_base_url: str,
        timeout_s: float = 30.0,
        pool_size: int = 4,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise SettingsError(f"NOTIFIER_SMTP_TLS is {tls!r}; use none, starttls or tls")
        if pool_size < 1 or timeout_s <= 0:
            raise SettingsError("the SMTP pool size and timeout must be positive")
        if (username is None) != (password is None):
            raise SettingsError("set both NOTIFIER_SMTP_USERNAME and PASSWORD, or neither")
        check_identity(sender, public_base_url)
        self._host, self._port, self._tls, self._tls_context = host, port, tls, tls_context
        self._username, self._password = username, password
        self._sender, self._public_base_url = sender, public_base_url
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(pool_size)  # open connections, idle or busy
        self._idle: asyncio.Queue[tuple[_Client, float]] = asyncio.Queue()
        self._closed = False
        self._composer = WireComposer(sender=sender, public_base_url=public_base_url)
        self._pool_size = pool_size
        self._warming: set[asyncio.Task[None]] = set()

    async def send(self, message: ReminderMessage) -> str:
        """Deliver one reminder; return its Message-ID."""
        return await self.prepare(message)()

    def prepare(self, message: ReminderMessage) -> Callable[[], Awaitable[str]]:
        """Compose one reminder now (the CPU of a send); the returned call transmits it."""
        wire = self._composer.compose(message)
        if wire is None:  # only the full composer can write it (an SMTPUTF8 address)
            email_message = compose_email(
                message, sender=self._sender, public_base_url=self._public_base_url
            )
            return partial(self.send_email, email_message)
        return partial(self._send_wire, wire)

    def warm(self) -> None:
        """Open a pooled connection in the background if the pool has room (prepare ahead: a
        send at the due instant then finds one open instead of connecting, ~25 ms)."""
        if self._closed or self._idle.qsize() + len(self._warming) >= self._pool_size:
            return
        task = asyncio.create_task(self._warm_one())
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _warm_one(self) -> None:
        try:
            client = await self._open()
        except DeliveryError:
            return  # the send meets it again, and retries as always
        if self._closed:
            _drop(client)
        else:
            self._idle.put_nowait((client, time.monotonic()))

    async def _send_wire(self, wire: WireEmail) -> str:
        await self._with_client(wire.recipient, lambda client: self._transmit_wire(client, wire))
        return wire.message_id

    async def send_email(self, email_message: EmailMessage) -> str:
        """Send one composed message (a reminder, a confirmation) to its single To address."""
        recipient = email_message["To"].addresses[0].addr_spec

        def transmit(client: _Client) -> Awaitable[None]:
            return self._transmit(client, recipient, client.send_message(email_message))

        await self._with_client(recipient, transmit)
        return str(email_message["Message-ID"])

    async def _with_client(
        self, recipient: str, transmit: Callable[[_Client], Awaitable[None]]
    ) -> None:
        """Run ``transmit`` on a pooled connection; one that failed in any way is dropped."""
        async with self._slots:
            if self._closed:
                raise TransientDeliveryError("the email channel is shut down; retry after restart")
            client = await self._borrow()
            transport = client.transport
            try:
                await transmit(client)
            except BaseException:
                _drop(client, transport)  # errored, timed out or cancelled: never reused
                raise
            if self._closed:
                _drop(client)
            else:
                self._idle.put_nowait((client, time.monotonic()))

    def _transmit_wire(self, client: _Client, wire: WireEmail) -> Awaitable[None]:
        """``sendmail`` with what ``send_message`` would add: BODY=8BITMIME if offered (the
        message is 7-bit either way; the envelope stays as it was)."""
        options = ["BODY=8BITMIME"] if client.supports_extension("8BITMIME") else []
        sending = client.sendmail(wire.sender, [wire.recipient], wire.data, mail_options=options)
        return self._transmit(client, wire.recipient, sending)

    async def aclose(self) -> None:
        """Say QUIT on every idle connection; sends still running close theirs when done."""
        self._closed = True
        for task in list(self._warming):
            task.cancel()
        await asyncio.gather(*self._warming, return_exceptions=True)
        while not self._idle.empty():
            client, _ = self._idle.get_nowait()
            transport = client.transport
            try:
                async with asyncio.timeout(self._timeout_s):
                    await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass  # closing anyway; a server that already hung up needs no QUIT
            finally:
                _drop(client, transport)

    async def _borrow(self) -> _Client:
        while not self._idle.empty():
            client, idle_since = self._idle.get_nowait()
            if client.is_connected and time.monotonic() - idle_since < _MAX_IDLE_S:
                return client
            _drop(client)
        return await self._open()

    async def _open(self) -> _Client:
        client = _Client(
            hostname=self._host,
            port=self._port,
            use_tls=self._tls == "tls",
            start_tls=self._tls == "starttls",
            tls_context=self._tls_context,
            # no per-command timer (a wait_for task per reply): every await on this client is
            # inside our own asyncio.timeout, which drops the connection when it fires
            timeout=None,
        )
        try:
            async with asyncio.timeout(self._timeout_s):
                await client.connect()
                # log in here, not in connect(): on failure we drop the socket ourselves
                if self._username is not None and self._password is not None:
                    await client.login(self._username, self._password)
                # greet now, once per connection: each send reads the server's extensions
                if client.is_ehlo_or_helo_needed:
                    await _greet(client)
        except Exception as exc:
            _drop(client)
            raise self._classify(exc, f"connecting to {self._host}:{self._port}") from exc
        except BaseException:
            _drop(client)
            raise
        return client

    async def _transmit(
        self,
        client: _Client,
        to: str,
        sending: Coroutine[Any, Any, tuple[dict[str, aiosmtplib.SMTPResponse], str]],
    ) -> None:
        client.data_begun = False  # a pooled client: this mail's stage only
        try:
            async with asyncio.timeout(self._timeout_s):
                refused, _ = await sending
        except Exception as exc:
            lost_reply = isinstance(exc, TimeoutError | OSError)  # SMTP timeouts, drops too
            if client.data_begun and lost_reply:
                # the data may have been queued and only the reply lost: resending could
                # mail the person twice, so the outcome is recorded unknown instead
                raise UnknownDeliveryError(
                    f"SMTP {self._host}:{self._port}, sending to {_masked(to)}: no final reply"
                    f" to the message data ({type(exc).__name__}); it may have been delivered"
                ) from exc
            raise self._classify(exc, f"sending to {_masked(to)}", to) from exc
        if to in refused:  # one recipient refused raises; checked anyway, in case that changes
            answer = refused[to]
            raise self._classify(
                aiosmtplib.SMTPRecipientRefused(answer.code, answer.message, to),
                f"sending to {_masked(to)}",
                to,
            )

    def _classify(self, exc: Exception, doing: str, recipient: str = "") -> DeliveryError:
        """Transient if a later try may work (4xx, network, timeouts), else permanent."""
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
            exc = exc.recipients[0]
        server = _scrub(str(getattr(exc, "message", exc)), self._password, recipient)
        where = f"SMTP {self._host}:{self._port}, {doing}"
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return PermanentDeliveryError(
                f"{where}: login refused ({exc.code} {server}); check NOTIFIER_SMTP_USERNAME "
                "and NOTIFIER_SMTP_PASSWORD"
            )
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            if 400 <= exc.code < 500:
                return TransientDeliveryError(f"{where}: {exc.code} {server} (temporary)")
            return PermanentDeliveryError(f"{where}: {exc.code} {server}")
        if isinstance(exc, TimeoutError):
            return TransientDeliveryError(f"{where}: no answer within {self._timeout_s:g} s")
        if isinstance(exc, OSError):  # disconnects, refused connections, TLS failures
            return TransientDeliveryError(f"{where}: {type(exc).__name__}: {server}")
        # the server lacks what we need (STARTTLS, AUTH, SMTPUTF8): settings, not luck
        return PermanentDeliveryError(f"{where}: {server}; check the NOTIFIER_SMTP_* settings")


async def _greet(client: aiosmtplib.SMTP) -> None:
    """EHLO, or HELO from a server without ESMTP: what aiosmtplib does before a send."""
    try:
        await client.ehlo()
    except aiosmtplib.SMTPHeloError:
        await client.helo()


def _drop(client: aiosmtplib.SMTP, transport: asyncio.BaseTransport | None = None) -> None:
    """Abort the socket rather than close it politely.

    A polite TLS close waits up to 30 s for the server's close_notify, and aiosmtplib may have
    started one already (``quit()``, errors): ``transport`` is the one the client held before.
    """
    transport = transport or client.transport
    if isinstance(transport, asyncio.Transport):
        transport.abort()
    client.close()


def _masked(address: str) -> str:
    """``j***@example.org``: logs and the delivery log never hold whole addresses."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _scrub(text: str, password: str | None, recipient: str) -> str:
    """The server's words without the password or the full address, on one line."""
    if password:
        text = text.replace(password, "***")
    if recipient:
        text = text.replace(recipient, _masked(recipient))
    return " ".join(text.split())


def make_email_channel(settings: Settings, signing_secret: str) -> SmtpChannel | OutboxChannel:
    """The email channel the settings ask for: SMTP, or ``.eml`` files in the outbox folder."""
    base_url = str(settings.public_base_url)
    if settings.resolved_email_backend == "file":
        return OutboxChannel(
            settings.resolved_outbox_dir, sender=settings.smtp_from, public_base_url=base_url
        )
    if not settings.smtp_host:
        raise SettingsError("NOTIFIER_EMAIL_BACKEND=smtp needs NOTIFIER_SMTP_HOST")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpChannel(
        host=settings.smtp_host,
        port=settings.resolved_smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=password,
        sender=settings.smtp_from,
        public_base_url=base_url,
        timeout_s=settings.smtp_timeout_s,
        pool_size=settings.smtp_pool_size,
    )
