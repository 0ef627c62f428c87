"""Fixtures of the fault scenarios: a workspace for ``notifier run`` processes on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Workspace
from tests.support.processes import Children

SIGNING_SECRET = "f" * 48


@pytest.fixture
def fault_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """Outbox email, a fast catch-up pass; the test adds its Redis URL and HTTP port."""
    settings = {
        "NOTIFIER_EMAIL_BACKEND": "file",
        "NOTIFIER_SIGNING_SECRET": SIGNING_SECRET,
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
        "NOTIFIER_CONFIG_DEBOUNCE_MS": "50",
    }
    with Children() as children:
        yield Workspace.create(tmp_path, settings, children)
