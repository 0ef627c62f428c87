"""The public JSON API: events and sessions in any zone, and registering for reminders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError

from notifier.api._register import register
from notifier.api._request import Deps, event_or_404
from notifier.api._views import event_detail, event_summary
from notifier.api.schemas import (
    EventDetail,
    EventSummary,
    Problem,
    RegistrationIn,
    RegistrationOut,
)
from notifier.errors import RegistrationError, TimeExpressionError, TransientDeliveryError
from notifier.registrations import RegistrationInput
from notifier.times import load_zone

router = APIRouter(prefix="/api/v1", tags=["public"])

RETRY_AFTER_S = 120  # after a mail failure: long enough for an SMTP hiccup to pass

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
    deps: Deps,
    event_id: EventId,
    tz: Annotated[
        str, Query(max_length=64, description="IANA zone to show times in", examples=["Asia/Tokyo"])
    ] = "UTC",
) -> EventDetail:
    """Sessions in start order, with times in ``tz`` and in the venue's zone."""
    event = event_or_404(deps, event_id)
    try:
        load_zone(tz)
    except TimeExpressionError as exc:
        raise field_error("query", RegistrationError("tz", exc.message)) from exc
    return event_detail(event, tz)


@router.post(
    "/events/{event_id}/registrations",
    summary="Register for reminders",
    status_code=status.HTTP_201_CREATED,
    response_model_exclude_none=True,
    responses={
        400: {"model": Problem, "description": "The body is not JSON"},
        **NOT_FOUND,
        503: {"model": Problem, "description": "The confirmation email could not be sent now"},
    },
)
async def create_registration(
    deps: Deps, event_id: EventId, body: RegistrationIn, response: Response
) -> RegistrationOut:
    """Register an email address (confirmed by a link we email) and/or a webhook URL.

    Re-registering the same address updates the earlier registration (sessions are merged).
    ``webhook_secret`` is given once, in the response that creates a webhook registration.
    """
    response.headers["Cache-Control"] = "no-store"  # it may hold webhook_secret
    event = event_or_404(deps, event_id)
    given = RegistrationInput(
        email=body.email or None,
        webhook_url=body.webhook_url or None,
        timezone=body.timezone,
        sessions=tuple(body.sessions) if body.sessions else None,
        attendance=body.attendance,
    )
    try:
        done = await register(deps, event, given)
    except RegistrationError as exc:
        raise field_error("body", exc) from exc
    except TransientDeliveryError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            str(exc),
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from exc
    return RegistrationOut(
        id=done.registration.id,
        status=done.status,
        next_step=done.next_step,
        webhook_secret=done.webhook_secret,
    )
