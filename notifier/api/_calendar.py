"""Calendar files and links: one session's ``.ics``, a registration's feed, web calendar links.

Pure: the caller gives ``now_utc`` and each session's SEQUENCE (the store counts moves). Every
time is written in UTC (``DTSTART:20230523T071000Z``): one instant for every reader, with no
VTIMEZONE to get wrong. A session's UID is the one its reminders' ``invite.ics`` carries
(``{event}.{session}@{host}``), so the download, the feed and the attachment update one entry.

The feed follows the registration: followed sessions are CONFIRMED; a session the organizer
cancelled, or one the participant left on the manage page (``Registration.left_sessions``), is
``STATUS:CANCELLED`` with its SEQUENCE one higher, so a subscribed calendar strikes it out
instead of keeping a stale entry. Sessions never followed are not in the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import icalendar

from notifier import i18n
from notifier.events import Event, Session
from notifier.records import Language, Registration

# how often subscribed calendars should fetch the feed again (RFC 7986 REFRESH-INTERVAL)
REFRESH = timedelta(hours=1)
GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/deeplink/compose"


def session_uid(event: Event, session: Session, host: str) -> str:
    """The same UID as the reminders' ``invite.ics``: one calendar entry per session."""
    return f"{event.id}.{session.id}@{host}"


def _end_utc(session: Session) -> datetime | None:
    return None if session.kind == "deadline" else session.end_utc


def _details(session: Session, language: Language) -> str:
    """The entry's notes in the reader's language: description, organizers, join link."""
    _ = i18n.gettext_for(language)
    notes = [
        session.description.strip() if session.description else None,
        _("Organized by %(names)s") % {"names": session.organizer} if session.organizer else None,
        _("Join online: %(url)s") % {"url": session.join_url} if session.join_url else None,
    ]
    return "\n\n".join(n for n in notes if n)


def _place(session: Session) -> str:
    return ", ".join(p.strip() for p in (session.room, session.venue) if p and p.strip())


def _vevent(
    event: Event,
    session: Session,
    host: str,
    sequence: int,
    now_utc: datetime,
    *,
    language: Language,
    cancelled: bool = False,
) -> icalendar.Event:
    entry = icalendar.Event()
    entry.add("uid", session_uid(event, session, host))
    entry.add("sequence", sequence)
    entry.add("dtstamp", now_utc.astimezone(UTC))
    entry.add("dtstart", session.start_utc)
    end = _end_utc(session)
    if end is not None:
        entry.add("dtend", end)
    entry.add("summary", " ".join(session.title_in(language).split()))
    details = _details(session, language)
    if details:
        entry.add("description", details)
    if _place(session):
        entry.add("location", _place(session))
    if session.join_url:
        entry.add("url", session.join_url)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return entry


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//notifier//calendars//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)  # RFC 7986
    calendar.add("x-wr-calname", name)  # what Apple and Google read
    return calendar


def session_ics(
    event: Event,
    session: Session,
    host: str,
    sequence: int,
    now_utc: datetime,
    language: Language = i18n.SOURCE_LANGUAGE,
) -> bytes:
    """One session as a ``.ics`` download (the event page's "add to calendar")."""
    calendar = _calendar(f"{event.name_in(language)}: {session.title_in(language)}")
    entry = _vevent(
        event, session, host, sequence, now_utc, language=language, cancelled=session.cancelled
    )
    calendar.add_component(entry)
    return bytes(calendar.to_ical())  # bytes(): icalendar types it Any


def feed_ics(
    event: Event,
    registration: Registration,
    sequences: Mapping[str, int],
    host: str,
    now_utc: datetime,
) -> bytes:
    """A registration's subscription feed: its sessions and the ones it left, with status,
    in the registration's language (titles the organizer translated, our notes)."""
    language = i18n.supported(registration.language) or i18n.SOURCE_LANGUAGE
    calendar = _calendar(event.name_in(language))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the same hour, as Outlook and Apple read it
    for session in sorted(event.sessions, key=lambda s: (s.start_utc, s.id)):
        following = registration.follows(session.id)
        if not following and session.id not in registration.left_sessions:
            continue  # never theirs: not in their calendar at all
        gone = session.cancelled or not following
        sequence = sequences.get(session.id, 0) + (1 if gone else 0)
        entry = _vevent(event, session, host, sequence, now_utc, language=language, cancelled=gone)
        calendar.add_component(entry)
    return bytes(calendar.to_ical())


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_link(session: Session, language: Language = i18n.SOURCE_LANGUAGE) -> str:
    """Google Calendar's "add event" link: ``dates=20230523T071000Z/20230523T080000Z``."""
    end = _end_utc(session) or session.start_utc
    query = {
        "action": "TEMPLATE",
        "text": session.title_in(language),
        "dates": f"{_stamp(session.start_utc)}/{_stamp(end)}",
        "details": _details(session, language),
        "location": _place(session) or session.join_url or "",
        "ctz": "UTC",
    }
    return f"{GOOGLE_TEMPLATE}?{urlencode(query)}"


def outlook_link(session: Session, language: Language = i18n.SOURCE_LANGUAGE) -> str:
    """Outlook on the web's compose link: ``startdt=2023-05-23T07:10:00Z``."""
    end = _end_utc(session) or session.start_utc
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": session.title_in(language),
        "startdt": session.start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": _details(session, language),
        "location": _place(session) or session.join_url or "",
    }
    return f"{OUTLOOK_COMPOSE}?{urlencode(query)}"
