"""A reminder as an email: text and HTML from templates, safe headers, and a calendar file.

Pure: no I/O and no clock reads (the time is ``message.now_utc``), and the same message gives the
same bytes, so the SMTP channel and the file outbox send exactly the same thing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy, utils
from email.headerregistry import Address
from email.message import EmailMessage
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import jinja2

from notifier.channels import headers
from notifier.channels.base import ReminderMessage
from notifier.channels.headers import parse_mailbox
from notifier.errors import PermanentDeliveryError, SettingsError, TimeExpressionError
from notifier.records import Attendance
from notifier.times import format_range, load_zone

# a reminder this much past its planned send time says so instead of pretending to be on time
_LATE_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class Facts:
    """What the templates and the calendar file say: one-line where it must be, and checked."""

    title: str
    event_name: str
    noun: str  # "session" or "deadline"
    status: str  # "starts in 1 hour", "due in 1 day", "started 5 minutes ago"
    late_note: str | None
    your_zone: str
    your_time: str
    venue_zone: str
    venue_time: str
    join_url: str | None
    place: str | None
    show_join: bool
    show_place: bool
    description: str | None
    unsubscribe_url: str
    public_base_url: str
    manage_url: str | None = None


def compose_email(message: ReminderMessage, *, sender: str, public_base_url: str) -> EmailMessage:
    """The reminder as text + HTML with ``invite.ics``; :class:`PermanentDeliveryError` if bad."""
    sender_address, service_host = _check_identity(sender, public_base_url)
    recipient = parse_mailbox(message.registration.email or "", "the registration's email")
    facts = _gather_facts(message, public_base_url)
    digest = hashlib.sha256(message.delivery_key.encode()).hexdigest()
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = headers.mailbox("From", sender_address)
    msg["To"] = recipient
    msg["Subject"] = headers.text("Subject", f"Reminder: {facts.title} — {facts.status}")
    msg["Date"] = utils.format_datetime(message.now_utc.astimezone(UTC))
    # stable: a job that runs twice sends the same Message-ID, which receivers can deduplicate
    msg["Message-ID"] = f"<{digest}@{sender_address.domain}>"
    headers.set_list_headers(
        msg,
        event_id=message.event_id,
        event_name=facts.event_name,
        domain=sender_address.domain,
        unsubscribe_url=facts.unsubscribe_url,
    )
    # quoted-printable keeps the message 7-bit, so it is the same with or without 8BITMIME
    msg.set_content(_render("reminder.txt.j2", facts), cte="quoted-printable")
    msg.add_alternative(_render("reminder.html.j2", facts), subtype="html", cte="quoted-printable")
    ics = _calendar(message, facts, service_host)
    params = {"method": "PUBLISH", "name": "invite.ics"}
    msg.add_attachment(ics, "text", "calendar", filename="invite.ics", params=params)
    # fixed boundaries (every part is QP or base64, so no line can equal one): same bytes each time
    msg.set_boundary(f"=_mixed_{digest[:40]}")
    alternative = msg.get_payload(0)
    if isinstance(alternative, EmailMessage):
        alternative.set_boundary(f"=_alt_{digest[:40]}")
    return msg


def check_identity(sender: str, public_base_url: str) -> None:
    """Fail at start-up, not on every send, when the sender or the public URL is unusable."""
    try:
        _check_identity(sender, public_base_url)
    except PermanentDeliveryError as exc:
        raise SettingsError(str(exc)) from exc


def _check_identity(sender: str, public_base_url: str) -> tuple[Address, str]:
    address = parse_mailbox(sender, "the sender (NOTIFIER_SMTP_SENDER)")
    headers.mailbox("From", address)  # refuses what cannot be written unencoded, at start
    link = safe_link(public_base_url)
    if link is None:
        raise PermanentDeliveryError(
            f"public base URL {public_base_url!r} is not an absolute http(s) URL; "
            "set NOTIFIER_PUBLIC_BASE_URL like https://reminders.example.org"
        )
    return address, urlsplit(link).hostname or ""


def _fold(text: str) -> str:
    """Every run of whitespace (CR, LF, U+2028 …) as one space: no text can start a header."""
    return " ".join(text.split())


def safe_link(url: str | None) -> str | None:
    """``url`` if it is a plain absolute http(s) URL, safe in a header and in an href."""
    if not url or any(ch.isspace() or ch in '<>"\\' or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _gather_facts(message: ReminderMessage, public_base_url: str) -> Facts:
    """Everything the message says, from the session, the registration and ``now_utc``."""
    session = message.session
    your_tz = zone_for_message(message.registration.timezone, "the registration's time zone")
    venue_tz = zone_for_message(session.zone, f"session {session.id}'s zone")
    end = None if session.kind == "deadline" else session.end
    unsubscribe_url = safe_link(message.unsubscribe_url)
    if unsubscribe_url is None:
        raise PermanentDeliveryError("the unsubscribe link is not an absolute http(s) URL")
    join_url = safe_link(session.join_url)
    place = ", ".join(_fold(p) for p in (session.room, session.venue) if p and p.strip())
    attendance = message.registration.attendance
    return Facts(
        title=_fold(session.title),
        event_name=_fold(message.event_name),
        noun="deadline" if session.kind == "deadline" else "session",
        status=_describe_status(message),
        late_note=_describe_lateness(message),
        your_zone=your_tz.key,
        your_time=format_range(session.start, end, your_tz),
        venue_zone=venue_tz.key,
        venue_time=format_range(session.start, end, venue_tz),
        join_url=join_url,
        place=place or None,
        # what they need for how they attend, and the other way in when theirs is missing
        show_join=bool(join_url) and (attendance != "onsite" or not place),
        show_place=bool(place) and (attendance != "online" or not join_url),
        description=session.description.strip() if session.description else None,
        unsubscribe_url=unsubscribe_url,
        public_base_url=public_base_url,
        manage_url=safe_link(message.manage_url),
    )


def _describe_status(message: ReminderMessage) -> str:
    """``starts in 1 hour``, counted from ``now_utc``: true when sent, not when planned."""
    due = message.session.kind == "deadline"
    left = message.session.start_utc - message.now_utc
    if left > timedelta(0):
        return f"{'due' if due else 'starts'} in {_describe_span(left)}"
    return f"{'was due' if due else 'started'} {_describe_span(-left)} ago"


def _describe_lateness(message: ReminderMessage) -> str | None:
    # in UTC: a day before 10:00 CET on the day the clocks go back is 11:00 CEST; subtracting
    # from the venue's wall time (10:00 CEST) would call an on-time reminder an hour late
    planned_utc = message.session.start_utc - message.offset
    if message.now_utc - planned_utc <= _LATE_GRACE:
        return None
    noun = "deadline" if message.session.kind == "deadline" else "session"
    planned = _describe_span(message.offset)
    return f"This reminder is late: it was planned for {planned} before the {noun}."


def _describe_span(delta: timedelta) -> str:
    """``1 hour``, ``1 day 2 hours``, ``9 minutes``: the two largest units, to the minute."""
    minutes = round(delta.total_seconds() / 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n > 1 else ''}" for n, unit in units if n)


def zone_for_message(key: str, what: str) -> ZoneInfo:
    try:
        return load_zone(key)
    except TimeExpressionError as exc:
        raise PermanentDeliveryError(f"{what}: {exc.message}") from exc


def _calendar(message: ReminderMessage, facts: Facts, service_host: str) -> bytes:
    """``invite.ics``: the session in the venue's zone (with its VTIMEZONE), or in UTC."""
    session = message.session
    venue_tz = zone_for_message(session.zone, f"session {session.id}'s zone")
    event = icalendar.Event()
    # one UID per session and SEQUENCE bumped on moves: calendars update the entry in place
    event.add("uid", f"{message.event_id}.{session.id}@{service_host}")
    event.add("sequence", message.sequence)
    event.add("dtstamp", message.now_utc.astimezone(UTC))
    event.add("dtstart", _calendar_time(session.start, venue_tz))
    if session.kind != "deadline" and session.end is not None:
        event.add("dtend", _calendar_time(session.end, venue_tz))
    event.add("summary", facts.title)
    notes = [facts.description, f"Join online: {facts.join_url}" if facts.join_url else None]
    event.add("description", "\n\n".join(n for n in notes if n) or facts.event_name)
    location = _calendar_location(facts, message.registration.attendance)
    if location:
        event.add("location", location)
    if facts.join_url:
        event.add("url", facts.join_url)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//notifier//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    # a year either side: enough for clients that read the VTIMEZONE instead of the TZID
    year = timedelta(days=366)
    last = session.end_utc or session.start_utc
    calendar.add_missing_timezones(
        first_date=(session.start_utc - year).date(), last_date=(last + year).date()
    )
    return bytes(calendar.to_ical())  # bytes(): icalendar types it Any


def _calendar_location(facts: Facts, attendance: Attendance) -> str | None:
    """Where this participant goes: online, the join link; else the room. The other one only
    when theirs is missing, as in the email: a calendar must not send online people to a room.
    """
    ways = (
        (facts.join_url, facts.place) if attendance == "online" else (facts.place, facts.join_url)
    )
    return next((way for way in ways if way), None)


def _calendar_time(moment: datetime, venue_tz: ZoneInfo) -> datetime:
    """The venue's wall time (written with its TZID), or UTC where that wall time happens twice.

    RFC 5545 3.3.5 reads a repeated local time as its first occurrence, so 01:30 EST on New
    York's fall-back night would be read as 01:30 EDT, an hour early; and readers differ on
    the rule, so both occurrences go out in UTC, one instant for every reader.
    """
    local = moment.astimezone(venue_tz)
    twin = local.replace(fold=1 - local.fold)
    return local if twin.utcoffset() == local.utcoffset() else moment.astimezone(UTC)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("notifier.channels", "templates"),
        # HTML escaped, text not; a template with any other name is escaped, to be safe
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, facts: Facts) -> str:
    return _environment().get_template(name).render(f=facts)
