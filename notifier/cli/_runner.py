"""The service commands' shared steps: settings loaded once, asyncio runs, the store opened.

Settings come from the environment (and ``.env``) here, once per command, and are passed down;
a bad setting is a usage error naming the variable. Errors from the service are printed as
what to fix, with exit status 2 for a bad config and 1 for anything else.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import click

from notifier.cli._options import utc_now
from notifier.configfiles import load_config_files
from notifier.errors import ConfigError, NotifierError, SettingsError
from notifier.events import Event
from notifier.logs import configure_logging
from notifier.settings import Settings, load_settings
from notifier.store import Store, open_store

T = TypeVar("T")


def cli_settings(**overrides: Any) -> Settings:
    """The settings (environment, ``.env``, then ``overrides``), and logging set up by them."""
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; a bad config exits 2 listing every problem, any other refusal exits 1."""
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


def config_event(settings: Settings, event_id: str) -> Event:
    """The event ``event_id`` from the configured files; a usage error naming the known ones."""
    config = load_config_files(settings.config, today=utc_now().date())
    for problem in config.problems:
        click.echo(str(problem), err=True)
    events = {e.id: e for e in config.events}
    if event_id not in events:
        known = ", ".join(sorted(events)) or "none"
        raise click.BadParameter(f'no event "{event_id}" in the config (known: {known})')
    return events[event_id]


async def with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured store, run ``action`` with it, close it whatever happens."""
    store = await open_store(settings.resolved_store_url)
    try:
        return await action(store)
    finally:
        await store.aclose()
