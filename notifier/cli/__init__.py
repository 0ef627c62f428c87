"""The ``notifier`` command line.

Each command lives in the module that needs it and is imported only when it runs, so
``notifier convert`` loads the time engine and click, not FastAPI, SQLAlchemy or Apprise
(``benchmarks/bench_cli.py`` measures the cold start). Settings are loaded here, in the
commands, once, and passed down.
"""

from __future__ import annotations

import importlib

import click

from notifier import __version__
from notifier.cli._options import HELP_OPTIONS

# name -> "module:attribute"; a new command is one line here plus its function
COMMANDS = {
    "convert": "notifier.cli.convert:convert",
    "validate": "notifier.cli.configs:validate",
    "schedule": "notifier.cli.configs:schedule",
    "import": "notifier.cli.importing:import_listing_command",
    "run": "notifier.cli.service:run",
    "demo": "notifier.cli.service:demo",
    "deliveries": "notifier.cli.service:deliveries",
    "register": "notifier.cli.register:register",
    "schema": "notifier.cli.schema:schema",
}


class LazyGroup(click.Group):
    """A group that imports a command's module when that command is asked for (click's
    documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(
    cls=LazyGroup,
    context_settings=HELP_OPTIONS,
    epilog="""\b
Examples:
  notifier validate config/events
  notifier schedule config/events --tz Asia/Tokyo
  notifier run --config config/events
  notifier COMMAND -h

\b
Shell completion (bash; zsh and fish likewise, see the README):
  eval "$(_NOTIFIER_COMPLETE=bash_source notifier)"
""",
)
@click.version_option(__version__, prog_name="notifier")
def main() -> None:
    """Time-zone-aware reminders for hybrid events."""
