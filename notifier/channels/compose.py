"""A reminder as an email: text and HTML from templates, safe headers, and a calendar file.

Pure: no I/O and no clock reads (the time is ``message.now_utc``), and the same message gives the
same bytes, so the SMTP channel and the file outbox send exactly the same thing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy, utils
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from notifier import i18n
from notifier.channels import headers
from notifier.channels.base import ReminderMessage
from notifier.channels.custom import TemplateRenderError, render_message
from notifier.channels.headers import parse_mailbox
from notifier.errors import PermanentDeliveryError, SettingsError, TimeExpressionError
from notifier.records import Attendance, Language, Registration
from notifier.times import load_zone

# whitespace (\s is str.isspace: CR, LF, U+2028 …), controls, and what ends an href or a <url>
_UNSAFE_IN_LINK = re.compile(r'[\s\x00-\x1f<>"\\]')
# a reminder this much past its planned send time says so instead of pretending to be on time
_LATE_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class Facts:
    """What the templates and the calendar file say: one-line where it must be, and checked."""

    title: str
    event_name: str
    language: Language  # the registration's; the templates render in it
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


@dataclass(frozen=True)
class Variant:
    """What participants of one reminder differ by, beyond their address and links.

    The one definition of a variant: :func:`variant_key` derives the cache key from it, so a
    new input to the templates (a language's catalog, a greeting) is added here, once.
    """

    zone: str  # the participant's IANA zone: "your time"
    language: str  # selects the wording (the i18n catalogs key on it)
    attendance: Attendance  # which way in (join link, room) the message and .ics show


def variant_of(registration: Registration) -> Variant:
    return Variant(registration.timezone, registration.language, registration.attendance)


def variant_key(message: ReminderMessage) -> Hashable:
    """Everything :func:`compose_email` writes except the per-participant fields (recipient,
    unsubscribe and manage links, Message-ID and boundaries, Date, DTSTAMP): equal keys,
    equal skeletons.

    The reminder-wide inputs, the variant, and the two texts counted from ``now_utc`` (to the
    minute, so a fan-out that takes minutes gets a fresh skeleton per minute, as it should).
    """
    return (
        message.event_id,
        message.event_name,
        message.session,
        message.ref,
        message.offset,
        message.sequence,
        message.event,  # the organizer's titles and templates (a reload gives a new one)
        variant_of(message.registration),
        # whether the participant links (manage page) are written at all; the URLs are slots
        safe_link(message.manage_url) is None,
        _describe_status(message, _language_of(message)),
        _describe_lateness(message, _language_of(message)),
    )


@dataclass(frozen=True)
class ComposedEmail:
    """The message and what went into it: the rendered bodies and the calendar file."""

    message: EmailMessage
    text: str
    html: str
    calendar: bytes


def compose_email(message: ReminderMessage, *, sender: str, public_base_url: str) -> EmailMessage:
    """The reminder as text + HTML with ``invite.ics``; :class:`PermanentDeliveryError` if bad."""
    return compose_email_parts(message, sender=sender, public_base_url=public_base_url).message


def compose_email_parts(
    message: ReminderMessage, *, sender: str, public_base_url: str
) -> ComposedEmail:
    """:func:`compose_email` with its parts, which :mod:`notifier.channels.wire` reuses."""
    sender_address, service_host = _check_identity(sender, public_base_url)
    recipient = parse_mailbox(message.registration.email or "", "the registration's email")
    facts = _gather_facts(message, public_base_url)
    digest = hashlib.sha256(message.delivery_key.encode()).hexdigest()
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = headers.mailbox("From", sender_address)
    msg["To"] = recipient
    subject, text, html = _words(message, facts)
    msg["Subject"] = headers.text("Subject", subject)
    msg["Date"] = format_date(message.now_utc)
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
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    ics = _calendar(message, facts, service_host)
    params = {"method": "PUBLISH", "name": "invite.ics"}
    msg.add_attachment(ics, "text", "calendar", filename="invite.ics", params=params)
    # fixed boundaries (every part is QP or base64, so no line can equal one): same bytes each time
    msg.set_boundary(f"=_mixed_{digest[:40]}")
    alternative = msg.get_payload(0)
    if isinstance(alternative, EmailMessage):
        alternative.set_boundary(f"=_alt_{digest[:40]}")
    return ComposedEmail(msg, text, html, ics)


def format_date(now_utc: datetime) -> str:
    """The Date header's value: ``Tue, 23 May 2023 06:10:00 +0000``."""
    return utils.format_datetime(now_utc.astimezone(UTC))


def format_dtstamp(now_utc: datetime) -> bytes:
    """The calendar's ``DTSTAMP`` value, as icalendar writes a UTC time."""
    return now_utc.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode("ascii")


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
    if not url or _UNSAFE_IN_LINK.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def reminder_facts(message: ReminderMessage, public_base_url: str) -> Facts:
    """What the reminder templates (ours and an organizer's) are given, as ``f``."""
    return _gather_facts(message, public_base_url)


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
    language = _language_of(message)
    event_name = message.event.name_in(language) if message.event else message.event_name
    return Facts(
        title=_fold(session.title_in(language)),
        event_name=_fold(event_name),
        language=language,
        noun="deadline" if session.kind == "deadline" else "session",
        status=_describe_status(message, language),
        late_note=_describe_lateness(message, language),
        your_zone=your_tz.key,
        your_time=i18n.format_range(session.start, end, language, your_tz),
        venue_zone=venue_tz.key,
        venue_time=i18n.format_range(session.start, end, language, venue_tz),
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


def _language_of(message: ReminderMessage) -> Language:
    return i18n.supported(message.registration.language) or i18n.SOURCE_LANGUAGE


def _describe_status(message: ReminderMessage, language: Language) -> str:
    """``starts in 1 hour``, counted from ``now_utc``: true when sent, not when planned."""
    _ = i18n.gettext_for(language)
    left = message.session.start_utc - message.now_utc
    when = i18n.format_relative(left, language)
    if message.session.kind == "deadline":
        text = _("due %(when)s") if left > timedelta(0) else _("was due %(when)s")
    else:
        text = _("starts %(when)s") if left > timedelta(0) else _("started %(when)s")
    return text % {"when": when}


def _describe_lateness(message: ReminderMessage, language: Language) -> str | None:
    # in UTC: a day before 10:00 CET on the day the clocks go back is 11:00 CEST; subtracting
    # from the venue's wall time (10:00 CEST) would call an on-time reminder an hour late
    planned_utc = message.session.start_utc - message.offset
    if message.now_utc - planned_utc <= _LATE_GRACE:
        return None
    _ = i18n.gettext_for(language)
    planned = {"span": i18n.format_span(message.offset, language)}
    if message.session.kind == "deadline":
        return (
            _("This reminder is late: it was planned for %(span)s before the deadline.") % planned
        )
    return _("This reminder is late: it was planned for %(span)s before the session.") % planned


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
    _ = i18n.gettext_for(facts.language)
    join = _("Join online: %(url)s")
    notes = [facts.description, join % {"url": facts.join_url} if facts.join_url else None]
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


def _words(message: ReminderMessage, facts: Facts) -> tuple[str, str, str]:
    """Subject, text and HTML: the organizer's template for this language, else ours."""
    event = message.event
    template = event.template("reminder", facts.language) if event else None
    if template is not None:
        lang, direction = i18n.html_lang(facts.language), i18n.text_direction(facts.language)
        try:
            words = render_message(template, {"f": facts}, lang=lang, direction=direction)
        except TemplateRenderError:
            # notifier validate renders it beforehand; here a reminder is never lost to one
            pass
        else:
            return words.subject, words.text, words.html
    _ = i18n.gettext_for(facts.language)
    subject = _("Reminder: %(title)s — %(status)s") % {"title": facts.title, "status": facts.status}
    return subject, _render("reminder.txt.j2", facts), _render("reminder.html.j2", facts)


def _render(name: str, facts: Facts) -> str:
    env = i18n.environment("notifier.channels", facts.language)
    return env.get_template(name).render(f=facts)
