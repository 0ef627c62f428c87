"""``notifier run``, ``notifier demo`` and ``notifier deliveries``: the service and its log."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import click

from notifier.cli._runner import cli_settings, run_async, with_store
from notifier.cli.demo import run_demo
from notifier.service import run_service


@click.command()
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


@click.command()
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


@click.command()
@click.argument("event_id", required=False)
@click.option("--session", "session_id")
@click.option("--json", "as_json", is_flag=True)
def deliveries(event_id: str | None, session_id: str | None, as_json: bool) -> None:
    """Show the delivery log: every reminder outcome, with attempts and last error."""
    settings = cli_settings()
    found = run_async(with_store(settings, lambda s: s.list_deliveries(event_id, session_id)))
    rows = [
        {
            "key": d.key,
            "status": d.status,
            "attempts": d.attempts,
            "channel": d.channel,
            "last_error": d.last_error,
            "updated_at": d.updated_at.isoformat(),
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        }
        for d in found
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['status']:<8} {row['attempts']}  {row['key']}"
            + (f"  ({row['last_error']})" if row["last_error"] else "")
        )
