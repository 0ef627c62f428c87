"""Manage my reminders: the page behind the signed link in every reminder and confirmation,
and its JSON twin (``/api/v1/registrations/{token}``).

The token (purpose ``manage``, :mod:`notifier.signing`) is the only key: it is checked in
constant time by itsdangerous, and a wrong token, a removed registration and a removed event
all get the same 404, which says nothing about anyone. The form posts back to its own URL, so
only someone holding the link can change anything (a cross-site page cannot know the token);
a browser that says the POST came from another site is refused as well. Every change counts
against the client's public POST limit, as registering does. Leaving is the
unsubscribe link's POST, which already does exactly that.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, Response, status
from fastapi.responses import HTMLResponse

from notifier import i18n
from notifier.api._limits import TOO_MANY_PAGE, client_limit
from notifier.api._manage import (
    Wanted,
    changed,
    language_names,
    offered_offsets,
    settings_of,
)
from notifier.api._register import feed_url, link_url
from notifier.api._render import html_response, page_language, render
from notifier.api._request import Deps
from notifier.api._views import masked_address, page_sessions
from notifier.api._zones import zone_groups_off_loop
from notifier.api.calendars import registration_for
from notifier.api.deps import ApiDeps
from notifier.api.pages import UNPARSABLE, UNPROCESSABLE, calendar_links
from notifier.api.public import field_error
from notifier.api.schemas import ManageForm, MySettings, MySettingsPatch, Problem
from notifier.errors import RegistrationError
from notifier.events import Event
from notifier.records import ATTENDANCE, Language, Registration
from notifier.signing import webcal_url

log = structlog.get_logger("notifier.api")

pages = APIRouter(tags=["manage"])
api = APIRouter(prefix="/api/v1", tags=["manage"])
Token = Annotated[str, Path(max_length=512, description="The token from the manage link")]
NOT_FOUND = html_response("Not a page we know (nothing more is said)")
JSON_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Not a link we made, or nothing left behind it"}
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"model": Problem, "description": "Too many requests from this client"}
}
JSON_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON"},
    **JSON_NOT_FOUND,
    **TOO_MANY,
}


def _not_found_page(request: Request) -> HTMLResponse:
    # the browser's language: the registration's would tell whose link this was
    language = page_language(request)
    _ = i18n.gettext_for(language)
    paragraphs = [_("There is nothing at this address."), _("Check the link in your email.")]
    context = {"title": _("Page not found"), "paragraphs": paragraphs}
    return render(request, "message.html.j2", context, 404, language=language)


def _cross_site(request: Request) -> bool:
    """A browser's own word that the form was sent from another site (Fetch Metadata)."""
    return request.headers.get("sec-fetch-site") == "cross-site"


@pages.get(
    "/manage/{token}",
    name="manage_page",
    response_class=HTMLResponse,
    summary="A participant's own settings (HTML)",
    responses={404: NOT_FOUND},
)
async def manage_page(request: Request, deps: Deps, token: Token) -> HTMLResponse:
    found = await registration_for(deps, "manage", token)
    if found is None:
        return _not_found_page(request)
    registration, event = found
    return await _page(request, deps, event, registration, settings_of(registration))


@pages.post(
    "/manage/{token}",
    name="manage_save",
    response_class=HTMLResponse,
    summary="Save a participant's own settings (HTML form)",
    responses={
        400: UNPARSABLE,
        403: html_response("Sent from another site"),
        404: NOT_FOUND,
        422: UNPROCESSABLE,
        429: TOO_MANY_PAGE,
    },
    dependencies=[Depends(client_limit)],
)
async def manage_save(
    request: Request, deps: Deps, token: Token, given: Annotated[ManageForm, Form()]
) -> HTMLResponse:
    found = await registration_for(deps, "manage", token)
    if found is None:
        return _not_found_page(request)
    registration, event = found
    if _cross_site(request):
        language = page_language(request, chosen=registration.language)
        _ = i18n.gettext_for(language)
        context = {"title": _("Not saved"), "paragraphs": [_("Open the link from your email.")]}
        return render(request, "message.html.j2", context, 403, language=language)
    wanted = Wanted(
        timezone=given.timezone,
        language=given.language,
        attendance=given.attendance,
        sessions=tuple(given.sessions) or None,
        reminder_offsets_s=tuple(given.reminder_offsets_s),
    )
    try:
        stored = await _save(deps, event, registration, wanted)
    except RegistrationError as exc:
        _ = i18n.gettext_for(page_language(request, chosen=registration.language))
        errors = {exc.field: exc.read_in(_)}
        return await _page(
            request, deps, event, registration, wanted, errors=errors, status_code=422
        )
    if stored is None:
        return _not_found_page(request)
    return await _page(request, deps, event, stored, settings_of(stored), saved=True)


