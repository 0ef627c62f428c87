"""An organizer's own words: the ``templates:`` of an event config, rendered in a sandbox.

Organizers are trusted less than our code: their templates run in Jinja2's sandbox (no
attribute access to internals, no imports) with ``StrictUndefined``, so a misspelt variable is
an error, found by ``notifier validate`` (:func:`check_event_templates`, against a sample
session) with the file line where it sits. They get the same variables as the built-in
templates (docs/languages.md lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from notifier.events.model import MessageTemplate

_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}
# mail text and subject, never HTML: escaping would show &amp; to the reader
_TEXT = SandboxedEnvironment(autoescape=False, **_OPTIONS)
_HTML = SandboxedEnvironment(autoescape=True, **_OPTIONS)
# the organizer's text as the HTML part, when they wrote no HTML of their own
_TEXT_AS_HTML = _HTML.from_string(
    '<!doctype html>\n<html lang="{{ lang }}" dir="{{ dir }}"><head><meta charset="utf-8">'
    '</head>\n<body><pre style="white-space: pre-wrap; font-family: inherit">{{ text }}</pre>'
    "</body></html>\n"
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class TemplateRenderError(Exception):
    """An organizer's template failed: ``field`` (subject, text, html), its ``line``, why."""

    def __init__(self, template: MessageTemplate, field: str, line: int, reason: str) -> None:
        self.template = template
        self.field = field
        self.line = line  # in the template; template.line_of() gives the file's
        self.reason = reason
        super().__init__(f"{template.kind} template ({template.language}, {field}): {reason}")


def render_message(
    template: MessageTemplate, values: Mapping[str, Any], *, lang: str, direction: str
) -> Rendered:
    """Subject (one line), text and HTML of ``template`` with ``values``."""
    subject = " ".join(_render(_TEXT, template, "subject", values).split())
    text = _render(_TEXT, template, "text", values)
    if template.html is not None:
        html = _render(_HTML, template, "html", {**values, "lang": lang, "dir": direction})
    else:
        html = _TEXT_AS_HTML.render(text=text, lang=lang, dir=direction)
    return Rendered(subject, text, html)


def _render(
    env: SandboxedEnvironment, template: MessageTemplate, field: str, values: Mapping[str, Any]
) -> str:
    source = getattr(template, field)
    try:
        return env.from_string(source).render(values)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRenderError(template, field, exc.lineno, exc.message or str(exc)) from exc
    except Exception as exc:  # any failure inside the organizer's template is theirs to fix
        reason = str(exc) or type(exc).__name__
        raise TemplateRenderError(
            template, field, _template_line(exc.__traceback__), reason
        ) from exc


def _template_line(tb: TracebackType | None) -> int:
    """The template line Jinja2 was at: it rewrites tracebacks to frames of ``<template>``."""
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
