"""Real SMTP servers (aiosmtpd) with scripted faults, trustme certificates, and reminders.

The handler plays the part of aiosmtplib's ``smtpd_mocks``: each test scripts what the server
answers (451, 550, a dropped connection, a stall) and reads back what it received.
"""

from __future__ import annotations

import asyncio
import gc
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from notifier.channels import ReminderMessage, SmtpChannel
from notifier.events import Session as EventSession
from notifier.records import Registration, ReminderRef, delivery_key

HOST = "127.0.0.1"
SENDER = "Reminders <reminders@notifier.example.org>"
PUBLIC_BASE_URL = "https://reminders.example.org"
USERNAME = "notifier"
PASSWORD = "s3cret-Pa55word"  # noqa: S105  # a test server's credential, not a secret
VIENNA = ZoneInfo("Europe/Vienna")

# The first GI-TOC side event at the 32nd CCPCJ: "Tuesday 23 May 09:10- 10:00 CEST"
CCPCJ_SESSION = EventSession(
    id="human-smuggling-central-med",
    title="The dynamics of human smuggling and trafficking on routes to the Central Mediterranean",
    when="Tuesday 23 May 09:10- 10:00 CEST",
    start=datetime(2023, 5, 23, 9, 10, tzinfo=VIENNA),
    end=datetime(2023, 5, 23, 10, 0, tzinfo=VIENNA),
    zone="Europe/Vienna",
    reminders=(timedelta(days=1), timedelta(hours=1), timedelta(minutes=10)),
    channels=("email",),
    description="Latest research on smuggling routes to the Central Mediterranean.",
    join_url="https://events.example.org/ccpcj-32/human-smuggling-central-med",
    room="Board Room B",
    venue="Vienna International Centre",
    mode="hybrid",
)


@dataclass
class RecordingHandler:
    """Records every mail and connection; answers as the test scripts it."""

    messages: list[Envelope] = field(default_factory=list)
    peers: set[Any] = field(default_factory=set)  # one per connection that said EHLO
    tls_seen: list[bool] = field(default_factory=list)
    quits: int = 0
    # replies for the next commands, in order: an SMTP line, "drop" or "stall"
    script: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    stall_s: float = 3.0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        session.host_name = hostname
        self.peers.add(session.peer)
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        envelope.mail_from = address
        return await self._scripted("MAIL", server) or "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return await self._scripted("RCPT", server) or "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = await self._scripted("DATA", server)
        if reply is None:
            self.messages.append(envelope)
            self.tls_seen.append(session.ssl is not None)
        return reply or "250 Message accepted"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.quits += 1
        return "221 Bye"

    async def _scripted(self, command: str, server: SMTP) -> str | None:
        queue = self.script.get(command)
        if not queue:
            return None
        action = queue.pop(0)
        if action not in ("drop", "stall"):
            return action
        if action == "drop" and server.transport is not None:
            server.transport.close()  # the client sees the line go dead mid-mail
        await asyncio.sleep(self.stall_s)  # cancelled when the connection goes
        return "451 4.4.2 Stalled"


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
    handler: RecordingHandler


@dataclass(frozen=True)
class TlsContexts:
    server: ssl.SSLContext
    client: ssl.SSLContext  # trusts only the test CA


@pytest.fixture(scope="session")
def tls() -> TlsContexts:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    return TlsContexts(server, client)


@pytest.fixture
def start_smtp(tls: TlsContexts) -> Iterator[Callable[..., SmtpServer]]:
    """Start aiosmtpd servers: plain, ``starttls=True``, ``implicit_tls=True``, ``auth=True``."""
    controllers: list[Controller] = []

    def start(
        *, starttls: bool = False, implicit_tls: bool = False, auth: bool = False
    ) -> SmtpServer:
        handler = RecordingHandler()
        options: dict[str, Any] = {"server_hostname": "smtp.test", "ready_timeout": 5.0}
        if starttls:
            options["tls_context"] = tls.server
        if implicit_tls:
            options["ssl_context"] = tls.server
        if auth:
            options.update(authenticator=_authenticate, auth_required=True, auth_require_tls=True)
        controller = _EphemeralController(handler, hostname=HOST, port=0, **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(HOST, controller.port, handler)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_smtp: Callable[..., SmtpServer]) -> SmtpServer:
    return start_smtp()


@pytest.fixture
async def make_channel(
    start_smtp: Callable[..., SmtpServer],
) -> AsyncIterator[Callable[..., SmtpChannel]]:
    """SmtpChannels for a server, closed (QUIT) before the servers stop."""
    channels: list[SmtpChannel] = []

    def make(server: SmtpServer, **overrides: Any) -> SmtpChannel:
        settings: dict[str, Any] = {
            "host": server.host,
            "port": server.port,
            "tls": "none",
            "username": None,
            "password": None,
            "sender": SENDER,
            "public_base_url": PUBLIC_BASE_URL,
            "timeout_s": 5.0,
            "pool_size": 2,
        }
        channel = SmtpChannel(**(settings | overrides))
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        await channel.aclose()


@pytest.fixture
def make_message() -> Callable[..., ReminderMessage]:
    """A reminder for the CCPCJ session; keywords override the registration and the timing."""

    def make(
        *,
        session: EventSession = CCPCJ_SESSION,
        email: str | None = "participant@example.org",
        timezone: str = "Asia/Tokyo",
        attendance: str = "undecided",
        offset: timedelta = timedelta(hours=1),
        now_utc: datetime | None = None,
        registration_id: str = "reg-1",
        sequence: int = 0,
        **session_changes: Any,
    ) -> ReminderMessage:
        session = replace(session, **session_changes)
        registration = Registration(
            id=registration_id,
            event_id="ccpcj-32-gitoc",
            timezone=timezone,
            created_at=datetime(2023, 5, 1, tzinfo=UTC),
            email=email,
            attendance=attendance,  # type: ignore[arg-type]
        )
        ref = ReminderRef(
            "ccpcj-32-gitoc", session.id, session.start.astimezone(UTC), int(offset.total_seconds())
        )
        return ReminderMessage(
            delivery_key=delivery_key(ref, registration_id, "email"),
            ref=ref,
            event_id="ccpcj-32-gitoc",
            event_name="The Global Initiative at the 32nd CCPCJ",
            session=session,
            registration=registration,
            offset=offset,
            now_utc=now_utc or (session.start - offset).astimezone(UTC),
            unsubscribe_url=f"{PUBLIC_BASE_URL}/unsubscribe/tok-{registration_id}",
            sequence=sequence,
        )

    return make


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect after each test, so a leaked socket fails the test that leaked it."""
    yield
    gc.collect()
