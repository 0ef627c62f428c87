"""Calendar endpoints: a session's ``.ics`` download, and a registration's private feed.

The feed's URL carries a signed token (purpose ``calendar``, :mod:`notifier.signing`): it
reads one registration's sessions and nothing else, and a wrong token, a removed registration
or a removed event all get the same bare 404, so the URL space tells nobody who is registered.
Calendar programs fetch the feed again every hour or so; each fetch asks the store for the
sessions' SEQUENCE (bumped when a session moved), so a moved session updates in place.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request, Response

from notifier import i18n
from notifier.api._calendar import feed_ics, session_ics
from notifier.api._render import page_language
from notifier.api._request import Deps, public_base_url
from notifier.api.deps import ApiDeps
from notifier.errors import BadTokenError
from notifier.events import Event, Session
from notifier.records import Registration
from notifier.signing import read_token

router = APIRouter(tags=["calendars"])

CALENDAR = "text/calendar; charset=utf-8"
ICS: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}
}
NOTHING_HERE = {"description": "Not a calendar we publish (nothing more is said)"}


def service_host(deps: ApiDeps) -> str:
    """The host in every UID: the same as in the reminders' ``invite.ics``."""
    return urlsplit(public_base_url(deps)).hostname or "notifier"


def _ics(body: bytes, filename: str, private: bool) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        # the feed URL is a secret: no shared cache keeps it, and no Referer hands it on
        "Cache-Control": "private, no-store" if private else "public, max-age=300",
        "Referrer-Policy": "no-referrer",
    }
    return Response(body, media_type=CALENDAR, headers=headers)


def _not_found() -> Response:
    return Response("Not Found\n", status_code=404, media_type="text/plain; charset=utf-8")


@router.get(
    "/events/{event_id}/sessions/{session_id}.ics",
    name="session_ics",
    summary="One session as an iCalendar file (add to calendar)",
    response_class=Response,
    responses={**ICS, 404: NOTHING_HERE},
)
async def session_calendar(
    request: Request,
    deps: Deps,
    event_id: Annotated[str, Path(max_length=200)],
    session_id: Annotated[str, Path(max_length=200)],
) -> Response:
    event = deps.events().get(event_id)
    session = _session(event, session_id)
    if event is None or session is None:
        return _not_found()
    sequence = await deps.store.session_sequence(event.id, session.id, session.start_utc)
    language = page_language(request, event_default=event.language)
    body = session_ics(event, session, service_host(deps), sequence, deps.clock(), language)
    response = _ics(body, f"{session.id}.ics", private=False)
    # titles and notes follow the browser's language: shared caches must not mix them
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = i18n.html_lang(language)
    return response


@router.get(
    "/calendar/{token}.ics",
    name="calendar_feed",
    summary="A registration's private calendar feed (webcal:// subscription)",
    response_class=Response,
    responses={**ICS, 404: NOTHING_HERE},
)
async def calendar_feed(deps: Deps, token: Annotated[str, Path(max_length=512)]) -> Response:
    found = await registration_for(deps, "calendar", token)
    if found is None:
        return _not_found()
    registration, event = found
    # only the sessions the feed lists: each read may record a session's start in the store
    listed = [
        s
        for s in event.sessions
        if registration.follows(s.id) or s.id in registration.left_sessions
    ]
    sequences = {
        s.id: await deps.store.session_sequence(event.id, s.id, s.start_utc) for s in listed
    }
    # tens of milliseconds for a big event (benchmarks/bench_participant.py): not on the loop
    body = await asyncio.to_thread(
        feed_ics, event, registration, sequences, service_host(deps), deps.clock()
    )
    return _ics(body, f"{event.id}.ics", private=True)


async def registration_for(
    deps: ApiDeps, purpose: str, token: str
) -> tuple[Registration, Event] | None:
    """The registration a participant link names, and its event; None for anything else.

    A bad signature, a registration that is gone and an event removed from the config all
    answer None, so the caller's 404 is the same for each and reveals nothing.
    """
    try:
        registration_id = read_token(deps.signing_secret, purpose, token)
    except BadTokenError:
        return None
    registration = await deps.store.get_registration(registration_id)
    if registration is None:
        return None
    event = deps.events().get(registration.event_id)
    return None if event is None else (registration, event)


def _session(event: Event | None, session_id: str) -> Session | None:
    if event is None:
        return None
    return next((s for s in event.sessions if s.id == session_id), None)
