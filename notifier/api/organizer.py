"""Organizer endpoints: registrations and the delivery log, behind a bearer token.

The token is ``NOTIFIER_ORGANIZER_TOKEN``; with none set these endpoints always answer 401
(there is no default token to guess). Responses hold whole addresses, since organizers need
them; logs never do.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from notifier.api._request import Deps, event_or_404
from notifier.api._views import delivery_record, registration_record
from notifier.api.schemas import DeliveryRecord, Problem, RegistrationRecord

log = structlog.get_logger("notifier.api")

bearer = HTTPBearer(auto_error=False, description="NOTIFIER_ORGANIZER_TOKEN")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or wrong organizer token"},
    404: {"model": Problem, "description": "No such event or session"},
}
EventId = Annotated[str, Path(max_length=200)]
SessionId = Annotated[str, Path(max_length=200)]


def require_organizer(deps: Deps, credentials: Credentials) -> None:
    """401 unless the request carries the organizer token (compared in constant time)."""
    expected = deps.settings.organizer_token
    given = credentials.credentials if credentials is not None else None
    # bytes, not str: compare_digest refuses non-ASCII str, which would be a 500, not a 401
    if (
        expected is None
        or given is None
        or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
    ):
        log.info("organizer_refused", token_set=expected is not None, token_given=given is not None)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "send the organizer token as 'Authorization: Bearer <NOTIFIER_ORGANIZER_TOKEN>'"
            if expected is not None
            else "organizer endpoints are off: set NOTIFIER_ORGANIZER_TOKEN to turn them on",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/api/v1", tags=["organizer"], dependencies=[Depends(require_organizer)])


@router.get("/events/{event_id}/registrations", summary="List registrations", responses=ERRORS)
async def list_registrations(deps: Deps, event_id: EventId) -> list[RegistrationRecord]:
    """Every registration for the event, oldest first, confirmed or not."""
    event_or_404(deps, event_id)
    return [registration_record(r) for r in await deps.store.list_registrations(event_id)]


@router.get(
    "/events/{event_id}/sessions/{session_id}/deliveries",
    summary="List a session's delivery log",
    responses=ERRORS,
)
async def list_deliveries(
    deps: Deps, event_id: EventId, session_id: SessionId
) -> list[DeliveryRecord]:
    """Each reminder sent, failed, expired or skipped for this session, per channel."""
    event = event_or_404(deps, event_id)
    if all(s.id != session_id for s in event.sessions):
        known = ", ".join(s.id for s in event.sessions)
        detail = f'no session "{session_id}" in {event_id}; known sessions: {known}'
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    deliveries = await deps.store.list_deliveries(event_id, session_id)
    return [delivery_record(d) for d in deliveries]
