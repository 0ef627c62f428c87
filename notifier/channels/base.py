"""What every channel receives and promises.

A channel turns one :class:`ReminderMessage` into one delivery attempt. It raises
:class:`~notifier.errors.TransientDeliveryError` for what is worth retrying and
:class:`~notifier.errors.PermanentDeliveryError` for what is not; the fan-out owns retries,
backoff and the delivery log. Channels never decide whether to send: the claim is made first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from notifier.events import Session
from notifier.store.base import ChannelName, Registration, ReminderRef


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


class Channel(Protocol):
    """A way to reach a participant. One instance per process, shared by all fan-outs."""

    name: ChannelName

    async def send(self, message: ReminderMessage) -> str:
        """Deliver; return a receipt (message id, file path, HTTP status) for the log."""

    async def aclose(self) -> None:
        """Close pooled connections; in-flight sends are done or cancelled first."""
