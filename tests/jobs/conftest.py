"""Real parts for the fan-out and reconcile tests: an event from YAML, a clock, a mail server.

The SMTP server is aiosmtpd in its own thread, with a handler that answers DATA as each test
scripts it per recipient ("451 …" transient, "550 …" permanent, "stall"), counts attempts and
how many DATA commands overlap, and keeps what it accepted. Time is a clock the test sets.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifier.channels import Channel, SmtpChannel
from notifier.events import Event, load_event
from notifier.jobs.fanout import FanoutDeps, RetryPolicy
from notifier.metrics import make_metrics
from notifier.records import Registration
from notifier.store.base import Store

HOST = "127.0.0.1"
SENDER = "Reminders <reminders@notifier.example.org>"
PUBLIC_BASE_URL = "https://reminders.example.org"
SIGNING_SECRET = "test-signing-secret-of-32-bytes-or-more"  # noqa: S105  # signs test links only
EVENT_ID = "vienna-side-events"
VENUE_ZONE = ZoneInfo("Europe/Vienna")
# a fixed instant years ahead: the real scheduler thread never fires a job during a test
NOW = datetime(2031, 5, 20, 7, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=5, base_s=0.05, max_s=0.1)


class Clock:
    """The service's clock, set by the test: ``clock()`` is now, ``advance()`` moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def event_yaml(
    sessions: Mapping[str, datetime],
    *,
    reminders: tuple[str, ...] = ("10m",),
    event_id: str = EVENT_ID,
) -> str:
    """An event in Vienna with one session per ``sessions`` entry, written as venue wall time."""
    lines = [
        f"id: {event_id}",
        "name: Side events at the Vienna crime congress",
        "zone: Europe/Vienna",
        "venue: Vienna International Centre",
        f"reminders: [{', '.join(reminders)}]",
        "sessions:",
    ]
    for session_id, start in sessions.items():
        local = start.astimezone(VENUE_ZONE)
        lines += [
            f"  - id: {session_id}",
            f"    title: Side event {session_id}",
            f'    when: "{local:%Y-%m-%dT%H:%M:%S}[Europe/Vienna]"',
            f'    join_url: "https://events.example.org/{event_id}/{session_id}"',
            "    room: M3",
        ]
    return "\n".join(lines) + "\n"


def load_test_event(text: str) -> Event:
    """The event as the config loader builds it; the test fails on any config problem."""
    loaded = load_event(text, "side-events.yaml", today=date(2031, 5, 1))
    assert loaded.event is not None, [str(p) for p in loaded.problems]
    return loaded.event


def registration(
    name: str,
    *,
    sessions: tuple[str, ...] | None = ("talk",),
    event_id: str = EVENT_ID,
    webhook_url: str | None = None,
) -> Registration:
    """``name``@example.org in Tokyo, following ``sessions`` (None: the whole event)."""
    return Registration(
        id=name,
        event_id=event_id,
        timezone="Asia/Tokyo",
        created_at=NOW,
        email=f"{name}@example.org",
        webhook_url=webhook_url,
        sessions=sessions,
    )


def fanout_deps(
    store: Store,
    channel: Channel,
    clock: Callable[[], datetime],
    *,
    concurrency: int = 8,
    retry: RetryPolicy = FAST_RETRY,
) -> FanoutDeps:
    return FanoutDeps(
        store=store,
        channels={"email": channel},
        signing_secret=SIGNING_SECRET,
        public_base_url=PUBLIC_BASE_URL,
        concurrency=asyncio.Semaphore(concurrency),
        retry=retry,
        clock=clock,
        stopping=asyncio.Event(),
        metrics=make_metrics(),
    )


def parse_email(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def read_outbox(folder: Path) -> list[EmailMessage]:
    """Every ``.eml`` the outbox channel wrote, oldest name first."""
    return [parse_email(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


@dataclass
class MailHandler:
    """Answers DATA per recipient as scripted, then accepts; counts what it saw.

    Runs on the server thread's loop; the test reads the counters after its sends are done.
    """

    replies: dict[str, list[str]] = field(default_factory=dict)  # recipient -> replies first
    delay_s: float = 0.0  # every DATA takes this long, so overlapping sends can be seen
    stall_s: float = 5.0  # how long a scripted "stall" keeps the client waiting
    on_reply: Callable[[str, str], None] | None = None  # (recipient, reply), before answering
    accepted: list[tuple[str, EmailMessage]] = field(default_factory=list)
    data_calls: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipient = envelope.rcpt_tos[0]
        self.data_calls[recipient] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            queue = self.replies.get(recipient)
            reply = queue.pop(0) if queue else "250 2.0.0 accepted"
            if reply == "stall":
                await asyncio.sleep(self.stall_s)  # cancelled when the client hangs up
                reply = "451 4.4.2 stalled"
            if self.on_reply is not None:
                self.on_reply(recipient, reply)
            if reply.startswith("250"):
                content = envelope.original_content or b""
                self.accepted.append((recipient, parse_email(content)))
            return reply
        finally:
            self.in_flight -= 1

    def accepted_for(self, recipient: str) -> list[EmailMessage]:
        return [message for to, message in self.accepted if to == recipient]

    @property
    def recipients(self) -> Counter[str]:
        return Counter(to for to, _ in self.accepted)


@dataclass(frozen=True)
class MailServer:
    port: int
    handler: MailHandler


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A plain SMTP server (aiosmtpd) on a free loopback port, scripted through its handler."""
    handler = MailHandler()
    controller = Controller(
        handler, hostname=HOST, port=_free_port(), server_hostname="smtp.test", ready_timeout=5.0
    )
    controller.start()
    try:
        yield MailServer(int(controller.port), handler)
    finally:
        controller.stop()


@pytest.fixture
async def smtp_channel(mail_server: MailServer) -> AsyncIterator[SmtpChannel]:
    """The real SMTP channel against ``mail_server``, closed (QUIT) before the server stops.

    Its pool is larger than any fan-out's concurrency here, so the pool never hides a missing
    bound in the fan-out itself.
    """
    channel = SmtpChannel(
        host=HOST,
        port=mail_server.port,
        tls="none",
        username=None,
        password=None,
        sender=SENDER,
        public_base_url=PUBLIC_BASE_URL,
        timeout_s=5.0,
        pool_size=16,
    )
    try:
        yield channel
    finally:
        await channel.aclose()
