"""The per-client limit on public POSTs: a 429 with ``Retry-After`` past it.

Counted in the store (Redis when Redis is the store), so every replica shares one count per
client. The client is the connection's peer address; behind a reverse proxy, run uvicorn with
``FORWARDED_ALLOW_IPS`` naming the proxy so that the peer is the real client and not the proxy.
"""

from __future__ import annotations

import math

from fastapi import Request, status
from fastapi.responses import JSONResponse, Response

from notifier.api._register import digest
from notifier.api._render import html_response, page_language, render
from notifier.api._request import Deps
from notifier.i18n import gettext_for


class RateLimitedError(Exception):
    """This client made too many public POSTs in the current window."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("too many requests")
        self.retry_after_s = max(1, math.ceil(retry_after_s))


async def client_limit(request: Request, deps: Deps) -> None:
    """Dependency of every public POST: count it against this client's window."""
    client = request.client.host if request.client else "unknown"
    settings = deps.settings
    retry_after_s = await deps.store.hit_limit(
        f"client:{digest(client)}",
        settings.public_post_limit,
        settings.public_post_window_s,
        deps.clock(),
    )
    if retry_after_s is not None:
        raise RateLimitedError(retry_after_s)


async def rate_limited(request: Request, exc: Exception) -> Response:
    """429 as JSON under ``/api/``, as a page elsewhere; both say when to try again."""
    wait_s = exc.retry_after_s if isinstance(exc, RateLimitedError) else 60
    headers = {"Retry-After": str(wait_s)}
    detail = f"too many requests from this address; try again in {wait_s} s"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": detail}, status.HTTP_429_TOO_MANY_REQUESTS, headers)
    language = page_language(request)
    _ = gettext_for(language)
    wait = _("Please wait %(seconds)s s and retry.") % {"seconds": wait_s}
    context = {"title": _("Too many requests"), "paragraphs": [wait]}
    code = status.HTTP_429_TOO_MANY_REQUESTS
    page = render(request, "message.html.j2", context, code, language=language)
    page.headers.update(headers)
    return page


TOO_MANY_PAGE = html_response("Too many requests from this client; see Retry-After")
