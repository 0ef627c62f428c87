"""One access log line per request: method, path (tokens hidden), status and duration.

uvicorn's own access log stays off: it prints the raw path, and ``/confirm/<token>`` and
``/unsubscribe/<token>`` are live credentials (a log reader could unsubscribe people). This
middleware logs through structlog, as JSON like every other line, with the path's token
segments as ``***`` and without the query string (``?tz=…`` today, anything tomorrow).
"""

from __future__ import annotations

import re
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("notifier.http")
# paths whose last segment is a signed token (notifier.api.links)
_TOKEN_PATHS = re.compile(r"^(/(?:confirm|unsubscribe)/)[^/]+")
# any other segment that looks like a token: long, and not plain words joined by hyphens
_TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[^/]*[0-9._~])[A-Za-z0-9._~-]{24,}(?=/|$)")
_MAX_PATH_CHARS = 200  # a path is logged, not stored: keep a line a line


def redact_path(path: str) -> str:
    """``/unsubscribe/eyJ…`` → ``/unsubscribe/***``; other token-like segments too."""
    path = _TOKEN_PATHS.sub(r"\1***", path)
    path = _TOKEN_SEGMENT.sub("***", path)
    return path if len(path) <= _MAX_PATH_CHARS else path[:_MAX_PATH_CHARS] + "…"


class AccessLog:
    """ASGI middleware: logs ``http_request`` once each request is answered (or fails)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            log.info(
                "http_request",
                method=scope["method"],
                path=redact_path(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - began) * 1000, 2),
            )
