"""Reminder offsets: ``1d``, ``1h30m``, ``10m`` as exact durations (a day is 24 hours)."""

from __future__ import annotations

import re
from datetime import timedelta

from notifier.errors import TimeExpressionError

_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
MAX_OFFSET_S = 366 * 86400
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(text: str) -> timedelta:
    """``1h30m`` as a timedelta; an exact duration, not a wall-clock shift."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise TimeExpressionError(
            "invalid-duration",
            f'"{text}" is not a duration; write it like 1d, 1h, 10m or 1h30m',
            0,
        )
    seconds = sum(
        int(value) * size for value, (_, size) in zip(match.groups(), _UNITS, strict=True) if value
    )
    if seconds > MAX_OFFSET_S:
        raise TimeExpressionError(
            "invalid-duration", f'"{text}" is more than a year; reminders go at most 366d before', 0
        )
    if seconds == 0:
        raise TimeExpressionError("invalid-duration", f'"{text}" is zero; a reminder needs time', 0)
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``1h30m``, ``1d``."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in _UNITS[1:]:
        value, seconds = divmod(seconds, size)
        if value:
            parts.append(f"{value}{unit}")
    return "".join(parts) or "0s"
