"""Events and sessions as the API and the pages show them: times in a zone and at the venue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

from notifier import i18n
from notifier.api.schemas import (
    DeliveryRecord,
    EventDetail,
    EventSummary,
    RegistrationRecord,
    SessionOut,
)
from notifier.events import Event, Session
from notifier.records import Delivery, Language, Registration
from notifier.times import format_range, load_zone


def event_summary(event: Event) -> EventSummary:
    return EventSummary(
        id=event.id,
        name=event.name,
        zone=event.zone,
        venue=event.venue,
        session_count=len(event.sessions),
    )


def session_out(session: Session, tz: tzinfo, language: Language | None = None) -> SessionOut:
    """One session with its times in ``tz`` and in its venue's zone; ``display`` and
    ``venue_display`` in ``language`` (CLDR), or without one in the fixed English form."""
    venue_tz = load_zone(session.zone)
    end_utc = session.end_utc
    if language is None:
        display = format_range(session.start_utc, end_utc, tz)
        venue_display = format_range(session.start_utc, end_utc, venue_tz)
    else:
        display = i18n.format_range(session.start_utc, end_utc, language, tz)
        venue_display = i18n.format_range(session.start_utc, end_utc, language, venue_tz)
    return SessionOut(
        id=session.id,
        title=session.title,
        kind=session.kind,
        start_utc=session.start_utc,
        end_utc=end_utc,
        start_local=session.start_utc.astimezone(tz),
        end_local=end_utc.astimezone(tz) if end_utc is not None else None,
        display=display,
        venue_display=venue_display,
        venue_zone=session.zone,
        join_url=session.join_url,
        room=session.room,
        venue=session.venue,
        mode=session.mode,
        organizer=session.organizer,
        description=session.description,
        cancelled=session.cancelled,
    )


def event_detail(event: Event, tz_name: str, language: Language | None = None) -> EventDetail:
    """The event with every session, in start order, rendered in the zone ``tz_name`` (and
    ``language``: see :func:`session_out`)."""
    tz = load_zone(tz_name)
    sessions = sorted(event.sessions, key=lambda s: (s.start_utc, s.id))
    return EventDetail(
        id=event.id,
        name=event.name,
        zone=event.zone,
        venue=event.venue,
        tz=tz_name,
        sessions=[session_out(s, tz, language) for s in sessions],
    )


def session_titles(
    event: Event, wanted: tuple[str, ...] | None, language: str = "en"
) -> list[str] | None:
    """Titles (in ``language`` where the organizer gave one) of the sessions a registration
    follows; None for the whole event."""
    if wanted is None:
        return None
    titles: Mapping[str, str] = {s.id: s.title_in(language) for s in event.sessions}
    return [titles.get(session_id, session_id) for session_id in wanted]


def followed_sessions(
    event: Event, registration: Registration, language: Language
) -> list[PageSession]:
    """The sessions it follows that still run, in the registration's zone, in start order."""
    chosen = [s for s in event.sessions if registration.follows(s.id) and not s.cancelled]
    return page_sessions(chosen, registration.timezone, language)


def offsets_text(event: Event, registration: Registration, language: Language) -> str:
    """``1 day, 1 hour and 10 minutes``: every reminder offset of the sessions it follows,
    longest first, in ``language`` (CLDR's units and list pattern)."""
    offsets = sorted(
        {r for s in event.sessions if registration.follows(s.id) for r in s.reminders},
        reverse=True,
    )
    return i18n.join_words([i18n.format_span(o, language) for o in offsets] or ["0"], language)


@dataclass(frozen=True)
class PageSession:
    """A session as the pages show it: the title and times in the reader's language."""

    id: str
    title: str
    start_utc: datetime
    display: str  # the full date and times in the reader's zone
    venue_display: str  # the same in the venue's zone
    short: str  # ``12月2日(水) 15:30``: where the full one would crowd a line
    cancelled: bool
    room: str | None
    mode: str | None
    join_url: str | None
    organizer: str | None = None  # "A, B": as the file lists them
    description: str | None = None


def page_session(session: Session, tz: tzinfo, language: Language) -> PageSession:
    venue_tz = load_zone(session.zone)
    start, end = session.start_utc, session.end_utc
    return PageSession(
        id=session.id,
        title=session.title_in(language),
        start_utc=start,
        display=i18n.format_range(start, end, language, tz),
        venue_display=i18n.format_range(start, end, language, venue_tz),
        short=i18n.format_short(start, language, tz),
        cancelled=session.cancelled,
        room=session.room,
        mode=session.mode,
        join_url=session.join_url,
        organizer=session.organizer,
        description=session.description.strip() if session.description else None,
    )


def page_sessions(
    sessions: Iterable[Session], tz_name: str, language: Language
) -> list[PageSession]:
    """``sessions`` in start order, for a page in ``language`` showing times in ``tz_name``."""
    tz = load_zone(tz_name)
    ordered = sorted(sessions, key=lambda s: (s.start_utc, s.id))
    return [page_session(s, tz, language) for s in ordered]


def masked_address(registration: Registration, language: Language = "en") -> str:
    """``j***@example.org`` or ``the webhook at hooks.example.org``: for a page a link opens."""
    if registration.email:
        local, _at, domain = registration.email.partition("@")
        return f"{local[:1]}***@{domain}"
    host = urlsplit(registration.webhook_url or "").hostname or "?"
    _ = i18n.gettext_for(language)
    return _("the webhook at %(host)s") % {"host": host}


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