async def _save(
    deps: ApiDeps, event: Event, registration: Registration, wanted: Wanted
) -> Registration | None:
    stored = await deps.store.update_registration(changed(event, registration, wanted))
    if stored is not None:
        log.info("registration_changed", registration_id=stored.id, event_id=event.id)
    return stored


async def _page(
    request: Request,
    deps: ApiDeps,
    event: Event,
    registration: Registration,
    form: Wanted,
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    feed = feed_url(deps, registration.id)
    # the stored choice (just saved, so a new language shows at once), not the browser's
    language = page_language(request, chosen=registration.language)
    context = {
        "event": {
            "name": event.name_in(language),
            "sessions": page_sessions(event.sessions, registration.timezone, language),
        },
        "address": masked_address(registration, language),
        "form": form,
        "zones": await zone_groups_off_loop(form.timezone, deps.clock(), language),
        "languages": language_names(),
        "attendance_choices": ATTENDANCE,
        "offsets": _offset_choices(event, language),
        "calendar_links": calendar_links(request, event, language),
        "feed_url": feed,
        "webcal_url": webcal_url(feed),
        # a path, not public_base_url's origin: the page's CSP allows forms to 'self' only
        "leave_action": urlsplit(link_url(deps, "unsubscribe", registration.id)).path,
        "errors": errors or {},
        "saved": saved,
    }
    return render(request, "manage.html.j2", context, status_code, language=language)


def _offset_choices(event: Event, language: Language) -> list[tuple[int, str]]:
    """``(seconds, "1 day")`` per reminder the event offers, the span in ``language``."""
    return [(_seconds(o), i18n.format_span(o, language)) for o in offered_offsets(event)]


def _my_settings(deps: ApiDeps, event: Event, registration: Registration) -> MySettings:
    sessions, offsets = registration.sessions, registration.reminder_offsets_s
    return MySettings(
        event_id=event.id,
        address=masked_address(registration),
        timezone=registration.timezone,
        language=registration.language,
        attendance=registration.attendance,
        sessions=None if sessions is None else list(sessions),
        reminder_offsets_s=None if offsets is None else list(offsets),
        offered_offsets_s=[_seconds(o) for o in offered_offsets(event)],
        calendar_url=feed_url(deps, registration.id),
    )


def _seconds(offset: timedelta) -> int:
    return int(offset.total_seconds())


async def _found_or_404(deps: ApiDeps, token: str) -> tuple[Registration, Event]:
    found = await registration_for(deps, "manage", token)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return found


@api.get(
    "/registrations/{token}",
    summary="Read my settings (the token from the manage link)",
    responses=JSON_NOT_FOUND,
)
async def read_my_settings(deps: Deps, token: Token, response: Response) -> MySettings:
    response.headers["Cache-Control"] = "no-store"
    registration, event = await _found_or_404(deps, token)
    return _my_settings(deps, event, registration)


@api.patch(
    "/registrations/{token}",
    summary="Change my zone, language, sessions, attendance or reminders",
    responses=JSON_BODY,
    dependencies=[Depends(client_limit)],
)
async def change_my_settings(
    deps: Deps, token: Token, body: MySettingsPatch, response: Response
) -> MySettings:
    """Fields left out keep their value; the change applies to every reminder not yet sent."""
    response.headers["Cache-Control"] = "no-store"
    registration, event = await _found_or_404(deps, token)
    current = settings_of(registration)
    given = body.model_fields_set
    wanted = Wanted(
        timezone=body.timezone or current.timezone,
        language=body.language or current.language,
        attendance=body.attendance or current.attendance,
        sessions=_given(body.sessions, "sessions" in given, current.sessions),
        reminder_offsets_s=_given(
            body.reminder_offsets_s, "reminder_offsets_s" in given, current.reminder_offsets_s
        ),
    )
    try:
        stored = await _save(deps, event, registration, wanted)
    except RegistrationError as exc:
        raise field_error("body", exc) from exc
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return _my_settings(deps, event, stored)


def _given(value: list[Any] | None, present: bool, current: Any) -> Any:
    """A PATCH field: the stored value if left out, the new one (null: all) if given."""
    if not present:
        return current
    return None if value is None else tuple(value)


@api.delete(
    "/registrations/{token}",
    summary="Leave: delete my registration",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**JSON_NOT_FOUND, **TOO_MANY},
    dependencies=[Depends(client_limit)],
)
async def delete_my_registration(deps: Deps, token: Token) -> Response:
    registration, _event = await _found_or_404(deps, token)
    removed = await deps.store.remove_registration(registration.id)
    log.info("registration_removed", registration_id=registration.id, removed=removed)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
