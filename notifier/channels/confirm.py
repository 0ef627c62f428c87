"""The double opt-in email: one link confirms a registration made through the API.

Someone asking again for an address that is already confirmed gets no answer saying so (that
would tell anyone who is registered); its owner gets the "already registered" variant
instead, with the link to leave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2

from notifier.channels import headers
from notifier.records import Registration

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("notifier.channels", "templates"),
    autoescape=jinja2.select_autoescape(["html", "html.j2"]),
    undefined=jinja2.StrictUndefined,
)


def _one_line(text: str) -> str:
    # a CR or LF in a header value would start a new header: fold them to spaces
    return " ".join(text.split())


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
    manage_url: str | None = None,
    calendar_url: str | None = None,
) -> EmailMessage:
    """The confirmation request for ``registration`` (which must have an email address), or
    with ``already_confirmed`` the note that it is registered already. ``manage_url`` (the
    participant's own page) and ``calendar_url`` (their ``webcal://`` feed) go in when given."""
    if not registration.email:
        raise ValueError("a confirmation goes to an email address")
    name = _one_line(event_name)
    values = {
        "event_name": name,
        "sessions": [_one_line(t) for t in session_titles or ()],
        "timezone": registration.timezone,
        "confirm_url": confirm_url,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
        "calendar_url": calendar_url,
    }
    sender_address = headers.parse_mailbox(sender, "the sender (NOTIFIER_SMTP_SENDER)")
    # as the reminders are: SMTP line endings in the outbox too, and headers that fold themselves
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = headers.mailbox("From", sender_address)
    message["To"] = Address(addr_spec=registration.email)
    kind = "already" if already_confirmed else "confirm"
    subject = "You already get reminders" if already_confirmed else "Confirm your reminders"
    message["Subject"] = headers.text("Subject", f"{subject} for {name}")
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
    text = _ENV.get_template(f"{kind}.txt.j2").render(**values)
    html = _ENV.get_template(f"{kind}.html.j2").render(**values)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
