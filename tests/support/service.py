"""The service opened in-process as a process would: a config folder, people, the settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from notifier.records import Registration
from notifier.settings import Settings
from notifier.store import open_store
from tests.support.events import event_yaml
from tests.support.fanout import SIGNING_SECRET, registration


async def service_settings(
    tmp_path: Path,
    store_url: str,
    start: datetime,
    *,
    reminders: tuple[str, ...] = ("10m",),
    people: Iterable[Registration] = (registration("ada"),),
    **overrides: Any,
) -> Settings:
    """Config with one session "talk" at ``start``, people registered, and the settings
    (the file outbox; ``overrides`` are more settings, or others than these)."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "side-events.yaml").write_text(
        event_yaml({"talk": start}, reminders=reminders), encoding="utf-8"
    )
    store = await open_store(store_url)
    try:
        for person in people:
            await store.add_registration(person)
    finally:
        await store.aclose()
    settings: dict[str, Any] = {
        "config": [config],
        "data_dir": tmp_path,
        "store_url": store_url,
        "redis_allow_volatile": True,  # the test's redis-server keeps no AOF
        "email_backend": "file",
        "reconcile_interval_s": 3600,
        "signing_secret": SecretStr(SIGNING_SECRET),
        # no HTTP API: the default port 8000 is shared by every test run on the machine
        "http_port": 0,
    }
    return Settings(**(settings | overrides))
