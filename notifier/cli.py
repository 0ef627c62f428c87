"""The ``notifier`` command: convert listing times, validate configs, preview schedules."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import click

from notifier import __version__, cli_import, cli_service
from notifier.configfiles import load_config_files
from notifier.errors import TimeExpressionError
from notifier.jobs import plan_reminders
from notifier.render import (
    conversion_json,
    conversion_lines,
    reminder_lines,
    schedule_json,
    session_lines,
    summary_line,
)
from notifier.times import TimeContext, load_zone, parse_when


def _zone(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Click callback: IANA names to zones, with the time engine's own error message."""
    try:
        if isinstance(value, tuple):
            return tuple(load_zone(v) for v in value)
        return load_zone(value) if value else None
    except TimeExpressionError as exc:
        raise click.BadParameter(exc.message) from exc


def _now() -> datetime:
    # the one clock read of the CLI; everything below takes it as an argument
    return datetime.now(UTC)


@click.group()
@click.version_option(__version__, prog_name="notifier")
def main() -> None:
    """Time-zone-aware reminders for hybrid events."""


@main.command()
@click.argument("expression")
@click.option("--zone", "venue", help="Venue zone (IANA) for a time written without one.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Day for a time-only row.")
@click.option("--year", type=click.IntRange(1900, 2200), help="Year for a date without one.")
@click.option("--to", "targets", multiple=True, callback=_zone, help="Also show in this zone.")
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
        zone=venue, year=year, day=day.date() if day else None, today=_now().date()
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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Check event config files (or folders of them); list every problem."""
    config = load_config_files(paths, today=_now().date())
    if not config.files:
        click.echo("error: no .yaml or .yml files found", err=True)
        sys.exit(1)
    for problem in config.problems:
        click.echo(str(problem), err=problem.severity == "error" or strict)
    for loaded in config.files:
        click.echo(summary_line(loaded))
    warned = any(loaded.warnings for loaded in config.files)
    if not config.ok or (strict and warned):
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--tz", "viewer", default="UTC", callback=_zone, help="Show times in this zone.")
@click.option(
    "--from",
    "start",
    type=click.DateTime(
        ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
    ),
    help="Reference instant for 'past' (ISO 8601; without an offset: UTC). Default: now.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def schedule(
    paths: tuple[Path, ...], viewer: tzinfo, start: datetime | None, as_json: bool
) -> None:
    """Preview every reminder the config would send, sorted by send time."""
    now = _aware(start) if start else _now()
    config = load_config_files(paths, today=now.date())
    if not config.ok:
        for problem in config.problems:
            click.echo(str(problem), err=True)
        click.echo(
            "error: fix the problems above; nothing is scheduled from a bad config", err=True
        )
        sys.exit(1)
    planned = plan_reminders(config.events, now, viewer)
    if as_json:
        click.echo(json.dumps(schedule_json(config, planned, viewer), indent=2, ensure_ascii=False))
        return
    click.echo("\n".join(session_lines(config.events, viewer)))
    click.echo("")
    click.echo("\n".join(reminder_lines(planned, viewer)))
    past = sum(1 for r in planned if r.past)
    click.echo(f"\n{len(planned)} reminders, {past} already past at {now:%Y-%m-%d %H:%M} UTC")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


for _command in (cli_service.run, cli_service.demo, cli_service.register, cli_service.deliveries):
    main.add_command(_command)
main.add_command(cli_import.import_listing_command)
