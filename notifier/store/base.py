"""The store's interface: registrations and the delivery log, one Protocol, two backends.

Backends (``sqlite.py``, ``redis.py``) sit beside this file, as APScheduler 3's job stores do;
``tests/store/`` runs one contract suite over both.

A ``StoreError`` from ``claim_delivery`` means the outcome is unknown (a timed-out claim may
have landed), so callers must not send: at most once wins over at least once there.
``release_delivery`` drops only records still ``claimed``; ``record_delivery(error=None)``
clears ``last_error``; email identity ignores case; a re-registration's None fields keep the
stored values.

Delivery keys are claimed before anything is sent (claim first: a crash after SMTP 250 must not
mail 2,000 people twice), so a key is sent at most once by a store's claim. A key carries the
session's instant, so a moved session is announced again under a new key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

Attendance = Literal["onsite", "online", "undecided"]
ChannelName = Literal["email", "webhook"]
DeliveryStatus = Literal["claimed", "sent", "failed", "expired", "skipped"]
FanoutStatus = Literal["started", "done", "skipped"]


@dataclass(frozen=True)
class Registration:
    """One participant's registration for one event.

    ``sessions`` None means the whole event. Identity is (``event_id``, address): ``email`` if
    given, else ``webhook_url``; registering the same address again updates this record
    (sessions are merged) instead of adding a second one.
    """

    id: str
    event_id: str
    timezone: str
    created_at: datetime
    email: str | None = None
    webhook_url: str | None = None
    sessions: tuple[str, ...] | None = None
    attendance: Attendance = "undecided"
    language: str = "en"
    # double opt-in: an email registration made through the API waits for its confirmation
    # link; organizer-entered (CLI, import) and webhook-only registrations start confirmed
    confirmed: bool = True

    def follows(self, session_id: str) -> bool:
        return self.sessions is None or session_id in self.sessions

    @property
    def channels(self) -> tuple[ChannelName, ...]:
        found: list[ChannelName] = []
        if self.email:
            found.append("email")
        if self.webhook_url:
            found.append("webhook")
        return tuple(found)


@dataclass(frozen=True)
class ReminderRef:
    """Which reminder: a session at an exact instant, and how long before it."""

    event_id: str
    session_id: str
    start_utc: datetime
    offset_s: int

    @property
    def key(self) -> str:
        """``event/session/20230523T071000Z/3600``: stable, and new when the session moves
        (to the second: a session moved by seconds is a new instant too)."""
        start = self.start_utc.astimezone(UTC)  # one instant, one key, whatever zone it came in
        return f"{self.event_id}/{self.session_id}/{start:%Y%m%dT%H%M%SZ}/{self.offset_s}"


def delivery_key(ref: ReminderRef, registration_id: str, channel: ChannelName) -> str:
    """One delivery: a reminder, to one registration, on one channel."""
    return f"{ref.key}/{registration_id}/{channel}"


@dataclass(frozen=True)
class Delivery:
    """A delivery-log record."""

    key: str
    ref: ReminderRef
    registration_id: str
    channel: ChannelName
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Fanout:
    """The record that a reminder's fan-out ran (or was skipped), with its counts."""

    ref: ReminderRef
    status: FanoutStatus
    updated_at: datetime
    counts: dict[str, int] = field(default_factory=dict)


class Store(Protocol):
    """Registrations, the delivery log and fan-out records. Every method is non-blocking."""

    async def add_registration(self, registration: Registration) -> Registration:
        """Insert, or merge into the registration with the same event and address.

        Returns the stored registration (its ``id`` is the existing one when merged). A merge
        keeps ``confirmed`` True once it was True (re-registering never un-confirms).
        """

    async def get_registration(self, registration_id: str) -> Registration | None: ...

    async def find_registration(self, like: Registration) -> Registration | None:
        """The registration ``add_registration(like)`` would merge into (same event and
        address), without writing anything; None if there is none."""

    async def confirm_registration(self, registration_id: str) -> Registration | None:
        """Mark it confirmed (idempotent); None if there is no such registration."""

    async def disable_webhook(self, registration_id: str) -> bool:
        """Drop its webhook URL (the endpoint answered 410 Gone); True if it had one."""

    async def remove_registration(self, registration_id: str) -> bool:
        """Delete it; True if it existed. Its delivery records stay (they are history)."""

    async def list_registrations(self, event_id: str | None = None) -> list[Registration]: ...

    async def count_registrations(self, event_id: str) -> int:
        """How many registrations the event has (for metrics), without reading them."""

    async def registrations_for(self, event_id: str, session_id: str) -> list[Registration]:
        """Registrations that follow this session (whole-event ones included)."""

    async def claim_delivery(
        self, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName, now: datetime
    ) -> bool:
        """Atomically create the record with status ``claimed``; False if the key exists."""

    async def record_delivery(
        self,
        key: str,
        status: DeliveryStatus,
        attempts: int,
        now: datetime,
        error: str | None = None,
    ) -> None:
        """Update a claimed record's outcome (``sent_at`` is set when status is ``sent``)."""

    async def release_delivery(self, key: str) -> None:
        """Drop a claim that was never attempted (shutdown hands it back for a later run)."""

    async def get_delivery(self, key: str) -> Delivery | None: ...

    async def list_deliveries(
        self, event_id: str | None = None, session_id: str | None = None
    ) -> list[Delivery]: ...

    async def get_fanout(self, ref: ReminderRef) -> Fanout | None: ...

    async def record_fanout(
        self, ref: ReminderRef, status: FanoutStatus, now: datetime, counts: dict[str, int]
    ) -> None: ...

    async def session_sequence(self, event_id: str, session_id: str, start_utc: datetime) -> int:
        """The iCalendar SEQUENCE for the session: 0 at first, +1 each time its start moves."""

    async def ping(self) -> None:
        """Raise :class:`StoreError` if the backend is unreachable."""

    async def aclose(self) -> None: ...
