"""What the commands share: the one clock read and the zone options.

Light on purpose: ``notifier convert`` imports it, so it needs only click and the time engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from notifier.errors import TimeExpressionError
from notifier.times import load_zone

# on every command, not only the group: click caches a command's help option the first time it
# is built, so a command called on its own (as tests do) must not fix it at --help alone
HELP_OPTIONS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def utc_now() -> datetime:
    # the one clock read of the CLI; everything below takes it as an argument
    return datetime.now(UTC)


def zone_callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Click callback: IANA names to zones, with the time engine's own error message."""
    try:
        if isinstance(value, tuple):
            return tuple(load_zone(v) for v in value)
        return load_zone(value) if value else None
    except TimeExpressionError as exc:
        raise click.BadParameter(exc.message) from exc


def zone_name_callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Click callback: an IANA name, checked, kept as its canonical name (or None)."""
    if value is None:
        return None
    try:
        return load_zone(value).key
    except TimeExpressionError as exc:
        raise click.BadParameter(exc.message) from exc
