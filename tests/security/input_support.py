"""Helpers for the input and secret tests: the API with real parts, the CLI and daemon as
processes, and the tally behind the security report.

The API runs with a real SQLite store, the file outbox, the real webhook address guard and a
clock the test moves. The store is opened in the loop that serves the app (the ASGI
lifespan), as the daemon does. ``notifier`` commands run as subprocesses with their settings
in the environment; the test process's own environment is never edited.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from notifier.api import ApiDeps, create_app
from notifier.channels import (
    AddressGuard,
    OutboxChannel,
    WebhookChannel,
    check_destination,
    webhook_secret,
)
from notifier.configfiles import load_config_files
from notifier.events import Event
from notifier.records import Registration
from notifier.settings import PREFIX, Settings
from notifier.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "events"
NOTIFIER = str(Path(sys.executable).parent / "notifier")
PUBLIC_BASE_URL = "https://reminders.example.org"
SIGNING_SECRET = "security-tests-signing-secret-32-bytes-long"  # noqa: S105  # a test value
START = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
CCPCJ = "ccpcj-32-gitoc"
REGISTER_URL = f"/api/v1/events/{CCPCJ}/registrations"
T = TypeVar("T")


# ---- the security report ----


@dataclass
class Tally:
    """Per input class: how many hostile inputs were tried, and how many were refused."""

    counts: dict[str, list[int]] = field(default_factory=dict)

    def record(self, name: str, refused: bool) -> None:
        tried_refused = self.counts.setdefault(name, [0, 0])
        tried_refused[0] += 1
        tried_refused[1] += int(refused)

    def got_through(self, name: str) -> int:
        tried, refused = self.counts.get(name, [0, 0])
        return tried - refused

    def lines(self) -> list[str]:
        rows = [f"{'class':<44} {'tried':>5} {'refused':>7} {'through':>7}"]
        for name, (tried, refused) in sorted(self.counts.items()):
            rows.append(f"{name:<44} {tried:>5} {refused:>7} {tried - refused:>7}")
        return rows


# ---- the API ----


@dataclass
class Clock:
    """The app's clock; tests move it instead of waiting."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def example_events() -> dict[str, Event]:
    config = load_config_files([EXAMPLES], today=date(2023, 5, 1))
    if not config.ok:
        raise AssertionError(config.problems)
    return {e.id: e for e in config.events}


def api_settings(folder: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": folder,
        "public_base_url": PUBLIC_BASE_URL,
        "signing_secret": SIGNING_SECRET,
        **overrides,
    }
    return Settings(_env_file=None, **values)


