"""The double opt-in email: one link confirms a registration made through the API.

Someone asking again for an address that is already confirmed gets no answer saying so (that
would tell anyone who is registered); its owner gets the "already registered" variant
instead, with the link to leave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2

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
) -> EmailMessage:
    """The confirmation request for ``registration`` (which must have an email address), or
    with ``already_confirmed`` the note that it is registered already."""
    if not registration.email:
        raise ValueError("a confirmation goes to an email address")
    values = {
        "event_name": _one_line(event_name),
        "sessions": [_one_line(t) for t in session_titles or ()],
        "timezone": registration.timezone,
        "confirm_url": confirm_url,
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=registration.email)
    kind = "already" if already_confirmed else "confirm"
    subject = "You already get reminders" if already_confirmed else "Confirm your reminders"
    message["Subject"] = f"{subject} for {values['event_name']}"
    message["Date"] = format_datetime(now_utc)
    domain = sender.rsplit("@", 1)[-1].strip("> ")
    # a repeated confirmation is the same message; each "already" note is a new one
    identity = f"confirm:{registration.id}"
    if already_confirmed:
        identity = f"already:{registration.id}:{now_utc.isoformat()}"
    digest = hashlib.sha256(identity.encode()).hexdigest()
    message["Message-ID"] = f"<{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_ENV.get_template(f"{kind}.txt.j2").render(**values))
    message.add_alternative(_ENV.get_template(f"{kind}.html.j2").render(**values), subtype="html")
    return message
