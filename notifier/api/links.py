"""The links in emails: confirm a registration, and unsubscribe in one click (RFC 8058).

Tokens are signed per purpose (:mod:`notifier.signing`): a confirm token cannot unsubscribe.
A confirm token expires after ``confirm_link_max_age_s``; an unsubscribe token never does.
``GET /confirm/…`` and ``GET /unsubscribe/…`` only show a button, because mail scanners and
link previews follow GETs; the change is the ``POST`` (for unsubscribe, also the one mail
clients send for ``List-Unsubscribe-Post``).
Both are idempotent: a second click says the same thing and changes nothing.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse

from notifier.api._limits import TOO_MANY_PAGE, client_limit
from notifier.api._register import drop_if_expired, feed_url, manage_url
from notifier.api._render import html_response, page_language, render
from notifier.api._request import Deps, find_event
from notifier.api._views import followed_sessions, masked_address, offsets_text
from notifier.api.deps import ApiDeps
from notifier.api.schemas import OneClickForm
from notifier.errors import BadTokenError
from notifier.i18n import gettext_for
from notifier.records import Language, Registration
from notifier.signing import read_timed_token, read_token, webcal_url

log = structlog.get_logger("notifier.api")

router = APIRouter(tags=["links"])
Token = Annotated[str, Path(description="The signed token from the email's link")]
BAD_LINK = html_response("Not a link we made (mistyped or cut short)")


def _message(
    request: Request,
    language: Language,
    title: str,
    *paragraphs: str,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"title": title, "paragraphs": list(paragraphs)}
    return render(request, "message.html.j2", context, status_code, language=language)


def _bad_link(request: Request, error: BadTokenError) -> HTMLResponse:
    language = page_language(request)
    _ = gettext_for(language)
    first = _("%(text)s.") % {"text": str(error).capitalize()}
    tip = _("Copy the whole link from the email, or register again.")
    return _message(request, language, _("Link not valid"), first, tip, status_code=400)


def _unsubscribed(request: Request, registration: Registration | None = None) -> HTMLResponse:
    language = page_language(request, chosen=registration.language if registration else None)
    _ = gettext_for(language)
    return _message(
        request,
        language,
        _("You are unsubscribed"),
        _("No more reminders will be sent for this registration."),
        _("Changed your mind? Register again on the event's page."),
    )


def _not_found(request: Request) -> HTMLResponse:
    language = page_language(request)
    _ = gettext_for(language)
    return _message(
        request,
        language,
        _("Registration not found"),
        _("This registration no longer exists: it was unsubscribed."),
        _("Register again on the event's page to get reminders."),
        status_code=404,
    )


def _confirmed_id(deps: ApiDeps, token: str) -> str:
    """The registration a confirm token names, if it is ours and not expired."""
    return read_timed_token(
        deps.signing_secret,
        "confirm",
        token,
        now_utc=deps.clock(),
        max_age_s=deps.settings.confirm_link_max_age_s,
    )


def _ask(
    request: Request, deps: ApiDeps, registration: Registration, template: str
) -> HTMLResponse:
    """The page behind a GET link: says what the button will do, changes nothing."""
    event = find_event(deps, registration.event_id)
    language = page_language(request, chosen=registration.language)
    context = {
        "event_name": event.name_in(language) if event else registration.event_id,
        "address": masked_address(registration, language),
    }
    return render(request, template, context, language=language)


@router.get(
    "/confirm/{token}",
    name="confirm_page",
    response_class=HTMLResponse,
    summary="Ask before confirming (changes nothing)",
    responses={400: BAD_LINK},
)
async def confirm_page(request: Request, deps: Deps, token: Token) -> HTMLResponse:
    """The emailed link lands here; mail scanners that follow it confirm nothing."""
    try:
        registration_id = _confirmed_id(deps, token)
    except BadTokenError as exc:
        return _bad_link(request, exc)
    registration = await deps.store.get_registration(registration_id)
    if registration is None:
        return _not_found(request)
    return _ask(request, deps, registration, "confirm.html.j2")


@router.post(
    "/confirm/{token}",
    name="confirm",
    response_class=HTMLResponse,
    summary="Confirm a registration (double opt-in)",
    responses={
        400: BAD_LINK,
        404: html_response("The registration was removed, or it expired unconfirmed"),
        429: TOO_MANY_PAGE,
    },
    dependencies=[Depends(client_limit)],
)
async def confirm(request: Request, deps: Deps, token: Token) -> HTMLResponse:
    """Confirm; a repeat says the same and changes nothing."""
    try:
        registration_id = _confirmed_id(deps, token)
    except BadTokenError as exc:
        return _bad_link(request, exc)
    pending = await drop_if_expired(deps, await deps.store.get_registration(registration_id))
    registration = await deps.store.confirm_registration(registration_id) if pending else None
    if registration is None:
        return _not_found(request)
    log.info("registration_confirmed", registration_id=registration.id)
    event = find_event(deps, registration.event_id)
    language = page_language(request, chosen=registration.language)
    if event is None:  # the organizer removed the event from the config since
        _ = gettext_for(language)
        title, text = _("Reminders confirmed"), _("Your reminders are confirmed.")
        return _message(request, language, title, text)
    followed = registration.sessions is not None
    context = {
        "event_name": event.name_in(language),
        "timezone": registration.timezone,
        "sessions": followed_sessions(event, registration, language) if followed else [],
        "offsets": offsets_text(event, registration, language),
        "ways_in": registration.attendance,
        "event_link": request.url_for("event_page", event_id=event.id).path,
        "manage_link": urlsplit(manage_url(deps, registration.id)).path,
        "webcal_link": webcal_url(feed_url(deps, registration.id)),
    }
    return render(request, "confirmed.html.j2", context, language=language)


@router.get(
    "/unsubscribe/{token}",
    name="unsubscribe_page",
    response_class=HTMLResponse,
    summary="Ask before unsubscribing (changes nothing)",
    responses={400: BAD_LINK},
)
async def unsubscribe_page(request: Request, deps: Deps, token: Token) -> HTMLResponse:
    try:
        registration_id = read_token(deps.signing_secret, "unsubscribe", token)
    except BadTokenError as exc:
        return _bad_link(request, exc)
    registration = await deps.store.get_registration(registration_id)
    if registration is None:
        return _unsubscribed(request)
    return _ask(request, deps, registration, "unsubscribe.html.j2")


@router.post(
    "/unsubscribe/{token}",
    name="unsubscribe",
    response_class=HTMLResponse,
    summary="Unsubscribe in one click (RFC 8058)",
    responses={
        400: html_response("Not a link we made, or a body that is not a form", "Problem"),
        429: TOO_MANY_PAGE,
    },
)
async def unsubscribe(
    request: Request,
    deps: Deps,
    token: Token,
    body: Annotated[OneClickForm, Form()],
) -> HTMLResponse:
    """Remove the registration; an empty body works too, and so does a repeat."""
    try:
        registration_id = read_token(deps.signing_secret, "unsubscribe", token)
    except BadTokenError as exc:
        # only a bad token counts against the client: mail providers send one-click
        # unsubscribes for many people from few addresses, and a good token harms no one
        await client_limit(request, deps)
        return _bad_link(request, exc)
    removed = await deps.store.remove_registration(registration_id)
    log.info(
        "registration_removed",
        registration_id=registration_id,
        removed=removed,
        one_click=body.one_click == "One-Click",
    )
    return _unsubscribed(request)
