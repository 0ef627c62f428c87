"""The double opt-in email: one link confirms a registration made through the API.

Someone asking again for an address that is already confirmed gets no answer saying so (that
would tell anyone who is registered); its owner gets the "already registered" variant
instead, with the link to leave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from notifier import i18n
from notifier.channels import headers
from notifier.channels.custom import TemplateRenderError, render_message
from notifier.events import Event
from notifier.events.model import MessageTemplate
from notifier.records import Language, Registration
from notifier.times import load_zone


def _one_line(text: str) -> str:
    # a CR or LF in a header value would start a new header: fold them to spaces
    return " ".join(text.split())


@dataclass(frozen=True)
class SessionTimes:
    """A followed session as the confirmation lists it, its times already in the reader's words."""

    title: str
    your_time: str
    venue_time: str
    venue_zone: str


def session_times(
    event: Event, wanted: Sequence[str] | None, language: str, zone_name: str
) -> list[SessionTimes]:
    """The sessions ``wanted`` (none: the whole event, listed by no title) with their time in
    the reader's zone and at the venue, as the reminders will write them."""
    if not wanted:
        return []
    reader: Language = i18n.supported(language) or i18n.SOURCE_LANGUAGE
    reader_tz = load_zone(zone_name)
    known = {s.id: s for s in event.sessions}
    listed = []
    for session in (known[i] for i in wanted if i in known):
        start, end = session.start_utc, session.end_utc
        venue_tz = load_zone(session.zone)
        listed.append(
            SessionTimes(
                title=_one_line(session.title_in(reader)),
                your_time=i18n.format_range(start, end, reader, reader_tz),
                venue_time=i18n.format_range(start, end, reader, venue_tz),
                venue_zone=session.zone,
            )
        )
    return listed


def confirmation_values(
    timezone: str,
    event_name: str,
    session_titles: Sequence[str] | None,
    confirm_url: str,
    unsubscribe_url: str,
    *,
    manage_url: str | None = None,
    calendar_url: str | None = None,
    times: Sequence[SessionTimes] = (),
) -> dict[str, object]:
    """What the confirmation templates (ours and an organizer's) are given."""
    return {
        "event_name": _one_line(event_name),
        "sessions": [_one_line(t) for t in session_titles or ()],
        "session_times": list(times),
        "timezone": timezone,
        "confirm_url": confirm_url,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
        "calendar_url": calendar_url,
    }


def compose_confirmation(
    *,
    registration: Registration,
    event_name: str,
    session_titles: Sequence[str] | None,
    confirm_url: str,
    unsubscribe_url: str,
    sender: str,
    now_utc: datetime,
    already_confirmed: bool = False,
    template: MessageTemplate | None = None,
    manage_url: str | None = None,
    calendar_url: str | None = None,
    times: Sequence[SessionTimes] = (),
) -> EmailMessage:
    """The confirmation request for ``registration`` (which must have an email address), or
    with ``already_confirmed`` the note that it is registered already. ``template`` is the
    organizer's confirmation request for the registration's language, if they wrote one;
    ``manage_url`` (the participant's own page) and ``calendar_url`` (their ``webcal://``
    feed) go in when given; ``times`` lists the chosen sessions with both times."""
    if not registration.email:
        raise ValueError("a confirmation goes to an email address")
    name = _one_line(event_name)
    values = confirmation_values(
        registration.timezone,
        name,
        session_titles,
        confirm_url,
        unsubscribe_url,
        manage_url=manage_url,
        calendar_url=calendar_url,
        times=times,
    )
    sender_address = headers.parse_mailbox(sender, "the sender (NOTIFIER_SMTP_SENDER)")
    # as the reminders are: SMTP line endings in the outbox too, and headers that fold themselves
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = headers.mailbox("From", sender_address)
    message["To"] = Address(addr_spec=registration.email)
    kind = "already" if already_confirmed else "confirm"
    language = i18n.supported(registration.language) or i18n.SOURCE_LANGUAGE
    _ = i18n.gettext_for(language)
    subject = (
        _("You already get reminders for %(event)s")
        if already_confirmed
        else _("Confirm your reminders for %(event)s")
    )
    message["Subject"] = headers.text("Subject", subject % {"event": name})
    message["Date"] = format_datetime(now_utc)
    # a repeated confirmation is the same message; each "already" note is a new one
    identity = f"confirm:{registration.id}"
    if already_confirmed:
        identity = f"already:{registration.id}:{now_utc.isoformat()}"
    digest = hashlib.sha256(identity.encode()).hexdigest()
    message["Message-ID"] = f"<{digest}@{sender_address.domain}>"
    headers.set_list_headers(
        message,
        event_id=registration.event_id,
        event_name=name,
        domain=sender_address.domain,
        unsubscribe_url=unsubscribe_url,
    )
    # quoted-printable keeps a non-ASCII event name 7-bit, with or without 8BITMIME
    env = i18n.environment("notifier.channels", language)
    text = env.get_template(f"{kind}.txt.j2").render(**values)
    html = env.get_template(f"{kind}.html.j2").render(**values)
    if template is not None and not already_confirmed:
        lang, direction = i18n.html_lang(language), i18n.text_direction(language)
        try:
            words = render_message(template, values, lang=lang, direction=direction)
        except TemplateRenderError:
            pass  # notifier validate renders it beforehand; the request still goes out
        else:
            del message["Subject"]
            message["Subject"] = headers.text("Subject", words.subject)
            text, html = words.text, words.html
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
