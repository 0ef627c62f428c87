"""``notifier run``, ``notifier demo`` and ``notifier deliveries``: the service and its log."""

from __future__ import annotations

import json
import sys
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any

import click

from notifier.cli._options import HELP_OPTIONS, zone_callback
from notifier.cli._runner import cli_settings, run_async, with_store
from notifier.cli.demo import run_demo
from notifier.cli.tables import local_time, table_lines
from notifier.records import Delivery
from notifier.service import run_service
from notifier.times import format_duration


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier run --config config/events
  NOTIFIER_REDIS_URL=redis://localhost:6379/0 notifier run
  notifier run --config config/events --until-idle
""",
)
@click.option(
    "--config",
    "config",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Event config file or folder (repeatable; default NOTIFIER_CONFIG).",
)
@click.option("--until-idle", is_flag=True, help="Exit when no reminder is left to send.")
def run(config: tuple[Path, ...], until_idle: bool) -> None:
    """Run the service: schedule reminders from the config and deliver them."""
    settings = cli_settings(config=list(config) or None)
    sys.exit(run_async(run_service(settings, until_idle=until_idle)))


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier demo
  notifier demo --tz America/New_York --lead-s 30
""",
)
@click.option(
    "--tz",
    "timezone",
    default="Asia/Tokyo",
    show_default=True,
    help="The demo participant's time zone.",
)
@click.option(
    "--lead-s",
    default=60,
    show_default=True,
    type=click.IntRange(10, 3600),
    help="Seconds until the demo reminder is due.",
)
def demo(timezone: str, lead_s: int) -> None:
    """Create a demo event starting in a few minutes, register someone, deliver a reminder."""
    settings = cli_settings(log_format="console")  # a person is watching: readable log lines
    paths = run_async(
        run_demo(settings, timezone=timezone, lead=timedelta(seconds=lead_s), echo=click.echo)
    )
    if not paths:
        click.echo("error: the demo reminder was not delivered; see the log above", err=True)
        sys.exit(1)


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier deliveries
  notifier deliveries ccpcj-32-gitoc --tz Asia/Tokyo
  notifier deliveries ccpcj-32-gitoc --session human-smuggling-central-med --json
""",
)
@click.argument("event_id", required=False)
@click.option("--session", "session_id", help="Only this session's deliveries.")
@click.option(
    "--tz",
    "viewer",
    default="UTC",
    show_default=True,
    callback=zone_callback,
    help="Show times in this zone.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a list).")
def deliveries(event_id: str | None, session_id: str | None, viewer: tzinfo, as_json: bool) -> None:
    """Show the delivery log: every reminder outcome, with attempts and last error."""
    settings = cli_settings()
    found = run_async(with_store(settings, lambda s: s.list_deliveries(event_id, session_id)))
    if as_json:
        click.echo(json.dumps([_delivery_json(d) for d in found], indent=2))
        return
    if not found:
        scope = f" for {event_id or 'any event'}" if event_id or session_id else ""
        scope += f", session {session_id}" if session_id else ""
        click.echo(
            f"no deliveries yet{scope}; "
            "reminders appear here once `notifier run` sends them "
            "(`notifier schedule` previews when)"
        )
        return
    headers = ("UPDATED", "STATUS", "TRIES", "CHANNEL", "BEFORE", "SESSION", "TO", "LAST ERROR")
    click.echo("\n".join(table_lines(headers, [_delivery_row(d, viewer) for d in found])))


def _delivery_row(d: Delivery, viewer: tzinfo) -> tuple[str, ...]:
    return (
        local_time(d.updated_at, viewer),
        d.status,
        str(d.attempts),
        d.channel,
        format_duration(timedelta(seconds=d.ref.offset_s)),
        f"{d.ref.event_id}/{d.ref.session_id}",
        d.registration_id,
        d.last_error or "",
    )


def _delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "key": d.key,
        "event_id": d.ref.event_id,
        "session_id": d.ref.session_id,
        "session_start_utc": d.ref.start_utc.isoformat(),
        "offset_s": d.ref.offset_s,
        "registration_id": d.registration_id,
        "status": d.status,
        "attempts": d.attempts,
        "channel": d.channel,
        "last_error": d.last_error,
        "updated_at": d.updated_at.isoformat(),
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }
