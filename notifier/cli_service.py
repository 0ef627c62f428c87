"""Service commands: run, demo, register, deliveries. Settings are loaded here, once."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from notifier.channels import AddressGuard, check_destination, webhook_secret
from notifier.configfiles import load_config_files
from notifier.demo import run_demo
from notifier.errors import ConfigError, NotifierError, RegistrationError, SettingsError
from notifier.events import Event
from notifier.logs import configure_logging
from notifier.registrations import RegistrationInput, build_registration, read_csv
from notifier.service import run_service
from notifier.settings import Settings, load_settings, signing_secret
from notifier.store import open_store
from notifier.store.base import Store

T = TypeVar("T")


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo("error: the config has errors; nothing was started", err=True)
        sys.exit(2)
    except NotifierError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


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
    settings = _settings(config=list(config) or None)
    sys.exit(_run(run_service(settings, until_idle=until_idle)))


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
    settings = _settings(log_format="console")  # a person is watching: readable log lines
    paths = _run(
        run_demo(settings, timezone=timezone, lead=timedelta(seconds=lead_s), echo=click.echo)
    )
    if not paths:
        click.echo("error: the demo reminder was not delivered; see the log above", err=True)
        sys.exit(1)


@click.group()
def register() -> None:
    """Add, remove, list or import registrations."""


def _event(settings: Settings, event_id: str) -> Event:
    config = load_config_files(settings.config, today=datetime.now(UTC).date())
    for problem in config.problems:
        click.echo(str(problem), err=True)
    events = {e.id: e for e in config.events}
    if event_id not in events:
        known = ", ".join(sorted(events)) or "none"
        raise click.BadParameter(f'no event "{event_id}" in the config (known: {known})')
    return events[event_id]


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    store = await open_store(settings.resolved_store_url)
    try:
        return await action(store)
    finally:
        await store.aclose()


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
    type=click.Choice(["onsite", "online", "undecided"]),
)
def register_add(
    event_id: str,
    email: str | None,
    webhook_url: str | None,
    timezone: str,
    sessions: tuple[str, ...],
    attendance: str,
) -> None:
    """Register an email address and/or webhook URL for an event's sessions."""
    settings = _settings()
    event = _event(settings, event_id)
    given = RegistrationInput(email, webhook_url, timezone, sessions or None, attendance)
    try:
        registration = build_registration(event, given, datetime.now(UTC))
        if registration.webhook_url:
            guard = AddressGuard(settings.webhook_allowed_networks)
            asyncio.run(check_destination(registration.webhook_url, guard))
    except RegistrationError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.field) from None
    stored = _run(_with_store(settings, lambda s: s.add_registration(registration)))
    scope = ", ".join(stored.sessions) if stored.sessions else "all sessions"
    click.echo(f"registered {stored.id} for {event_id} ({scope}), zone {stored.timezone}")
    if stored.webhook_url:
        secret = webhook_secret(signing_secret(settings), stored.id)
        click.echo(f"webhook signing secret (give it to the receiver): {secret}")


@register.command("secret")
@click.argument("registration_id")
def register_secret(registration_id: str) -> None:
    """Print the whsec_ secret a webhook receiver verifies this registration's POSTs with."""
    settings = _settings()
    click.echo(webhook_secret(signing_secret(settings), registration_id))


@register.command("remove")
@click.argument("registration_id")
def register_remove(registration_id: str) -> None:
    """Remove a registration (its delivery history stays)."""
    settings = _settings()
    removed = _run(_with_store(settings, lambda s: s.remove_registration(registration_id)))
    click.echo(f"removed {registration_id}" if removed else f"no registration {registration_id}")
    sys.exit(0 if removed else 1)


@register.command("list")
@click.argument("event_id", required=False)
def register_list(event_id: str | None) -> None:
    """List registrations, optionally for one event."""
    settings = _settings()
    found = _run(_with_store(settings, lambda s: s.list_registrations(event_id)))
    for r in found:
        scope = ",".join(r.sessions) if r.sessions else "*"
        address = r.email or r.webhook_url
        click.echo(f"{r.id}  {r.event_id}  {address}  {r.timezone}  {r.attendance}  {scope}")


@register.command("import")
@click.argument("event_id")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))  # Excel writes a BOM
def register_import(event_id: str, csv_file: Any) -> None:
    """Import a CSV (email,timezone,sessions[,webhook_url]); prints one line per row."""
    settings = _settings()
    event = _event(settings, event_id)
    text = csv_file.read()
    failures = _run(_with_store(settings, lambda s: _import_rows(s, event, text)))
    sys.exit(1 if failures else 0)


async def _import_rows(store: Store, event: Event, text: str) -> int:
    failures = 0
    for row in read_csv(text):
        if row.given is None:
            click.echo(f"row {row.row}: error: {row.problem}")
            failures += 1
            continue
        try:
            registration = build_registration(event, row.given, datetime.now(UTC))
        except RegistrationError as exc:
            click.echo(f"row {row.row}: error: {exc.field}: {exc.message}")
            failures += 1
            continue
        stored = await store.add_registration(registration)
        click.echo(f"row {row.row}: ok: {stored.id}")
    return failures


@click.command()
@click.argument("event_id", required=False)
@click.option("--session", "session_id")
@click.option("--json", "as_json", is_flag=True)
def deliveries(event_id: str | None, session_id: str | None, as_json: bool) -> None:
    """Show the delivery log: every reminder outcome, with attempts and last error."""
    settings = _settings()
    found = _run(_with_store(settings, lambda s: s.list_deliveries(event_id, session_id)))
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
