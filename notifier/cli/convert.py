"""``notifier convert``: one listing time to exact instants, in any zone.

Imports only click and the time engine: it is the command people run by hand, so it must
start at once (``benchmarks/bench_cli.py``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import click

from notifier.cli._options import HELP_OPTIONS, utc_now, zone_callback
from notifier.errors import TimeExpressionError
from notifier.times import ResolvedTime, TimeContext, format_range, parse_when, utc_z
from notifier.times.zones import format_offset, zone_label


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier convert "Tuesday 23 May 09:10-10:00 CEST" --year 2023 --to Asia/Tokyo
  notifier convert "1–1.50 p.m." --zone Europe/Vienna --date 2024-10-14
  notifier convert "by 11:59 p.m. ET on 1 March 2025" --json
""",
)
@click.argument("expression")
@click.option("--zone", "venue", help="Venue zone (IANA) for a time written without one.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Day for a time-only row.")
@click.option("--year", type=click.IntRange(1900, 2200), help="Year for a date without one.")
@click.option(
    "--to", "targets", multiple=True, callback=zone_callback, help="Also show in this zone."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def convert(
    expression: str,
    venue: str | None,
    day: datetime | None,
    year: int | None,
    targets: tuple[tzinfo, ...],
    as_json: bool,
) -> None:
    """Turn a listing time such as "Tuesday 23 May 09:10-10:00 CEST" into exact instants."""
    context = TimeContext(
        zone=venue, year=year, day=day.date() if day else None, today=utc_now().date()
    )
    try:
        resolved = parse_when(expression, context)
    except TimeExpressionError as exc:
        _fail_expression(expression, exc, as_json)
    zones = (UTC, *targets)
    if as_json:
        click.echo(json.dumps(conversion_json(resolved, zones), indent=2, ensure_ascii=False))
        return
    for line in conversion_lines(resolved, zones):
        click.echo(line)
    for warning in resolved.warnings:
        click.echo(f"warning: {warning.message} [{warning.code}]", err=True)


def _fail_expression(expression: str, exc: TimeExpressionError, as_json: bool) -> None:
    if as_json:
        error = {"code": exc.code, "message": exc.message, "column": exc.column}
        click.echo(json.dumps({"error": error}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"error: {exc.message} [{exc.code}]", err=True)
        if exc.column is not None:
            click.echo(f"  {expression}\n  {' ' * exc.column}^", err=True)
    sys.exit(1)


def conversion_lines(resolved: ResolvedTime, targets: Sequence[tzinfo]) -> list[str]:
    """One line per zone: the written zone first, then UTC, then each ``--to`` zone."""
    rows = [(f"{resolved.zone} (as written)", resolved.tz)]
    rows += [(zone_label(tz), tz) for tz in targets]
    width = max(len(name) for name, _ in rows)
    return [
        f"{name:<{width}}  {format_range(resolved.start, resolved.end, tz)}" for name, tz in rows
    ]


def _local(moment: datetime | None, tz: tzinfo) -> dict[str, Any] | None:
    if moment is None:
        return None
    local = moment.astimezone(tz)
    return {
        "local": local.isoformat(timespec="minutes"),
        "abbreviation": local.tzname(),
        "utc_offset": format_offset(local.utcoffset() or timedelta(0)),
    }


def conversion_json(resolved: ResolvedTime, targets: Sequence[tzinfo]) -> dict[str, Any]:
    return {
        "zone": resolved.zone,
        "start": resolved.start.isoformat(timespec="minutes"),
        "end": resolved.end.isoformat(timespec="minutes") if resolved.end else None,
        "start_utc": utc_z(resolved.start),
        "end_utc": utc_z(resolved.end) if resolved.end else None,
        "warnings": [{"code": w.code, "message": w.message} for w in resolved.warnings],
        "conversions": [
            {
                "zone": zone_label(tz),
                "start": _local(resolved.start, tz),
                "end": _local(resolved.end, tz),
            }
            for tz in targets
        ],
    }
