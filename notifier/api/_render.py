"""Server-rendered pages: one autoescaped Jinja2 environment, and the headers pages carry.

Starlette's default environment autoescapes only ``.html`` names, not our ``.html.j2``, so the
environment is built here with autoescaping on for every template. Each page gets a fresh CSP
nonce: its one inline script and style run, nothing injected would.
"""

from __future__ import annotations

import secrets
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from notifier.times import utc_z

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("notifier.api", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # strings are marked {{ _("…") }}; the language catalogs are installed over these
    extensions=["jinja2.ext.i18n"],
)
_ENV.install_null_translations(newstyle=True)  # type: ignore[attr-defined]  # added by ext.i18n
_ENV.filters["utc_z"] = utc_z
templates = Jinja2Templates(env=_ENV)

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


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """The page ``name`` with ``context``, and headers that keep tokens and scripts in."""
    nonce = secrets.token_urlsafe(16)
    home = request.scope.get("root_path", "") + "/"
    response = templates.TemplateResponse(
        request, name, {**context, "nonce": nonce, "home": home}, status_code=status_code
    )
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
        }
    )
    return response
