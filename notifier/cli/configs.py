"""``notifier validate`` and ``notifier schedule``: check config files, preview reminders.

``schedule`` reads the same reminder plan as the service (:func:`notifier.jobs.plan_reminders`
over :func:`notifier.jobs.reminders_of`), so the preview is what ``notifier run`` will do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import click

from notifier.cli._options import HELP_OPTIONS, utc_now, zone_callback
from notifier.cli.render import reminder_lines, schedule_json, session_lines, summary_line
from notifier.configfiles import load_config_files
from notifier.events import Event, Problem
from notifier.jobs import plan_reminders
from notifier.times import utc_z


def _instant_callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """``2027-03-13``, ``2027-03-13T21:00``, ``2027-03-13T21:00:30+01:00`` or ``…Z``."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date or date-time such as 2027-03-13T21:00"
        ) from exc


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier validate config/events
  notifier validate --strict config/events/ccpcj-32-gitoc.yaml

\b
Every problem of every file is listed at once as FILE:LINE:COLUMN; the exit status is 1
when any file has an error (with --strict, also a warning).
""",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Check event config files (or folders of them); list every problem."""
    config = load_config_files(paths, today=utc_now().date())
    if not config.files:
        click.echo("error: no .yaml or .yml files found", err=True)
        sys.exit(1)
    # the organizer's templates, rendered against a sample session (a file that loaded)
    rendering = _template_problems(config.events)
    for problem in sorted([*config.problems, *rendering], key=_where):
        click.echo(str(problem), err=problem.severity == "error" or strict)
    for loaded in config.files:
        failed = sum(1 for p in rendering if p.source == loaded.source)
        click.echo(summary_line(loaded) if not failed else f"{loaded.source}: {failed} error(s)")
    warned = any(loaded.warnings for loaded in config.files)
    if not config.ok or rendering or (strict and warned):
        sys.exit(1)


def _template_problems(events: Sequence[Event]) -> list[Problem]:
    """Render errors of the organizers' own templates; the channels load only when there are any."""
    if not any(event.templates for event in events):
        return []  # most files have none: spare `validate` the channels' imports (Babel, Apprise)
    from notifier.channels.samples import check_event_templates

    return [problem for event in events for problem in check_event_templates(event)]


def _where(problem: Problem) -> tuple[str, int, int]:
    return problem.source, problem.line, problem.column


@click.command(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier schedule config/events --tz Asia/Tokyo
  notifier schedule config/events/ccpcj-32-gitoc.yaml --from 2023-05-01 --json
""",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--tz", "viewer", default="UTC", callback=zone_callback, help="Show times in this zone."
)
@click.option(
    "--from",
    "start",
    callback=_instant_callback,
    help="Reference instant for 'past' (ISO 8601, such as 2027-03-13T21:00 or "
    "2027-03-13T21:00+01:00; without an offset: UTC). Default: now.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def schedule(
    paths: tuple[Path, ...], viewer: tzinfo, start: datetime | None, as_json: bool
) -> None:
    """Preview every reminder the config would send, sorted by send time."""
    now = _aware(start).astimezone(UTC) if start else utc_now()
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
    click.echo(f"\n{len(planned)} reminders, {past} already past at {utc_z(now)}")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
