"""The FastAPI application: health, the public API, organizer endpoints, pages and links.

:func:`create_app` takes everything from :class:`~notifier.api.deps.ApiDeps` and opens
nothing itself: the service made the store and mailer in its own loop, and it closes them.
There is no ``/docs`` page (Swagger UI would load its scripts from a CDN); the OpenAPI
document is at ``/openapi.json`` for any viewer to read. Limits, headers and redirects every
request gets are in :mod:`notifier.api._guards`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Match

from notifier import __version__
from notifier.api import calendars, links, manage, organizer, pages, public
from notifier.api._access import AccessLog
from notifier.api._guards import LimitBody, NoSniff, slash_redirect, validation_problem
from notifier.api._limits import RateLimitedError, rate_limited
from notifier.api._request import Deps
from notifier.api.deps import ApiDeps
from notifier.api.schemas import Health, Readiness

log = structlog.get_logger("notifier.api")

READINESS_DEADLINE_S = 5.0

health = APIRouter(tags=["health"])


# HEAD too (probes and load balancers send it); left out of the OpenAPI document, where it
# would repeat the GET's operation id
@health.head("/healthz", include_in_schema=False)
@health.get("/healthz", summary="The process is alive")
async def healthz() -> Health:
    return Health()


@health.head("/readyz", include_in_schema=False)
@health.get(
    "/readyz",
    summary="The store answers and the scheduler runs",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; see which check failed"}},
)
async def readyz(deps: Deps) -> JSONResponse:
    try:
        async with asyncio.timeout(READINESS_DEADLINE_S):
            checks = await deps.readiness()
    except Exception as exc:  # a probe answers 503, never 500, whatever the check hit
        log.warning("readiness_check_failed", error=type(exc).__name__)
        checks = {"readiness": False}
    ready = bool(checks) and all(checks.values())
    failing = sorted(name for name, ok in checks.items() if not ok) if checks else ["no_checks"]
    body = Readiness(status="ready" if ready else "not_ready", failing=failing, checks=checks)
    code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(body.model_dump(), status_code=code)


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 with ``Allow`` naming every method of the path (RFC 9110 15.5.6).

    Starlette names only the first matching route's methods, and here one path's GET and POST
    are separate routes (the organizer's list and the public registration).
    """
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed |= getattr(route, "methods", None) or set()
    headers = {"Allow": ", ".join(sorted(allowed))}
    return JSONResponse({"detail": "Method Not Allowed"}, 405, headers=headers)


def _document_body_limit(app: FastAPI, max_bytes: int) -> None:
    """Every operation that takes a body may answer 413 (:class:`LimitBody` refuses it before
    any route runs), so the document says so on each of them, not in one route's list."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation.setdefault("responses", {})["413"] = {
                            "description": f"The body is larger than {max_bytes} bytes "
                            "(NOTIFIER_HTTP_MAX_BODY_BYTES)",
                            "content": {"application/json": {"schema": _TOO_LARGE}},
                        }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


_TOO_LARGE: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


def create_app(deps: ApiDeps) -> FastAPI:
    """The app for ``deps``; serve it with uvicorn in the service's own loop."""
    app = FastAPI(
        title="notifier",
        version=__version__,
        summary="Time-zone-aware reminders for hybrid events",
        openapi_tags=[
            {"name": "public", "description": "Events, sessions and registering."},
            {"name": "organizer", "description": "Bearer token: NOTIFIER_ORGANIZER_TOKEN."},
            {"name": "pages", "description": "The participant's HTML pages."},
            {"name": "links", "description": "Confirm and unsubscribe links from emails."},
            {
                "name": "manage",
                "description": "A participant's own settings, with the token of their manage "
                "link (every reminder and confirmation carries it).",
            },
            {"name": "calendars", "description": "Add to calendar, and private feeds."},
            {"name": "health", "description": "Liveness and readiness probes."},
        ],
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # slash_redirect does it, on public_base_url, not on Host
    )
    app.state.deps = deps
    app.add_middleware(LimitBody, max_bytes=deps.settings.http_max_body_bytes)
    app.add_middleware(NoSniff)
    app.add_middleware(AccessLog)  # added last: outermost, so it times and sees every answer
    app.add_exception_handler(status.HTTP_404_NOT_FOUND, slash_redirect)
    app.add_exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED, method_not_allowed)
    app.add_exception_handler(RateLimitedError, rate_limited)
    app.add_exception_handler(RequestValidationError, validation_problem)
    routers = (
        health,
        public.router,
        organizer.router,
        pages.router,
        links.router,
        manage.pages,
        manage.api,
        calendars.router,
    )
    for router in routers:
        app.include_router(router)
    _document_body_limit(app, deps.settings.http_max_body_bytes)
    if deps.metrics is not None:
        metrics = deps.metrics

        @app.get("/metrics", tags=["health"], include_in_schema=False)
        async def prometheus_metrics() -> Response:
            """Prometheus text format: jobs, deliveries, retries, lateness, reloads."""
            return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return app
