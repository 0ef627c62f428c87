"""What every channel receives and promises, and how to add one.

A channel turns one :class:`ReminderMessage` into one delivery attempt. It raises
:class:`~notifier.errors.TransientDeliveryError` for what is worth retrying and
:class:`~notifier.errors.PermanentDeliveryError` for what is not; the fan-out owns retries,
backoff and the delivery log. Channels never decide whether to send: the claim is made first.

Adding a channel (a chat room, an SMS gateway):

1. Write ``notifier/channels/<name>.py`` with a class that satisfies :class:`Channel` (``name``,
   ``send``, ``aclose``) and a factory ``(settings, signing_secret) -> Channel`` that reads its
   settings and opens nothing until the first send (the service makes it before the loop runs
   any job, and closes it in reverse order).
2. Add the factory to ``CHANNELS`` in ``notifier/channels/__init__.py``, under a name listed in
   ``ChannelName`` (:mod:`notifier.records`, the one list of names; config files, the store
   and metrics labels follow it). ``tests/channels/test_registry.py`` fails until both agree.
3. Derive the message's idempotency key from ``message.delivery_key`` (a fan-out may run
   twice), put a deadline on every network await, and let ``CancelledError`` through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from notifier.events import Event, Session
from notifier.records import ChannelName, Registration, ReminderRef
from notifier.settings import Settings


@dataclass(frozen=True)
class ReminderMessage:
    """Everything needed to tell one participant about one session, once."""

    delivery_key: str  # idempotency key: Message-ID and webhook-id derive from it
    ref: ReminderRef
    event_id: str
    event_name: str
    session: Session  # start/end are aware datetimes in the venue's zone
    registration: Registration
    offset: timedelta  # the planned offset (1d, 1h, 10m)
    now_utc: datetime  # when this message is composed; "starts in …" is computed from it
    unsubscribe_url: str
    sequence: int  # iCalendar SEQUENCE: bumped each time the session moved
    # the event, for its titles per language and the organizer's templates (None: neither)
    event: Event | None = None
    # the participant's own page (zone, sessions, reminders) and calendar feed; signed links
    manage_url: str | None = None
    calendar_url: str | None = None


class Channel(Protocol):
    """A way to reach a participant. One instance per process, shared by all fan-outs."""

    name: ChannelName

    async def send(self, message: ReminderMessage) -> str:
        """Deliver; return a receipt (message id, file path, HTTP status) for the log."""

    async def aclose(self) -> None:
        """Close pooled connections; in-flight sends are done or cancelled first."""


@runtime_checkable
class Preparing(Protocol):
    """A channel that can compose a message before its due instant and send it later (prepare
    ahead, ``jobs/ahead.py``): what is left at the instant is the transmission."""

    def prepare(self, message: ReminderMessage) -> Callable[[], Awaitable[str]]:
        """Compose ``message`` now; the returned call sends it, as :meth:`Channel.send`."""

    def warm(self) -> None:
        """Open what a send will need (a pooled connection) in the background; never raises."""


@runtime_checkable
class EmailSender(Protocol):
    """What can also send one composed email (SMTP, the outbox): confirmation requests."""

    async def send_email(self, email_message: EmailMessage) -> str: ...


# settings and the server's signing secret -> a channel that opens nothing until first used
ChannelFactory = Callable[[Settings, str], Channel]
