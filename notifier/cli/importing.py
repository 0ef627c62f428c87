"""``notifier import``: a published listing (text, Markdown or HTML) to a draft event config.

The thin I/O around :func:`notifier.listing.import_listing`: read the file or stdin, write
the YAML, print the report on stderr as ``SOURCE:LINE: …``. The exit status is 0 when a
config was written (even with report lines) and 1 when nothing could be imported; with
``--strict``, also 1 when any time or timed row could not be placed (the draft is still
written, so the organizer can compare it with the report).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import IO, Any

import click

from notifier.cli._options import HELP_OPTIONS, utc_now, zone_name_callback
from notifier.cli.progress import stage_bars
from notifier.listing import ImportOptions, import_listing

_EVENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def _check_event_id(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None and not _EVENT_ID.fullmatch(value):
        raise click.BadParameter(
            f'"{value}" must be lowercase letters, digits and hyphens (at most 64), like ccpcj-32'
        )
    return value


@click.command(
    "import",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier import side-events.txt --zone Europe/Vienna --year 2024 -o config/events/cop12.yaml
  notifier import programme.html --strict -o draft.yaml
  pbpaste | notifier import - --zone Asia/Tokyo

\b
A listing of 500 lines or more shows progress bars on stderr when it is a terminal.
""",
)
@click.argument("listing", type=click.File("r", encoding="utf-8"))
@click.option("--zone", callback=zone_name_callback, help="Venue zone (IANA), e.g. Europe/Vienna.")
@click.option("--year", type=click.IntRange(1900, 2200), help="Year for dates without one.")
@click.option("--event-id", callback=_check_event_id, help="Event id (default: from the name).")
@click.option("--name", help="Event name (default: the listing's heading).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the YAML here instead of standard output.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 if any time or timed row of the listing could not be placed.",
)
def import_listing_command(
    listing: IO[str],
    zone: str | None,
    year: int | None,
    event_id: str | None,
    name: str | None,
    output: Path | None,
    strict: bool,
) -> None:
    """Turn a published listing (FILE, or - for stdin) into a draft event config."""
    source = "<stdin>" if listing.name == "<stdin>" else str(listing.name)
    try:
        raw = listing.read()
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{source} is not UTF-8 text: {exc}") from exc
    # the one clock read: a listing without a year is dated by the weekday nearest today
    today = utc_now().date()
    options = ImportOptions(source, zone, year, event_id, name, today)
    with stage_bars(raw.count("\n")) as tick:
        result = import_listing(raw, options, tick)
    for line in result.report_lines(source):
        click.echo(line, err=True)
    if result.yaml_text is None:
        click.echo(
            f"error: nothing could be imported from {source}: "
            + (
                "no session whose time resolves (see the lines above)"
                if result.report
                else "no line in it holds a time of day"
            ),
            err=True,
        )
        sys.exit(1)
    if output is None:
        click.echo(result.yaml_text, nl=False)
    else:
        try:
            output.write_text(result.yaml_text, encoding="utf-8")
        except OSError as exc:
            raise click.FileError(str(output), hint=exc.strerror or str(exc)) from exc
    click.echo(f"{result.session_count} session(s) imported from {source}", err=True)
    if strict and result.dropped:
        click.echo(
            f"error: {result.dropped} time(s) or row(s) of {source} could not be placed "
            "(--strict); see the lines above",
            err=True,
        )
        sys.exit(1)
