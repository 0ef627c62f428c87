"""The records every layer shares: registrations, reminders, deliveries, fan-outs.

A leaf: it imports nothing of ours, so the store, the channels, the jobs and the API all speak
in these types without importing each other. The names of channels, attendance choices and
statuses are defined here once (a ``Literal``) and their tuples are derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Literal, get_args

Attendance = Literal["onsite", "online", "undecided"]
# what a participant can register (the API and imports accept nothing else), and every
# channel: "apprise" reaches only the organizer's broadcast targets from the event file
ParticipantChannelName = Literal["email", "webhook"]
ChannelName = Literal[ParticipantChannelName, "apprise"]
DeliveryStatus = Literal["claimed", "sent", "failed", "expired", "skipped", "unknown"]
FanoutStatus = Literal["started", "done", "skipped"]
# the languages pages and messages are written in (notifier/locale has a catalog for each but
# English, the source): zh is Simplified Chinese
Language = Literal["en", "fr", "es", "ru", "zh", "ar", "ja"]
# what one write of a batch came to: written, no such claim, or refused by the fencing token
WriteResult = Literal["written", "missing", "taken_over"]

# the one list of each: config validation, CLI choices and page forms derive from these
ATTENDANCE: tuple[Attendance, ...] = get_args(Attendance)
PARTICIPANT_CHANNELS: tuple[ParticipantChannelName, ...] = get_args(ParticipantChannelName)
CHANNEL_NAMES: tuple[ChannelName, ...] = get_args(ChannelName)
LANGUAGES: tuple[Language, ...] = get_args(Language)


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
    # the event's reminder offsets (seconds before) this participant wants; None: all of them
    reminder_offsets_s: tuple[int, ...] | None = None
    # sessions left on the manage page: the calendar feed sends them as cancelled
    left_sessions: tuple[str, ...] = ()

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

    def __post_init__(self) -> None:
        # in UTC whatever zone it is given in: ``start_utc - offset`` is then exact, where a
        # venue-zone datetime would subtract wall-clock time and be an hour off across a clock
        # change (naive values are left for the stores to refuse)
        if self.start_utc.utcoffset() is not None:
            object.__setattr__(self, "start_utc", self.start_utc.astimezone(UTC))

    @cached_property  # a fan-out names every delivery with it: worked out once per ref
    def key(self) -> str:
        """``event/session/20230523T071000Z/3600``: stable, and new when the session moves
        (to the second: a session moved by seconds is a new instant too)."""
        start = self.start_utc.astimezone(UTC)  # one instant, one key, whatever zone it came in
        return f"{self.event_id}/{self.session_id}/{start:%Y%m%dT%H%M%SZ}/{self.offset_s}"


def wants_reminder(registration: Registration, ref: ReminderRef) -> bool:
    """Whether ``registration`` gets the reminder ``ref``: it follows the session and did not
    opt out of that offset on its manage page. Pure; the fan-out calls it for each target."""
    if not registration.follows(ref.session_id):
        return False
    wanted = registration.reminder_offsets_s
    return wanted is None or ref.offset_s in wanted


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
    # the claim's lease: who holds it, until when (None: no expiry), and its fencing token,
    # +1 each time a claim whose lease ran out is taken over
    owner: str | None = None
    lease_until: datetime | None = None
    token: int = 1


@dataclass(frozen=True)
class DeliveryWrite:
    """One outcome of a batch (``record_deliveries``): what ``record_delivery`` takes."""

    key: str
    status: DeliveryStatus
    attempts: int
    error: str | None = None
    token: int | None = None  # the claim's fencing token; None: no check
    lease_s: float | None = None  # with status ``claimed``: renew the lease from now


@dataclass(frozen=True)
class Chunk:
    """A slice of one reminder's audience: registrations with ids in ``(after_id, upto_id]``.

    Bounds, not a list of ids, so a chunk is small on a queue and a registration added after
    it was cut is still inside exactly one chunk (or after the last, where the catch-up finds
    it). ``round`` numbers each publication of the reminder (a re-run is a new round).
    """

    ref: ReminderRef
    after_id: str
    upto_id: str
    round: int = 1


@dataclass(frozen=True)
class Fanout:
    """The record that a reminder's fan-out ran (or was skipped), with its counts."""

    ref: ReminderRef
    status: FanoutStatus
    updated_at: datetime
    counts: dict[str, int] = field(default_factory=dict)
