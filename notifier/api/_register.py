"""Registering through the API or the page: one answer for everyone, mail only to the owner.

Shared by the JSON endpoint and the form, so both refuse, store and mail alike. The rules
(docs/security.md):

- A public request never changes a stored registration and never reveals one: whether the
  address is new, pending or active, the answer is the same ``accepted``; what the owner would
  want to know goes to their inbox (the confirmation link again, or "you are already
  registered"), at most one mail per address and event per cooldown, a few a day.
- An email address is joined to no other destination without a token: a request naming an
  email address and a webhook together is refused (register them separately).
- A webhook is active only once its receiver has echoed a signed verification challenge, which
  also carries its signing secret; new webhooks per destination host are capped per day.
- Pending registrations expire (``pending_expiry_s``); an expired one counts as absent.

Every check runs before the one write; a confirmation email that cannot be sent takes a
registration made by this request back out, so a failed request leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import structlog

from notifier.api._request import public_base_url
from notifier.api._views import session_titles
from notifier.api.deps import ApiDeps
from notifier.channels.confirm import compose_confirmation, session_times
from notifier.errors import (
    N_,
    DeliveryError,
    PermanentDeliveryError,
    RegistrationError,
    TransientDeliveryError,
)
from notifier.events import Event
from notifier.records import Registration
from notifier.registrations import RegistrationInput, build_registration
from notifier.signing import make_timed_token, make_token, participant_url, webcal_url

log = structlog.get_logger("notifier.api")

# backstops: the SSRF guard resolves a host name, the mailer talks SMTP, the verification POST
# waits for a receiver (each has its own deadlines too); a request must not hang on either
WEBHOOK_CHECK_DEADLINE_S = 15.0
CONFIRMATION_DEADLINE_S = 90.0
VERIFICATION_DEADLINE_S = 30.0
DAY_S = 86_400

NEXT_STEP = (
    "If the address can receive reminders for this event, we have sent it an email: click the "
    "link in it to confirm. A webhook receiver gets a signed verification request instead: "
    "answer it with its challenge to start. Nothing is sent before that."
)


def link_url(deps: ApiDeps, purpose: str, registration_id: str) -> str:
    """``{public_base_url}/{purpose}/{signed token}`` for confirm and unsubscribe links."""
    if purpose == "confirm":  # expires (confirm_link_max_age_s); unsubscribing never does
        token = make_timed_token(deps.signing_secret, purpose, registration_id, deps.clock())
    else:
        token = make_token(deps.signing_secret, purpose, registration_id)
    return f"{public_base_url(deps)}/{purpose}/{token}"


def manage_url(deps: ApiDeps, registration_id: str) -> str:
    """The participant's own page: zone, language, sessions, attendance, reminders."""
    return participant_url(deps.signing_secret, public_base_url(deps), "manage", registration_id)


def feed_url(deps: ApiDeps, registration_id: str) -> str:
    """The registration's private calendar feed (``https://…/calendar/{token}.ics``)."""
    base = public_base_url(deps)
    return participant_url(deps.signing_secret, base, "calendar", registration_id)