class ServedApp:
    """An ASGI app that opens its store in the loop that serves it (the lifespan)."""

    def __init__(self, settings: Settings, events: Mapping[str, Event], clock: Clock) -> None:
        self.settings = settings
        self.events = events
        self.clock = clock
        self.outbox = settings.data_dir / "outbox"
        self._app: FastAPI | None = None
        self._store: Store | None = None
        self._webhooks = WebhookChannel(
            secret_for=lambda registration: webhook_secret(SIGNING_SECRET, registration.id),
            guard=AddressGuard(settings.webhook_allowed_networks),
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the app is not started: serve it in a TestClient")
        return self._store

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._app is None:
            raise RuntimeError("the app is not started: its lifespan has not run")
        else:
            await self._app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._store = await open_store(f"sqlite:///{self.settings.data_dir / 't.db'}")
                self._app = create_app(self._deps(self._store))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.store.aclose()
                await self._webhooks.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _deps(self, store: Store) -> ApiDeps:
        settings = self.settings
        guard = AddressGuard(settings.webhook_allowed_networks)
        secret = SIGNING_SECRET

        async def readiness() -> dict[str, bool]:
            return {"store": True, "scheduler": True}

        return ApiDeps(
            store=store,
            settings=settings,
            events=lambda: self.events,
            mailer=OutboxChannel(
                self.outbox, sender=settings.smtp_from, public_base_url=PUBLIC_BASE_URL
            ),
            signing_secret=secret,
            check_webhook=lambda url: check_destination(url, guard),
            webhook_secret=lambda registration_id: webhook_secret(secret, registration_id),
            verify_webhook=lambda reg, event, challenge: self._webhooks.verify(
                reg, event.name, challenge
            ),
            clock=self.clock,
            readiness=readiness,
        )


def read_outbox(folder: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if not isinstance(parsed, EmailMessage):
            raise TypeError(f"{path} did not parse as an EmailMessage")
        messages.append(parsed)
    return messages


def link_in(message: EmailMessage, purpose: str) -> str:
    """The path of the ``/confirm/<token>`` (or unsubscribe) link in the plain-text part."""
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        raise AssertionError("the email has no text/plain part")
    text = body.get_content()
    found = re.search(rf"{re.escape(PUBLIC_BASE_URL)}(/{purpose}/[A-Za-z0-9_.\-]+)", text)
    if found is None:
        raise AssertionError(f"no {purpose} link in:\n{text}")
    return found.group(1)


def stored_registrations(store_url: str, event_id: str | None = None) -> list[Registration]:
    """What a store holds, read with the store API in a loop of its own."""

    async def read() -> list[Registration]:
        store = await open_store(store_url)
        try:
            return await store.list_registrations(event_id)
        finally:
            await store.aclose()

    return asyncio.run(read())


def in_loop(portal: Any, call: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``call`` in the TestClient's loop (where the app's store lives)."""
    result: T = portal.call(call, *args)
    return result


# ---- processes ----


def clean_env(folder: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any NOTIFIER_ variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIX)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a file-size limit must hit only what we test
    env.update(
        {
            "NOTIFIER_CONFIG": str(folder / "config"),
            "NOTIFIER_DATA_DIR": str(folder / "data"),
            "NOTIFIER_EMAIL_BACKEND": "file",
            "NOTIFIER_HTTP_PORT": "0",
            "NOTIFIER_CONFIG_DEBOUNCE_MS": "50",
        }
    )
    if settings.get("store_url", "").startswith("redis"):
        env["NOTIFIER_REDIS_ALLOW_VOLATILE"] = "true"  # tests' redis-server keeps no AOF
    env.update({PREFIX + name.upper(): value for name, value in settings.items()})
    return env


def run_notifier(
    env: Mapping[str, str],
    *args: str,
    cwd: Path,
    preexec: Callable[[], None] | None = None,
    timeout_s: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NOTIFIER, *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        preexec_fn=preexec,  # only sets rlimits in the child: no threads are involved
    )


@dataclass
class Daemon:
    """One ``notifier run`` process; its JSON log lines go to a file the test polls."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def count(self, event: str) -> int:
        return self.log_text().count(f'"event": "{event}"')

    def wait_for(self, event: str, count: int = 1, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.count(event) >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {count}x {event!r} in the log:\n{self.log_text()[-4000:]}")

    def rss_mib(self) -> float:
        """Resident memory now, from /proc (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found is None:
            raise AssertionError(f"no VmRSS in /proc/{self.process.pid}/status")
        return int(found.group(1)) / 1024

    def stop(self, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=timeout_s)


def start_daemon(
    env: Mapping[str, str], cwd: Path, preexec: Callable[[], None] | None = None
) -> Daemon:
    log_path = cwd / f"run-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [NOTIFIER, "run"],
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=preexec,  # only sets rlimits in the child: no threads are involved
        )
    return Daemon(process, log_path)


def write_atomically(path: Path, text: str) -> None:
    """Save as editors do (write aside, rename), so the watcher never sees half a file."""
    aside = path.with_name(f".{path.name}.swp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)


def event_yaml(name: str, start_utc: datetime) -> str:
    """A one-session event in Vienna, its session at ``start_utc`` (written as venue time)."""
    local = start_utc.astimezone(ZoneInfo("Europe/Vienna"))
    return (
        f"id: sec\nname: {name}\nzone: Europe/Vienna\nreminders: [10m]\nsessions:\n"
        f"  - id: talk\n    title: A side event\n"
        f'    when: "{local:%Y-%m-%dT%H:%M:%S}[Europe/Vienna]"\n'
    )
