"""The organizer's commands run in-process against the example events and a test's own store.

Each call runs the real CLI with its own process environment (``runner.invoke(env=...)``): the
repository's example events and an embedded SQLite store in the test's folder. Any
``NOTIFIER_`` variable of the host is unset for the call, so nothing leaks in. The fixtures
(``data_dir``, ``run``) are in tests/cli/conftest.py.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from notifier.cli import main
from notifier.records import Registration
from notifier.settings import PREFIX
from notifier.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "config" / "events"
EVENT = "ccpcj-32-gitoc"
SMUGGLING = "human-smuggling-central-med"
PALERMO = "palermo-convention-20-years"
REGISTERED = re.compile(r"^registered ([0-9a-f]{32}) for ccpcj-32-gitoc \((.*)\), zone (\S+)$")

Run = Callable[..., Result]


def cli_runner(data_dir: Path) -> Run:
    """Invoke ``notifier`` with NOTIFIER_CONFIG and NOTIFIER_DATA_DIR set for that call only."""
    runner = CliRunner()
    env: dict[str, str | None] = {
        name: None for name in os.environ if name.upper().startswith(PREFIX)
    }
    env |= {"NOTIFIER_CONFIG": str(EVENTS), "NOTIFIER_DATA_DIR": str(data_dir)}

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env=env)

    return invoke


def add_registration(run: Run, *args: str) -> tuple[str, str]:
    """``notifier register add`` for the CCPCJ example; (the new id, the scope it printed)."""
    result = run("register", "add", EVENT, *args)
    assert result.exit_code == 0, result.output
    match = REGISTERED.match(result.stdout.strip())
    assert match, result.stdout
    return match[1], match[2]


def stored_registrations(data_dir: Path) -> list[Registration]:
    """What the store holds, read with the store API (opened and closed here)."""

    async def read() -> list[Registration]:
        store = await open_store(f"sqlite:///{data_dir / 'notifier.db'}")
        try:
            return await store.list_registrations(EVENT)
        finally:
            await store.aclose()

    return asyncio.run(read())