def digest(text: str) -> str:
    """A limit key's stand-in for an address or a client: the store never holds them raw."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def register(deps: ApiDeps, event: Event, given: RegistrationInput) -> None:
    """Check the input, then act as the rules above say; the caller answers ``accepted``.

    Raises :class:`RegistrationError` for input the participant must fix (it says nothing
    about anyone's registration), and :class:`TransientDeliveryError` when a confirmation
    email cannot go out now.
    """
    registration = build_registration(event, given, deps.clock())
    if registration.email is not None and registration.webhook_url is not None:
        msgid = N_(
            "register an email address and a webhook separately (two requests): an email "
            "address is never joined to another destination without its owner's token"
        )
        raise RegistrationError.about("webhook_url", msgid)
    if registration.webhook_url is not None:
        await _check_webhook(deps, registration.webhook_url)
        await _register_webhook(deps, event, registration)
    else:
        await _register_email(deps, event, registration)


def pending_expired(deps: ApiDeps, registration: Registration) -> bool:
    """Never confirmed, and older than ``pending_expiry_s``: it counts as absent."""
    expiry = timedelta(seconds=deps.settings.pending_expiry_s)
    return not registration.confirmed and registration.created_at + expiry <= deps.clock()


async def drop_if_expired(deps: ApiDeps, registration: Registration | None) -> Registration | None:
    """``registration``, or None after deleting it when it expired unconfirmed."""
    if registration is None or not pending_expired(deps, registration):
        return registration
    await deps.store.remove_registration(registration.id)  # its link is dead anyway
    log.info("pending_registration_expired", registration_id=registration.id)
    return None


async def _current(deps: ApiDeps, like: Registration) -> Registration | None:
    """The stored registration of the same address, unless it is pending and expired."""
    return await drop_if_expired(deps, await deps.store.find_registration(like))


async def _register_email(deps: ApiDeps, event: Event, registration: Registration) -> None:
    existing = await _current(deps, registration)
    stored = existing or await deps.store.add_registration(replace(registration, confirmed=False))
    created = existing is None
    address = registration.email or ""
    if not await _may_mail(deps, event, address):
        log.info("confirmation_throttled", registration_id=stored.id, event_id=event.id)
        return
    await _mail_owner(deps, event, stored, created)
    log.info(
        "registration_requested",
        registration_id=stored.id,
        event_id=event.id,
        created=created,
        already_confirmed=stored.confirmed,
    )


async def _may_mail(deps: ApiDeps, event: Event, address: str) -> bool:
    """Under the per-(address, event) cooldown and the per-address daily cap, both shared."""
    settings, now, who = deps.settings, deps.clock(), digest(address.lower())
    cooldown = await deps.store.hit_limit(
        f"confirm:{event.id}:{who}", 1, settings.confirmation_cooldown_s, now
    )
    if cooldown is not None:
        return False
    daily = await deps.store.hit_limit(
        f"confirm-day:{who}", settings.confirmation_daily_max, DAY_S, now
    )
    return daily is None


async def _register_webhook(deps: ApiDeps, event: Event, registration: Registration) -> None:
    if await _current(deps, registration) is not None:
        log.info("registration_unchanged", event_id=event.id, channel="webhook")
        return  # nothing changes and nothing is sent: the receiver was verified (or asked) once
    host = (urlsplit(registration.webhook_url or "").hostname or "").lower()
    capped = await deps.store.hit_limit(
        f"webhook-host:{digest(host)}", deps.settings.webhook_host_daily_max, DAY_S, deps.clock()
    )
    if capped is not None:
        log.warning("webhook_host_capped", event_id=event.id)
        return
    stored = await deps.store.add_registration(replace(registration, confirmed=False))
    challenge = secrets.token_urlsafe(24)
    try:
        async with asyncio.timeout(VERIFICATION_DEADLINE_S):
            verified = await deps.verify_webhook(stored, event, challenge)
    except (DeliveryError, TimeoutError) as exc:
        log.info("webhook_not_verified", registration_id=stored.id, error=type(exc).__name__)
        verified = False
    if verified:
        await deps.store.confirm_registration(stored.id)
        log.info("webhook_verified", registration_id=stored.id, event_id=event.id)
    else:  # never verified: nothing stays behind to be sent to a host that did not ask
        await deps.store.remove_registration(stored.id)


async def _check_webhook(deps: ApiDeps, url: str) -> None:
    try:
        async with asyncio.timeout(WEBHOOK_CHECK_DEADLINE_S):
            await deps.check_webhook(url)
    except TimeoutError:
        msgid = N_("checking where this URL points took too long; check its host name")
        raise RegistrationError.about("webhook_url", msgid) from None


async def _mail_owner(deps: ApiDeps, event: Event, stored: Registration, created: bool) -> None:
    """The confirmation link, or (already confirmed) a note with the unsubscribe link."""
    try:
        message = compose_confirmation(
            registration=stored,
            event_name=event.name_in(stored.language),
            session_titles=session_titles(event, stored.sessions, stored.language),
            confirm_url=link_url(deps, "confirm", stored.id),
            unsubscribe_url=link_url(deps, "unsubscribe", stored.id),
            sender=deps.settings.smtp_from,
            now_utc=deps.clock(),
            already_confirmed=stored.confirmed,
            template=event.template("confirmation", stored.language),
            manage_url=manage_url(deps, stored.id),
            calendar_url=webcal_url(feed_url(deps, stored.id)),
            times=session_times(event, stored.sessions, stored.language, stored.timezone),
        )
        async with asyncio.timeout(CONFIRMATION_DEADLINE_S):
            await deps.mailer.send_email(message)
    except (DeliveryError, TimeoutError) as exc:
        if created:  # nothing half-written: take back what this request stored
            await deps.store.remove_registration(stored.id)
        log.warning(
            "confirmation_not_sent",
            registration_id=stored.id,
            error=type(exc).__name__,
            kept=not created,
        )
        if isinstance(exc, PermanentDeliveryError):
            msgid = N_("the mail server refused this address; check it for typos")
            raise RegistrationError.about("email", msgid) from exc
        minutes = max(1, deps.settings.confirmation_cooldown_s // 60)
        raise TransientDeliveryError(
            f"the confirmation email could not be sent just now; try again in {minutes} minutes"
        ) from exc
    except Exception:
        if created:  # an unforeseen failure (a 500) must not leave a pending record either
            await deps.store.remove_registration(stored.id)
        raise
    log.info(
        "confirmation_sent",
        registration_id=stored.id,
        kind="already_registered" if stored.confirmed else "confirm",
    )
