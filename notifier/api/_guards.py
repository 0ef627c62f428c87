"""What every request and response passes through: limits, headers, redirects, safe errors.

- :class:`LimitBody`: a body over ``http_max_body_bytes`` is answered 413 before it is read
  whole (by ``Content-Length`` at once, or while a chunked body streams in).
- :class:`NoSniff`: every response says ``X-Content-Type-Options: nosniff``, so a browser
  never runs JSON that echoes input as a script or a page.
- :func:`slash_redirect`: ``/api/v1/events/`` → ``/api/v1/events`` on the configured public
  base URL. Starlette's own redirect builds the address from the ``Host`` header, which
  anyone can set: an open redirect to their site.
- :func:`validation_problem`: FastAPI's 422, also when the JSON held ``NaN`` or ``Infinity``
  (Python's parser accepts them; echoing them back in strict JSON was a 500).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notifier.api._request import get_deps, public_base_url


class BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        detail = f"the request body is larger than {max_bytes} bytes; send less"
        super().__init__(413, detail)


class LimitBody:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            too_large = BodyTooLarge(self.max_bytes)
            await JSONResponse({"detail": too_large.detail}, 413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # chunked: no Content-Length to judge by
                raise BodyTooLarge(self.max_bytes)  # FastAPI answers it as a 413
            return message

        await self.app(scope, limited, send)


class NoSniff:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_header)


async def slash_redirect(request: Request, exc: Exception) -> Response:
    """404 handler: a path that is a route but for its trailing slash is redirected (307)."""
    if not isinstance(exc, HTTPException):
        raise exc
    path = request.scope["path"]
    if path != "/" and not _is_route(request, path):
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        if other and _is_route(request, other):
            query = request.scope.get("query_string", b"").decode("latin-1")
            location = public_base_url(get_deps(request)) + quote(other, safe="/:@!$&'()*+,;=-._~")
            return RedirectResponse(location + (f"?{query}" if query else ""), 307)
    return await http_exception_handler(request, exc)


def _is_route(request: Request, path: str) -> bool:
    scope = {**request.scope, "path": path}
    return any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes)


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own 422 body, with non-finite numbers written as text."""
    if not isinstance(exc, RequestValidationError):
        raise exc
    return JSONResponse({"detail": _finite(jsonable_encoder(exc.errors()))}, 422)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": strict JSON has no such numbers
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value
