"""Server-rendered pages: autoescaped Jinja2 in the reader's language, and the headers pages carry.

Starlette's default environment autoescapes only ``.html`` names, not our ``.html.j2``, so the
environments (one per language, :func:`notifier.i18n.environment`) autoescape every template.
Each page gets a fresh CSP nonce: its one inline script and style run, nothing injected would.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from notifier import i18n
from notifier.records import Language

# for HTML routes in the OpenAPI document: their bodies are pages, not JSON
HTML: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}


def html_response(description: str, json_schema: str | None = None) -> dict[str, Any]:
    """An OpenAPI response that is a page, or (``json_schema``) also FastAPI's own JSON error:
    a body FastAPI cannot parse is answered before our code runs, in JSON."""
    content = dict(HTML)
    if json_schema is not None:
        ref = f"#/components/schemas/{json_schema}"
        content["application/json"] = {"schema": {"$ref": ref}}
    return {"description": description, "content": content}


def json_problem(description: str) -> dict[str, Any]:
    """FastAPI's own JSON error on an HTML route (a body it could not parse)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def page_language(
    request: Request, *, chosen: str | None = None, event_default: str | None = None
) -> Language:
    """The language of a page: ``chosen`` (a registration's), the browser's, the event's, en."""
    return i18n.negotiate(
        chosen=chosen,
        accept_language=request.headers.get("accept-language"),
        event_default=event_default,
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    language: Language | None = None,
) -> HTMLResponse:
    """The page ``name`` with ``context`` in ``language`` (default: the browser's), and
    headers that keep tokens and scripts in."""
    nonce = secrets.token_urlsafe(16)
    home = request.scope.get("root_path", "") + "/"
    chosen = language or page_language(request)
    env = i18n.environment("notifier.api", chosen)
    values = {**context, "request": request, "nonce": nonce, "home": home}
    body = env.get_template(name).render(values)
    response = HTMLResponse(body, status_code=status_code)
    response.headers.update(
        {
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
            ),
            # confirm and unsubscribe URLs carry tokens: never hand them to a join link's host
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            # the page differs by the browser's language: caches must not mix them
            "Vary": "Accept-Language",
            "Content-Language": i18n.html_lang(chosen),
        }
    )
    return response
