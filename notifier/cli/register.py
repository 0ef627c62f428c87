"""``notifier register``: add, remove, list or import registrations as the organizer.

Organizer-entered registrations start confirmed (no double opt-in: the organizer vouches for
them); a webhook's URL is checked against the address guard before it is stored.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import click

from notifier.channels import AddressGuard, check_destination, webhook_secret
from notifier.cli._runner import cli_settings, config_event, run_async, with_store
from notifier.errors import RegistrationError, SettingsError
from notifier.events import Event
from notifier.records import ATTENDANCE, LANGUAGES
from notifier.registrations import RegistrationInput, build_registration, read_csv
from notifier.settings import Settings, signing_secret
from notifier.store import Store


@click.group()
def register() -> None:
    """Add, remove, list or import registrations."""


@register.command("add")
@click.argument("event_id")
@click.option("--email")
@click.option("--webhook", "webhook_url")
@click.option("--tz", "timezone", default="UTC", show_default=True)
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


@register.command("secret")
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


@register.command("remove")
@click.argument("registration_id")
def register_remove(registration_id: str) -> None:
    """Remove a registration (its delivery history stays)."""
    settings = cli_settings()
    removed = run_async(with_store(settings, lambda s: s.remove_registration(registration_id)))
    click.echo(f"removed {registration_id}" if removed else f"no registration {registration_id}")
    sys.exit(0 if removed else 1)


@register.command("list")
@click.argument("event_id", required=False)
def register_list(event_id: str | None) -> None:
    """List registrations, optionally for one event."""
    settings = cli_settings()
    found = run_async(with_store(settings, lambda s: s.list_registrations(event_id)))
    for r in found:
        scope = ",".join(r.sessions) if r.sessions else "*"
        address = r.email or r.webhook_url
        click.echo(f"{r.id}  {r.event_id}  {address}  {r.timezone}  {r.attendance}  {scope}")


@register.command("import")
@click.argument("event_id")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))  # Excel writes a BOM
def register_import(event_id: str, csv_file: Any) -> None:
    """Import a CSV (email,timezone,sessions[,webhook_url]); prints one line per row."""
    settings = cli_settings()
    event = config_event(settings, event_id)
    text = csv_file.read()
    guard = AddressGuard(settings.webhook_allowed_networks)
    failures = run_async(with_store(settings, lambda s: _import_rows(s, event, text, guard)))
    sys.exit(1 if failures else 0)


async def _import_rows(store: Store, event: Event, text: str, guard: AddressGuard) -> int:
    failures = 0
    for row in read_csv(text):
        if row.given is None:
            click.echo(f"row {row.row}: error: {row.problem}")
            failures += 1
            continue
        try:
            registration = build_registration(event, row.given, datetime.now(UTC))
            if registration.webhook_url:  # the same guard as the API and `register add`
                await check_destination(registration.webhook_url, guard)
        except RegistrationError as exc:
            click.echo(f"row {row.row}: error: {exc.field}: {exc.message}")
            failures += 1
            continue
        stored = await store.add_registration(registration)
        click.echo(f"row {row.row}: ok: {stored.id}")
    return failures
