"""Events and sessions as the API and the pages show them: times in a zone and at the venue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, tzinfo
from urllib.parse import urlsplit

from notifier.api.schemas import (
    DeliveryRecord,
    EventDetail,
    EventSummary,
    RegistrationRecord,
    SessionOut,
)
from notifier.events import Event, Session
from notifier.records import Attendance, Delivery, Registration
from notifier.times import format_range, load_zone


def event_summary(event: Event) -> EventSummary:
    return EventSummary(
        id=event.id,
        name=event.name,
        zone=event.zone,
        venue=event.venue,
        session_count=len(event.sessions),
    )


def session_out(session: Session, tz: tzinfo) -> SessionOut:
    """One session with its times in ``tz`` and in its venue's zone."""
    venue_tz = load_zone(session.zone)
    end_utc = session.end_utc
    return SessionOut(
        id=session.id,
        title=session.title,
        kind=session.kind,
        start_utc=session.start_utc,
        end_utc=end_utc,
        start_local=session.start_utc.astimezone(tz),
        end_local=end_utc.astimezone(tz) if end_utc is not None else None,
        display=format_range(session.start_utc, end_utc, tz),
        venue_display=format_range(session.start_utc, end_utc, venue_tz),
        venue_zone=session.zone,
        join_url=session.join_url,
        room=session.room,
        venue=session.venue,
        mode=session.mode,
        organizer=session.organizer,
        description=session.description,
        cancelled=session.cancelled,
    )


def event_detail(event: Event, tz_name: str) -> EventDetail:
    """The event with every session, in start order, rendered in the zone ``tz_name``."""
    tz = load_zone(tz_name)
    sessions = sorted(event.sessions, key=lambda s: (s.start_utc, s.id))
    return EventDetail(
        id=event.id,
        name=event.name,
        zone=event.zone,
        venue=event.venue,
        tz=tz_name,
        sessions=[session_out(s, tz) for s in sessions],
    )


def session_titles(event: Event, wanted: tuple[str, ...] | None) -> list[str] | None:
    """Titles of the sessions a registration follows; None for the whole event."""
    if wanted is None:
        return None
    titles: Mapping[str, str] = {s.id: s.title for s in event.sessions}
    return [titles.get(session_id, session_id) for session_id in wanted]


def followed_sessions(event: Event, registration: Registration) -> list[SessionOut]:
    """The sessions it follows that still run, in the registration's zone, in start order."""
    tz = load_zone(registration.timezone)
    chosen = [s for s in event.sessions if registration.follows(s.id) and not s.cancelled]
    return [session_out(s, tz) for s in sorted(chosen, key=lambda s: (s.start_utc, s.id))]


# what reminders show for each way of attending (channels/compose.py: the join link or the
# room, the other only where theirs is missing): the pages promise no more than that
WAYS_IN: dict[Attendance, str] = {
    "online": "the join link",
    "onsite": "the room",
    "undecided": "the join link and the room",
}


def offsets_text(event: Event, registration: Registration) -> str:
    """``1d, 1h and 10m``: every reminder offset of the sessions it follows, longest first."""
    offsets = sorted(
        {r for s in event.sessions if registration.follows(s.id) for r in s.reminders},
        reverse=True,
    )
    names = [spoken(o) for o in offsets] or ["shortly"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def spoken(offset: timedelta) -> str:
    """``1 day``, ``1 hour 30 minutes``; seconds only when there is nothing bigger."""
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = (("day", days), ("hour", hours), ("minute", minutes), ("second", seconds))
    parts = [f"{n} {name}{'' if n == 1 else 's'}" for name, n in units if n]
    return " ".join(parts[:2]) if parts else "0 minutes"


def masked_address(registration: Registration) -> str:
    """``j***@example.org`` or ``the webhook at hooks.example.org``: for a page a link opens."""
    if registration.email:
        local, _, domain = registration.email.partition("@")
        return f"{local[:1]}***@{domain}"
    host = urlsplit(registration.webhook_url or "").hostname or "?"
    return f"the webhook at {host}"


def registration_record(registration: Registration) -> RegistrationRecord:
    sessions = registration.sessions
    return RegistrationRecord(
        id=registration.id,
        event_id=registration.event_id,
        timezone=registration.timezone,
        created_at=registration.created_at,
        email=registration.email,
        webhook_url=registration.webhook_url,
        sessions=list(sessions) if sessions is not None else None,
        attendance=registration.attendance,
        language=registration.language,
        confirmed=registration.confirmed,
        reminder_offsets_s=(
            None
            if registration.reminder_offsets_s is None
            else list(registration.reminder_offsets_s)
        ),
    )


def delivery_record(delivery: Delivery) -> DeliveryRecord:
    return DeliveryRecord(
        key=delivery.key,
        session_id=delivery.ref.session_id,
        start_utc=delivery.ref.start_utc,
        offset_s=delivery.ref.offset_s,
        registration_id=delivery.registration_id,
        channel=delivery.channel,
        status=delivery.status,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        last_error=delivery.last_error,
        sent_at=delivery.sent_at,
    )
