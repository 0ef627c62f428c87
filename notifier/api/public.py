"""The public JSON API: events and sessions in any zone, and registering for reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from notifier.api._limits import client_limit
from notifier.api._register import NEXT_STEP, register
from notifier.api._render import page_language
from notifier.api._request import Deps, event_or_404
from notifier.api._views import event_detail, event_summary
from notifier.api.schemas import (
    EventDetail,
    EventSummary,
    Problem,
    RegistrationAccepted,
    RegistrationIn,
)
from notifier.errors import RegistrationError, TimeExpressionError, TransientDeliveryError
from notifier.registrations import RegistrationInput
from notifier.times import load_zone

router = APIRouter(prefix="/api/v1", tags=["public"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such event"}
}
EventId = Annotated[str, Path(max_length=200, description="The event's id from its config file")]


def field_error(location: str, error: RegistrationError) -> RequestValidationError:
    """FastAPI's own 422 shape, ``{"detail": [{"loc", "msg", "type"}]}``, for one field."""
    return RequestValidationError(
        [{"type": "value_error", "loc": (location, error.field), "msg": error.message}]
    )


@router.get("/events", summary="List events")
async def list_events(deps: Deps) -> list[EventSummary]:
    """Every configured event, with its venue zone and how many sessions it has."""
    return [event_summary(e) for e in sorted(deps.events().values(), key=lambda e: e.id)]


@router.get(
    "/events/{event_id}", summary="An event's sessions, in a time zone", responses=NOT_FOUND
)
async def get_event(
    request: Request,
    deps: Deps,
    event_id: EventId,
    tz: Annotated[
        str, Query(max_length=64, description="IANA zone to show times in", examples=["Asia/Tokyo"])
    ] = "UTC",
) -> EventDetail:
    """Sessions in start order, with times in ``tz`` and in the venue's zone.

    ``display`` and ``venue_display`` are written for people: with an ``Accept-Language``
    header, in the language it negotiates (CLDR's dates, as the pages write them); without
    one, in the fixed English form (``Tue 23 May 2023 16:10–17:00 JST (UTC+09:00)``).
    """
    event = event_or_404(deps, event_id)
    try:
        load_zone(tz)
    except TimeExpressionError as exc:
        raise field_error("query", RegistrationError("tz", exc.message)) from exc
    asked = request.headers.get("accept-language")
    language = page_language(request, event_default=event.language) if asked else None
    return event_detail(event, tz, language)


@router.post(
    "/events/{event_id}/registrations",
    summary="Register for reminders",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(client_limit)],
    responses={
        400: {"model": Problem, "description": "The body is not JSON"},
        **NOT_FOUND,
        429: {"model": Problem, "description": "Too many requests from this client"},
        503: {"model": Problem, "description": "The confirmation email could not be sent now"},
    },
)
async def create_registration(
    request: Request, deps: Deps, event_id: EventId, body: RegistrationIn, response: Response
) -> RegistrationAccepted:
    """Register an email address (confirmed by a link we email) or a webhook URL (verified by
    a signed challenge its receiver echoes).

    The answer is the same whether the address is new, waiting for confirmation or already
    registered: nothing here reveals or changes a registration. What the owner should know
    goes to the address itself. An email address and a webhook are registered separately.
    """
    response.headers["Cache-Control"] = "no-store"  # an answer about someone's address
    event = event_or_404(deps, event_id)
    given = RegistrationInput(
        email=body.email or None,
        webhook_url=body.webhook_url or None,
        timezone=body.timezone,
        sessions=tuple(body.sessions) if body.sessions else None,
        attendance=body.attendance,
        # given, it is checked (a field error if unknown); else the client's Accept-Language
        language=body.language or page_language(request, event_default=event.language),
    )
    try:
        await register(deps, event, given)
    except RegistrationError as exc:
        raise field_error("body", exc) from exc
    except TransientDeliveryError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            str(exc),
            headers={"Retry-After": str(deps.settings.confirmation_cooldown_s)},
        ) from exc
    return RegistrationAccepted(next_step=NEXT_STEP)
