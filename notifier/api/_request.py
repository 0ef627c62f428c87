"""What endpoints take from the request: the service's deps, and the event a path names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from notifier.api.deps import ApiDeps
from notifier.events import Event


def get_deps(request: Request) -> ApiDeps:
    """The :class:`ApiDeps` that :func:`notifier.api.create_app` was given."""
    deps = request.app.state.deps
    if not isinstance(deps, ApiDeps):
        raise TypeError("app.state.deps is not an ApiDeps; build the app with create_app(deps)")
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]


def find_event(deps: ApiDeps, event_id: str) -> Event | None:
    """The event as the live config has it now (a reload shows on the next request)."""
    return deps.events().get(event_id)


def event_or_404(deps: ApiDeps, event_id: str) -> Event:
    """The event, or a JSON 404 that names the events there are."""
    event = find_event(deps, event_id)
    if event is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, unknown_event(deps, event_id))
    return event


def unknown_event(deps: ApiDeps, event_id: str) -> str:
    """Why a path's event was not found, naming the ones that exist (they are public)."""
    known = ", ".join(sorted(deps.events())) or "none are configured"
    return f'no event "{event_id}"; known events: {known}'


def public_base_url(deps: ApiDeps) -> str:
    """``https://host/prefix`` without a trailing slash (pydantic's URL adds one)."""
    return str(deps.settings.public_base_url).rstrip("/")
