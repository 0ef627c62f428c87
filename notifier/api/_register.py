"""Registering through the API or the page: check everything, store once, ask for confirmation.

Shared by the JSON endpoint and the form so that both refuse, store and mail alike. Every
check runs before the one write; a confirmation email that cannot be sent takes a registration
made by this request back out, so a failed request leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import structlog

from notifier.api._request import public_base_url
from notifier.api._views import session_titles
from notifier.api.deps import ApiDeps
from notifier.api.schemas import RegistrationStatus
from notifier.channels.confirm import compose_confirmation
from notifier.errors import (
    DeliveryError,
    PermanentDeliveryError,
    RegistrationError,
    TransientDeliveryError,
)
from notifier.events import Event
from notifier.records import Registration
from notifier.registrations import RegistrationInput, build_registration
from notifier.signing import make_timed_token, make_token

log = structlog.get_logger("notifier.api")

# backstops: the SSRF guard resolves a host name, the mailer talks SMTP (each has its own
# deadlines too); a request must not hang on either
WEBHOOK_CHECK_DEADLINE_S = 15.0
CONFIRMATION_DEADLINE_S = 90.0


@dataclass(frozen=True)
class Registered:
    """What a registration request did: the stored record and what the participant does next."""

    registration: Registration
    status: RegistrationStatus
    created: bool  # False: merged into an earlier registration of the same address
    webhook_secret: str | None = None  # only when this request created it

    @property
    def next_step(self) -> str:
        if self.status == "pending_confirmation":
            return (
                "Check your inbox and click the link in the email we sent; no reminder is sent "
                "before you confirm."
            )
        if self.webhook_secret is not None:
            return (
                "Your webhook is active. Verify each request's webhook-signature with "
                "webhook_secret (Standard Webhooks); it is shown only in this response."
            )
        return (
            "This address is already registered and active; nothing was changed. To change "
            "your sessions, use the unsubscribe link in any reminder, then register again."
        )


def link_url(deps: ApiDeps, purpose: str, registration_id: str) -> str:
    """``{public_base_url}/{purpose}/{signed token}`` for confirm and unsubscribe links."""
    if purpose == "confirm":  # expires (confirm_link_max_age_s); unsubscribing never does
        token = make_timed_token(deps.signing_secret, purpose, registration_id, deps.clock())
    else:
        token = make_token(deps.signing_secret, purpose, registration_id)
    return f"{public_base_url(deps)}/{purpose}/{token}"


async def register(deps: ApiDeps, event: Event, given: RegistrationInput) -> Registered:
    """Check, store, and (for an email address) send the confirmation link.

    Raises :class:`RegistrationError` for input the participant must fix, and
    :class:`TransientDeliveryError` when the confirmation email cannot go out now.
    """
    registration = build_registration(event, given, deps.clock())
    if registration.webhook_url is not None:
        await _check_webhook(deps, registration.webhook_url)
    existing = await deps.store.find_registration(registration)
    if existing is not None and existing.confirmed:
        # an unauthenticated request must not change someone's active registration (zone,
        # sessions, or a webhook that would receive their reminders)
        log.info("registration_unchanged", registration_id=existing.id, event_id=event.id)
        return Registered(existing, "active", created=False)
    if existing is not None and registration.webhook_url and existing.email:
        raise RegistrationError(
            "webhook_url",
            "this email address already has a registration waiting for confirmation; confirm "
            "it first, then register the webhook on its own",
        )
    # double opt-in: anyone can type any address, so an email waits for its owner's click
    wants_email = registration.email is not None
    stored = await deps.store.add_registration(replace(registration, confirmed=not wants_email))
    created = stored.id == registration.id
    # the secret only to whoever made the registration: a second request naming the same
    # address must not learn the signing secret of someone else's webhook
    secret = deps.webhook_secret(stored.id) if created and stored.webhook_url else None
    status: RegistrationStatus = "active" if stored.confirmed else "pending_confirmation"
    if not stored.confirmed:
        await _ask_for_confirmation(deps, event, stored, created)
    log.info(
        "registration_stored",
        registration_id=stored.id,
        event_id=event.id,
        channels=list(stored.channels),
        status=status,
        created=created,
    )
    return Registered(stored, status, created, secret)


async def _check_webhook(deps: ApiDeps, url: str) -> None:
    try:
        async with asyncio.timeout(WEBHOOK_CHECK_DEADLINE_S):
            await deps.check_webhook(url)
    except TimeoutError:
        message = "checking where this URL points took too long; check its host name"
        raise RegistrationError("webhook_url", message) from None


async def _ask_for_confirmation(
    deps: ApiDeps, event: Event, stored: Registration, created: bool
) -> None:
    try:
        message = compose_confirmation(
            registration=stored,
            event_name=event.name,
            session_titles=session_titles(event, stored.sessions),
            confirm_url=link_url(deps, "confirm", stored.id),
            unsubscribe_url=link_url(deps, "unsubscribe", stored.id),
            sender=deps.settings.smtp_from,
            now_utc=deps.clock(),
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
            message_text = "the mail server refused this address; check it for typos"
            raise RegistrationError("email", message_text) from exc
        raise TransientDeliveryError(
            "the confirmation email could not be sent just now; try again in a few minutes"
        ) from exc
    except Exception:
        if created:  # an unforeseen failure (a 500) must not leave a pending record either
            await deps.store.remove_registration(stored.id)
        raise
