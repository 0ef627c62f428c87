"""Broadcast targets as fan-out recipients: one delivery per target per reminder.

An event's ``broadcasts:`` (its chat rooms) join a reminder's fan-out as pseudo-registrations
on the ``apprise`` channel, so they get what every participant gets for free: the claim
before the send, retries with backoff until the start, the lease and take-over after a
crash, the delivery log and the metrics. Nothing is stored for them: the pseudo-registration
is derived from the event file at each fan-out, and its id (``broadcast:<name>``, a colon no
stored registration id has) names the target in delivery keys and the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notifier.events import Event, Session
from notifier.events.model import Broadcast
from notifier.jobs.plan import broadcasts_of, for_participants
from notifier.records import ChannelName, Registration, ReminderRef

BROADCAST_PREFIX = "broadcast:"
_DERIVED_AT = datetime(1970, 1, 1, tzinfo=UTC)  # not a stored record: no creation time


def broadcast_registration(event: Event, target: Broadcast) -> Registration:
    """The target as a recipient: the venue's zone, both join link and room, and its URL as
    written (``${NAME}`` references: the apprise channel resolves them right before sending).
    """
    return Registration(
        id=f"{BROADCAST_PREFIX}{target.name}",
        event_id=event.id,
        timezone=event.zone,
        created_at=_DERIVED_AT,
        webhook_url=target.url,
        attendance="undecided",
    )


def broadcast_targets(
    event: Event, session: Session, ref: ReminderRef
) -> list[tuple[Registration, ChannelName]]:
    """The broadcast deliveries of one reminder."""
    offset = timedelta(seconds=ref.offset_s)
    return [
        (broadcast_registration(event, b), "apprise") for b in broadcasts_of(event, session, offset)
    ]


def participants_wanted(session: Session, ref: ReminderRef) -> bool:
    """False for an offset only a broadcast target asked for."""
    return for_participants(session, timedelta(seconds=ref.offset_s))
