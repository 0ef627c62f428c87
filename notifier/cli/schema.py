"""``notifier schema``: print the JSON Schema of an event file for editors."""

from __future__ import annotations

import click

from notifier.cli._options import HELP_OPTIONS
from notifier.events.schema import event_schema_text

EXAMPLES = """\b
Examples:
  notifier schema > schema/event.schema.json
  notifier schema | jq '.properties | keys'
"""


@click.command(context_settings=HELP_OPTIONS, epilog=EXAMPLES)
def schema() -> None:
    """Print the JSON Schema of an event file (for VS Code and other YAML editors)."""
    click.echo(event_schema_text(), nl=False)
