"""One scripted SMTP server (aiosmtpd) for every test that sends mail.

The handler plays the part of aiosmtplib's ``smtpd_mocks``: it records every accepted message and
every connection, and answers as the test scripts it. A script is a queue of replies for the
next MAIL, RCPT or DATA commands, for any recipient or for one only; each reply is an SMTP line
("451 4.3.0 …", "550 5.1.1 …"), ``"drop"`` (the line goes dead mid-mail) or ``"stall"`` (no
answer for ``stall_s``). ``delay_s`` makes every DATA slow, and :meth:`ScriptedSmtpHandler.hold`
keeps DATA waiting until the test releases it. The server runs in aiosmtpd's own thread and
loop on port 0, plain, with STARTTLS or implicit TLS (trustme certificates), and with AUTH.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.mail import parse_email
from tests.support.ports import HOST

USERNAME = "notifier"
PASSWORD = "s3cret-Pa55word"  # noqa: S105  # a test server's credential, not a secret
SERVER_HOSTNAME = "smtp.test"
READY_TIMEOUT_S = 5.0  # aiosmtpd's own default: thread up, socket bound, first session made
ACCEPTED = {"MAIL": "250 OK", "RCPT": "250 OK", "DATA": "250 2.0.0 accepted"}
STALLED = "451 4.4.2 stalled"
HOLD_POLL_S = 0.01


@dataclass
class Received:
    """One accepted message, as the server saw it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS)
    peer: Any  # (host, port): one per TCP connection
    at: float  # time.time() when the server accepted it

    @property
    def message(self) -> EmailMessage:
        return parse_email(self.content)


@dataclass
class ScriptedSmtpHandler:
    """Records what it accepts and answers as scripted; runs on the server thread's loop.

    Tests read the counters from their own thread once the sends they made are done.
    """

    delay_s: float = 0.0  # every DATA takes this long: a slow server, overlapping sends
    stall_s: float = 5.0  # how long "stall" (and "drop") keeps the client waiting
    on_reply: Callable[[str, str], None] | None = None  # (recipient, reply) before each DATA reply
    close_on_421: bool = False  # after a scripted 421, hang up as real servers do (RFC 5321 3.8)
    received: list[Received] = field(default_factory=list)
    peers: set[Any] = field(default_factory=set)  # one per connection that said EHLO
    quits: int = 0
    data_calls: Counter[str] = field(default_factory=Counter)  # DATA commands per recipient
    commands: Counter[str] = field(default_factory=Counter)  # MAIL, RCPT, DATA answered
    in_flight: int = 0  # DATA commands not answered yet
    # time.monotonic() when each MAIL command arrived: when a send began, as the server saw it
    mails_at: list[float] = field(default_factory=list)
    max_in_flight: int = 0
    _script: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)
    _open: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._open.set()

    # -- scripting (from the test's thread) ------------------------------------------------
    def script(self, command: str, *replies: str, to: str | None = None) -> None:
        """Answer the next ``command`` (MAIL, RCPT, DATA) with ``replies``, in order.

        With ``to``, only commands for that recipient (RCPT of it, DATA of a mail to it).
        """
        self._script.setdefault((command.upper(), to), []).extend(replies)

    def clear_script(self) -> None:
        """Forget what is left of every script: the server is back to accepting everything."""
        self._script.clear()

    def hold(self) -> None:
        """Keep every DATA waiting (the client sees a send in flight) until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    # -- what it saw ---------------------------------------------------------------------
    @property
    def data_commands(self) -> int:
        return sum(self.data_calls.values())

    @property
    def recipients(self) -> Counter[str]:
        """How many messages each recipient was sent (accepted ones only)."""
        return Counter(to for message in self.received for to in message.rcpt_tos)

    def accepted_for(self, recipient: str) -> list[EmailMessage]:
        return [m.message for m in self.received if recipient in m.rcpt_tos]

    # -- aiosmtpd hooks --------------------------------------------------------------------
    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        session.host_name = hostname
        self.peers.add(session.peer)
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.mails_at.append(time.monotonic())
        reply = await self._answer("MAIL", None, server)
        if reply.startswith("2"):
            envelope.mail_from = address
        return reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = await self._answer("RCPT", address, server)
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipient = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        self.data_calls[recipient] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            while not self._open.is_set():
                await asyncio.sleep(HOLD_POLL_S)  # held by the test; cancelled if the client goes
            if self.delay_s:
                await asyncio.sleep(self.delay_s)  # a slow server: the send is in flight meanwhile
            reply = await self._answer("DATA", recipient, server)
            if self.on_reply is not None:
                self.on_reply(recipient, reply)
            if reply.startswith("250"):
                self.received.append(self._record(session, envelope))
            return reply
        finally:
            self.in_flight -= 1

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.quits += 1
        return "221 Bye"

    # -- internals -----------------------------------------------------------------------
    def _next(self, command: str, recipient: str | None) -> str | None:
        for key in ((command, recipient), (command, None)):
            queue = self._script.get(key)
            if queue:
                return queue.pop(0)
        return None

    async def _answer(self, command: str, recipient: str | None, server: SMTP) -> str:
        self.commands[command] += 1
        reply = self._next(command, recipient)
        if reply is None:
            return ACCEPTED[command]
        if reply not in ("drop", "stall"):
            if self.close_on_421 and reply.startswith("421") and server.transport is not None:
                # closed once the reply is written: transport.close() flushes what is buffered
                asyncio.get_running_loop().call_soon(server.transport.close)
            return reply
        if reply == "drop" and server.transport is not None:
            server.transport.close()  # the client sees the line go dead mid-mail
        await asyncio.sleep(self.stall_s)  # cancelled when the connection goes
        return STALLED

    @staticmethod
    def _record(session: Session, envelope: Envelope) -> Received:
        return Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            content=envelope.original_content or b"",
            tls=session.ssl is not None,
            peer=session.peer,
            at=time.time(),
        )


@dataclass(frozen=True)
class Certificates:
    """A throwaway CA (trustme) and a server certificate for 127.0.0.1 and localhost."""

    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts only the test CA
    ca_file: Path  # the CA as PEM, for a subprocess (SSL_CERT_FILE)


def make_certificates(folder: Path) -> Certificates:
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST, "localhost").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    authority.configure_trust(client)
    ca_file = folder / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return Certificates(server, client, ca_file)


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


class _EphemeralController(Controller):
    """A Controller on port 0: it learns its port before its own start-up probe."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it bare


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    handler: ScriptedSmtpHandler
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


def start_smtp_server(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    auth: bool = False,
) -> SmtpServer:
    """A scripted server on 127.0.0.1, port 0; the caller stops it (fixtures do).

    ``starttls``: offer STARTTLS and require it before mail. ``implicit_tls``: TLS from the
    first byte (port 465 style). ``auth``: require AUTH (USERNAME/PASSWORD), only after TLS.
    """
    handler = ScriptedSmtpHandler()
    options: dict[str, Any] = {"server_hostname": SERVER_HOSTNAME, "ready_timeout": READY_TIMEOUT_S}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if implicit_tls is not None:
        options["ssl_context"] = implicit_tls
    if auth:
        options.update(authenticator=_authenticate, auth_required=True, auth_require_tls=True)
    controller = _EphemeralController(handler, hostname=HOST, port=0, **options)
    controller.start()
    return SmtpServer(HOST, int(controller.port), handler, controller)
