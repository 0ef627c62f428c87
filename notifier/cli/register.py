"""``notifier register``: add, remove, list or import registrations as the organizer.

Organizer-entered registrations start confirmed (no double opt-in: the organizer vouches for
them); a webhook's URL is checked against the address guard before it is stored.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import click

from notifier.channels import AddressGuard, check_destination, webhook_secret
from notifier.cli._options import HELP_OPTIONS, zone_callback
from notifier.cli._runner import cli_settings, config_event, run_async, with_store
from notifier.cli.progress import progress_bar
from notifier.cli.tables import local_time, table_lines
from notifier.errors import RegistrationError, SettingsError
from notifier.events import Event
from notifier.records import ATTENDANCE, LANGUAGES, Registration
from notifier.registrations import CsvRow, RegistrationInput, build_registration, read_csv
from notifier.settings import Settings, signing_secret
from notifier.store import Store


@click.group(
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register add ccpcj-32-gitoc --email ada@example.org --tz Asia/Tokyo
  notifier register list ccpcj-32-gitoc --tz Asia/Tokyo
  notifier register import ccpcj-32-gitoc participants.csv
""",
)
def register() -> None:
    """Add, remove, list or import registrations."""


@register.command(
    "add",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register add ccpcj-32-gitoc --email ada@example.org --tz Asia/Tokyo
  notifier register add ccpcj-32-gitoc --email ada@example.org \\
      --session human-smuggling-central-med --attendance online
  notifier register add ccpcj-32-gitoc --webhook https://hooks.example.org/notify
""",
)
@click.argument("event_id")
@click.option("--email", help="Email address to remind.")
@click.option("--webhook", "webhook_url", help="Webhook URL to POST reminders to.")
@click.option(
    "--tz", "timezone", default="UTC", show_default=True, help="The participant's IANA zone."
)
@click.option("--session", "sessions", multiple=True, help="Session id (repeatable; default all).")
@click.option(
    "--attendance",
    default="undecided",
    show_default=True,
    type=click.Choice(ATTENDANCE),
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    help="What reminders are written in (default: the event's language, else en).",
)
def register_add(
    event_id: str,
    email: str | None,
    webhook_url: str | None,
    timezone: str,
    sessions: tuple[str, ...],
    attendance: str,
    language: str | None,
) -> None:
    """Register an email address and/or webhook URL for an event's sessions."""
    settings = cli_settings()
    event = config_event(settings, event_id)
    given = RegistrationInput(
        email, webhook_url, timezone, sessions or None, attendance, language=language
    )
    try:
        registration = build_registration(event, given, datetime.now(UTC))
        if registration.webhook_url:
            guard = AddressGuard(settings.webhook_allowed_networks)
            asyncio.run(check_destination(registration.webhook_url, guard))
    except RegistrationError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.field) from None
    stored = run_async(with_store(settings, lambda s: s.add_registration(registration)))
    scope = ", ".join(stored.sessions) if stored.sessions else "all sessions"
    click.echo(f"registered {stored.id} for {event_id} ({scope}), zone {stored.timezone}")
    if stored.webhook_url:
        secret = webhook_secret(_server_secret(settings), stored.id)
        click.echo(f"webhook signing secret (give it to the receiver): {secret}")


