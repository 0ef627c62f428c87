"""The reminder a channel test sends: the first GI-TOC side event at the 32nd CCPCJ.

"Tuesday 23 May 09:10- 10:00 CEST", to a participant in Tokyo; keywords change the registration,
the timing or the session. The channels under test (SMTP, webhook) are built here with the
settings a test would otherwise repeat, pointed at the test's own server.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notifier.channels import ReminderMessage, SmtpChannel, TlsMode
from notifier.channels.ssrf import AddressGuard
from notifier.channels.webhook import WebhookChannel, webhook_key
from notifier.events import Event, Session
from notifier.records import Attendance, Registration, ReminderRef, delivery_key
from tests.support.webhooks import LOOPBACK, SERVER_SECRET

SENDER = "Reminders <reminders@notifier.example.org>"
PUBLIC_BASE_URL = "https://reminders.example.org"
EVENT_ID = "ccpcj-32-gitoc"
EVENT_NAME = "The Global Initiative at the 32nd CCPCJ"
VIENNA = ZoneInfo("Europe/Vienna")

CCPCJ_SESSION = Session(
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


def reminder_message(
    *,
    session: Session = CCPCJ_SESSION,
    email: str | None = "participant@example.org",
    timezone: str = "Asia/Tokyo",
    attendance: Attendance = "undecided",
    offset: timedelta = timedelta(hours=1),
    now_utc: datetime | None = None,
    registration_id: str = "reg-1",
    sequence: int = 0,
    language: str = "en",
    event: Event | None = None,
    **session_changes: Any,
) -> ReminderMessage:
    """The email reminder for the CCPCJ session, sent on time unless ``now_utc`` says otherwise."""
    session = replace(session, **session_changes)
    registration = Registration(
        id=registration_id,
        event_id=EVENT_ID,
        timezone=timezone,
        created_at=datetime(2023, 5, 1, tzinfo=UTC),
        email=email,
        attendance=attendance,
        language=language,
    )
    ref = ReminderRef(
        EVENT_ID, session.id, session.start.astimezone(UTC), int(offset.total_seconds())
    )
    return ReminderMessage(
        delivery_key=delivery_key(ref, registration_id, "email"),
        ref=ref,
        event_id=EVENT_ID,
        event_name=EVENT_NAME,
        session=session,
        registration=registration,
        offset=offset,
        now_utc=now_utc or (session.start - offset).astimezone(UTC),
        unsubscribe_url=f"{PUBLIC_BASE_URL}/unsubscribe/tok-{registration_id}",
        sequence=sequence,
        event=event,
        manage_url=f"{PUBLIC_BASE_URL}/manage/tok-{registration_id}",
        calendar_url=f"{PUBLIC_BASE_URL}/calendar/tok-{registration_id}.ics",
    )


def webhook_reminder_message(
    url: str, *, registration_id: str = "reg-1", **changes: Any
) -> ReminderMessage:
    """The same reminder for a webhook-only registration posting to ``url``."""
    message = reminder_message(email=None, registration_id=registration_id, **changes)
    registration = replace(message.registration, webhook_url=url)
    key = delivery_key(message.ref, registration_id, "webhook")
    return replace(message, registration=registration, delivery_key=key)


def smtp_channel(
    host: str,
    port: int,
    *,
    tls: TlsMode = "none",
    username: str | None = None,
    password: str | None = None,
    timeout_s: float = 5.0,
    pool_size: int = 2,
    tls_context: ssl.SSLContext | None = None,
    sender: str = SENDER,
) -> SmtpChannel:
    """An SmtpChannel for the test's server; the caller closes it (QUIT) before the server stops."""
    return SmtpChannel(
        host=host,
        port=port,
        tls=tls,
        username=username,
        password=password,
        sender=sender,
        public_base_url=PUBLIC_BASE_URL,
        timeout_s=timeout_s,
        pool_size=pool_size,
        tls_context=tls_context,
    )


def key_for(registration: Registration) -> bytes:
    return webhook_key(SERVER_SECRET, registration.id)


def webhook_channel(
    *,
    allowed: Sequence[str] = LOOPBACK,
    timeout_s: float = 2.0,
    pool_size: int = 4,
    **overrides: Any,
) -> WebhookChannel:
    """A WebhookChannel allowed to reach loopback (the test's receiver) unless ``allowed`` says."""
    return WebhookChannel(
        key_for=key_for,
        guard=AddressGuard(allowed),
        timeout_s=timeout_s,
        pool_size=pool_size,
        user_agent="notifier-tests/1",
        **overrides,
    )
