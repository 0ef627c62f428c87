"""structlog set-up: one JSON event per line on stderr, fixed snake_case event names."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import orjson
import structlog


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    """Route structlog (and the stdlib loggers of our libraries) to stderr."""
    numeric = logging.getLevelName(level.upper())
    renderer: structlog.typing.Processor
    factory: Callable[..., structlog.typing.WrappedLogger]
    out = getattr(sys.stderr, "buffer", None)  # a test's stand-in stderr may be text only
    if fmt == "json" and out is not None:
        # orjson renders straight to bytes (structlog's own fast set-up): a fan-out writes a
        # line per delivery, and json.dumps plus a text write cost a third more per line
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        factory = structlog.BytesLoggerFactory(file=out)
    elif fmt == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_text)
        factory = structlog.PrintLoggerFactory(file=sys.stderr)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.PrintLoggerFactory(file=sys.stderr)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=factory,
        cache_logger_on_first_use=True,  # configured once per process, before any line
    )
    # APScheduler and aiosmtplib log through the stdlib; keep their warnings, drop chatter
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")


def _text(document: object, **kw: Any) -> str:
    """The same compact JSON as the bytes path, as text, for a stderr without a byte layer."""
    return orjson.dumps(document, **kw).decode()