@register.command(
    "secret",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register secret 3f2a9c0d5e6b4f718293a4b5c6d7e8f9
""",
)
@click.argument("registration_id")
def register_secret(registration_id: str) -> None:
    """Print the whsec_ secret a webhook receiver verifies this registration's POSTs with."""
    settings = cli_settings()
    click.echo(webhook_secret(_server_secret(settings), registration_id))


def _server_secret(settings: Settings) -> str:
    """The signing secret, or an error saying what to fix (a short or shared key file)."""
    try:
        return signing_secret(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@register.command(
    "remove",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register remove 3f2a9c0d5e6b4f718293a4b5c6d7e8f9
""",
)
@click.argument("registration_id")
def register_remove(registration_id: str) -> None:
    """Remove a registration (its delivery history stays)."""
    settings = cli_settings()
    removed = run_async(with_store(settings, lambda s: s.remove_registration(registration_id)))
    click.echo(f"removed {registration_id}" if removed else f"no registration {registration_id}")
    sys.exit(0 if removed else 1)


@register.command(
    "list",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register list
  notifier register list ccpcj-32-gitoc --tz Asia/Tokyo
  notifier register list ccpcj-32-gitoc --json | jq '.[].email'
""",
)
@click.argument("event_id", required=False)
@click.option(
    "--tz",
    "viewer",
    default="UTC",
    show_default=True,
    callback=zone_callback,
    help="Show times in this zone.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a list).")
def register_list(event_id: str | None, viewer: tzinfo, as_json: bool) -> None:
    """List registrations, optionally for one event."""
    settings = cli_settings()
    found = run_async(with_store(settings, lambda s: s.list_registrations(event_id)))
    if as_json:
        click.echo(json.dumps([_registration_json(r) for r in found], indent=2))
        return
    if not found:
        scope = f" for {event_id}" if event_id else ""
        example = event_id or "EVENT"
        click.echo(
            f"no registrations yet{scope}; add one with "
            f"`notifier register add {example} --email ADDRESS` or import a CSV"
        )
        return
    headers = ("ID", "EVENT", "ZONE", "ATTENDANCE", "STATUS", "SESSIONS", "REGISTERED", "ADDRESS")
    rows = [_registration_row(r, viewer) for r in found]
    click.echo("\n".join(table_lines(headers, rows)))


def _registration_row(r: Registration, viewer: tzinfo) -> tuple[str, ...]:
    return (
        r.id,
        r.event_id,
        r.timezone,
        r.attendance,
        "confirmed" if r.confirmed else "unconfirmed",
        ",".join(r.sessions) if r.sessions else "all",
        local_time(r.created_at, viewer),
        r.email or r.webhook_url or "",
    )


def _registration_json(r: Registration) -> dict[str, Any]:
    return {
        "id": r.id,
        "event_id": r.event_id,
        "email": r.email,
        "webhook_url": r.webhook_url,
        "timezone": r.timezone,
        "sessions": list(r.sessions) if r.sessions is not None else None,
        "attendance": r.attendance,
        "confirmed": r.confirmed,
        "created_at": r.created_at.isoformat(),
    }


@register.command(
    "import",
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier register import ccpcj-32-gitoc participants.csv
  notifier register import ccpcj-32-gitoc participants.csv > import-report.txt
  cat participants.csv | notifier register import ccpcj-32-gitoc -

\b
A CSV of 500 rows or more shows a progress bar on stderr when it is a terminal.
""",
)
@click.argument("event_id")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))  # Excel writes a BOM
def register_import(event_id: str, csv_file: Any) -> None:
    """Import a CSV (email,timezone,sessions[,webhook_url]); prints one line per row."""
    settings = cli_settings()
    event = config_event(settings, event_id)
    rows = list(read_csv(csv_file.read()))
    guard = AddressGuard(settings.webhook_allowed_networks)
    with progress_bar(len(rows), f"importing {csv_file.name}") as advance:
        failures = run_async(
            with_store(settings, lambda s: _import_rows(s, event, rows, guard, advance))
        )
    if not rows:
        click.echo(f"{csv_file.name} has no rows after its header; nothing imported")
    else:
        click.echo(f"{len(rows) - failures} of {len(rows)} row(s) imported, {failures} failed")
    sys.exit(1 if failures else 0)


async def _import_rows(
    store: Store,
    event: Event,
    rows: list[CsvRow],
    guard: AddressGuard,
    advance: Callable[[int], None],
) -> int:
    failures = 0
    for row in rows:
        ok = await _import_row(store, event, row, guard)
        failures += 0 if ok else 1
        advance(1)
    return failures


async def _import_row(store: Store, event: Event, row: CsvRow, guard: AddressGuard) -> bool:
    if row.given is None:
        click.echo(f"row {row.row}: error: {row.problem}")
        return False
    try:
        registration = build_registration(event, row.given, datetime.now(UTC))
        if registration.webhook_url:  # the same guard as the API and `register add`
            await check_destination(registration.webhook_url, guard)
    except RegistrationError as exc:
        click.echo(f"row {row.row}: error: {exc.field}: {exc.message}")
        return False
    stored = await store.add_registration(registration)
    click.echo(f"row {row.row}: ok: {stored.id}")
    return True
