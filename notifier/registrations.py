"""Turn what a participant (or an organizer's CSV) gives into a valid registration.

Each refusal is a :class:`RegistrationError` naming the field and what to do; nothing is
stored half-valid. Used by ``notifier register`` (one at a time or a CSV import) and by the
HTTP API's public registration.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from notifier.channels.ssrf import BLOCKED_URL, check_url
from notifier.errors import N_, BlockedDestinationError, RegistrationError, TimeExpressionError
from notifier.events import Event
from notifier.records import ATTENDANCE, LANGUAGES, Registration
from notifier.times import load_zone


@dataclass(frozen=True)
class RegistrationInput:
    """A registration as given, before checks."""

    email: str | None = None
    webhook_url: str | None = None
    timezone: str = "UTC"
    sessions: tuple[str, ...] | None = None
    attendance: str = "undecided"
    language: str | None = None  # None: the event's default language, else English


def build_registration(event: Event, given: RegistrationInput, now: datetime) -> Registration:
    """A checked registration with a new id; the store merges it with an existing one."""
    email = _email(given.email) if given.email else None
    webhook = _webhook(given.webhook_url) if given.webhook_url else None
    if email is None and webhook is None:
        raise RegistrationError.about("email", N_("give an email address or a webhook URL"))
    zone = checked_zone(given.timezone)
    if given.attendance not in ATTENDANCE:
        raise RegistrationError.about(
            "attendance", N_("use one of %(choices)s"), choices=", ".join(ATTENDANCE)
        )
    language = given.language or event.language or "en"
    if language not in LANGUAGES:
        raise RegistrationError.about(
            "language",
            N_('"%(language)s" is not a language we write in; use one of %(choices)s'),
            language=language[:16],
            choices=", ".join(LANGUAGES),
        )
    return Registration(
        id=uuid.uuid4().hex,
        event_id=event.id,
        timezone=zone,
        created_at=now,
        email=email,
        webhook_url=webhook,
        sessions=_sessions(event, given.sessions),
        attendance=given.attendance,
        language=language,
    )


def checked_zone(name: str, field: str = "timezone") -> str:
    """The IANA key of the zone ``name``; a :class:`RegistrationError` on ``field`` if none.

    The English message is the time module's (with its "did you mean"); a page in another
    language says the short, translated form.
    """
    try:
        return load_zone(name).key
    except TimeExpressionError as exc:
        msgid = N_('"%(zone)s" is not a time zone name; choose one from the list')
        params = {"zone": name[:64]}
        raise RegistrationError(field, exc.message, msgid=msgid, params=params) from exc


# RFC 2047 encoded words belong in headers, not addresses; mail libraries decode them into
# non-ASCII local parts that no longer match what was checked
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bq]\?[^?]*\?=", re.IGNORECASE)


def _email(text: str) -> str:
    """The address in ASCII form (an IDN domain as xn--), or a refusal saying what to type.

    SMTPUTF8 is not supported end to end (the SMTP client, headers and outbox are ASCII), so a
    local part must be ASCII; full-width letters get the ASCII spelling as a hint.
    """
    address = text.strip()
    local = address.rpartition("@")[0]
    if not local.isascii():
        ascii_form = unicodedata.normalize("NFKC", address)
        hint = f"; did you mean {ascii_form}?" if ascii_form.isascii() else ""
        message = (
            "the part before @ must be plain ASCII letters, digits and .!#$%&'*+/=?^_`{|}~-: "
            f"internationalised addresses (SMTPUTF8) are not supported{hint}"
        )
        msgid = N_(
            "the part before @ must be plain ASCII (letters, digits, dots): addresses in "
            "other scripts are not supported"
        )
        raise RegistrationError("email", message, msgid=msgid)
    if _ENCODED_WORD.search(local):
        raise RegistrationError.about("email", N_("=?…?= is a header encoding, not an address"))
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        # email_validator says why in English; a page in another language says it shortly
        msgid = N_("not a valid email address; check it for typos")
        raise RegistrationError("email", f"not a valid address: {exc}", msgid=msgid) from None
    return checked.ascii_email or checked.normalized  # always set without SMTPUTF8


def _webhook(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistrationError.about(
            "webhook_url", N_("use an http:// or https:// URL with a host")
        )
    try:
        check_url(parts.geturl())  # odd IPv4 spellings, userinfo; addresses are checked later
    except BlockedDestinationError as exc:
        raise RegistrationError("webhook_url", str(exc), msgid=BLOCKED_URL) from exc
    return parts.geturl()


def check_sessions(event: Event, wanted: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The session ids, checked (known, not cancelled) and deduplicated; empty: whole event."""
    return _sessions(event, wanted)


def _sessions(event: Event, wanted: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if not wanted:
        return None  # the whole event
    known = {s.id: s for s in event.sessions}
    for session_id in wanted:
        if session_id not in known:
            close = difflib.get_close_matches(session_id, list(known), n=1)
            if close:
                msgid = N_('no session "%(session)s" in %(event)s; did you mean "%(close)s"?')
                params = {"session": session_id, "event": event.id, "close": close[0]}
                raise RegistrationError.about("sessions", msgid, **params)
            msgid = N_('no session "%(session)s" in %(event)s')
            raise RegistrationError.about("sessions", msgid, session=session_id, event=event.id)
        if known[session_id].cancelled:
            msgid = N_('session "%(session)s" is cancelled')
            raise RegistrationError.about("sessions", msgid, session=session_id)
    return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class CsvRow:
    """One row of an import: its number (header is row 1) and the input or the problem."""

    row: int
    given: RegistrationInput | None
    problem: str | None = None


def read_csv(text: str) -> Iterable[CsvRow]:
    """Rows of ``email,timezone,sessions[,webhook_url]``; sessions space- or ``;``-separated
    (empty: the whole event). Row numbers are file line numbers, blank lines included."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = set(reader.fieldnames or [])
    missing = [c for c in ("email", "timezone") if c not in columns]
    if "webhook_url" in columns and missing == ["email"]:
        missing = []  # a webhook-only import
    if missing:
        problem = f"the header needs columns email,timezone,sessions; missing {missing}"
        yield CsvRow(1, None, problem)
        return
    for row in reader:
        sessions = tuple((row.get("sessions") or "").replace(";", " ").split())
        yield CsvRow(
            reader.line_num,
            RegistrationInput(
                email=(row.get("email") or "").strip() or None,
                webhook_url=(row.get("webhook_url") or "").strip() or None,
                timezone=(row.get("timezone") or "").strip() or "UTC",
                sessions=sessions or None,
                attendance=(row.get("attendance") or "undecided").strip() or "undecided",
                language=(row.get("language") or "").strip() or None,
            ),
        )
