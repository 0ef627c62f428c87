"""The service as a real process: `notifier run` in a subprocess, a real SMTP server here.

Time is controlled by scheduling reminders a few seconds ahead, never by long sleeps. The
subprocess gets its settings as environment variables (the test process's own environment is
never edited); STARTTLS is trusted through SSL_CERT_FILE pointing at a trustme CA.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

NOTIFIER = str(Path(sys.executable).parent / "notifier")
USERNAME, PASSWORD = "mailer", "smtp-pa55"  # a throwaway test server's credentials
VENUE_ZONE = "Europe/Vienna"


@dataclass
class Received:
    message: EmailMessage
    at: float  # time.time() when the server accepted it


@dataclass
class Handler:
    """Records each accepted message; answers DATA from ``script`` first (e.g. 451 twice)."""

    script: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0
    delay_s: float = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_commands += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)  # a slow server: the send is in flight meanwhile
        if self.script:
            return self.script.pop(0)
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.received.append(Received(parsed, time.time()))  # type: ignore[arg-type]
        return "250 2.0.0 accepted"


def _auth(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@dataclass
class SmtpServer:
    controller: Controller
    handler: Handler
    ca_file: Path

    @property
    def port(self) -> int:
        return int(self.controller.port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def smtp(ca: tuple[trustme.CA, Path]) -> Iterator[SmtpServer]:
    """A STARTTLS SMTP server with AUTH (required after TLS), on a free loopback port."""
    authority, ca_file = ca
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler = Handler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=_auth,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield SmtpServer(controller, handler, ca_file)
    finally:
        controller.stop()


START_IN_DEFAULT = timedelta(minutes=5)


def event_yaml(
    start: datetime, offsets: list[timedelta], session_id: str = "talk", channels: str = "[email]"
) -> str:
    """An event in Vienna with one session at ``start`` (written as venue wall time)."""
    local = start.astimezone(ZoneInfo(VENUE_ZONE))
    reminders = ", ".join(f"{int(o.total_seconds())}s" for o in offsets)
    return (
        "id: e2e\nname: End-to-end event\nzone: Europe/Vienna\nvenue: Vienna International Centre\n"
        f"reminders: [{reminders}]\nchannels: {channels}\nsessions:\n"
        f"  - id: {session_id}\n    title: A side event\n"
        f'    when: "{local:%Y-%m-%dT%H:%M:%S}[{VENUE_ZONE}]"\n'
        '    join_url: "https://events.example.org/e2e/join"\n    room: M3\n'
    )


@dataclass
class Daemon:
    """One `notifier` process; stderr (JSON log lines) goes to a file we can poll."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, event: str, timeout_s: float = 30.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.log_text().count(f'"event": "{event}"') >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {event!r} in the log:\n{self.log_text()}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout_s)


@dataclass
class Workspace:
    """A folder with config/, data/ and the environment for the subprocesses."""

    root: Path
    env: dict[str, str]

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "e2e.yaml"

    def notifier(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [NOTIFIER, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def start(self, *args: str, name: str = "run") -> Daemon:
        log_path = self.root / f"{name}-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [NOTIFIER, "run", *args],
                cwd=self.root,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        return Daemon(process, log_path)


@pytest.fixture
def workspace(tmp_path: Path, smtp: SmtpServer) -> Workspace:
    """SQLite store, SMTP over STARTTLS with AUTH, fast retries (tests may add a Redis URL)."""
    (tmp_path / "config").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFIER_")}
    env.update(
        {
            "NOTIFIER_CONFIG": str(tmp_path / "config"),
            "NOTIFIER_DATA_DIR": str(tmp_path / "data"),
            "NOTIFIER_SMTP_HOST": "127.0.0.1",
            "NOTIFIER_SMTP_PORT": str(smtp.port),
            "NOTIFIER_SMTP_TLS": "starttls",
            "NOTIFIER_SMTP_USERNAME": USERNAME,
            "NOTIFIER_SMTP_PASSWORD": PASSWORD,
            "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
            "NOTIFIER_RETRY_BASE_S": "0.2",
            "NOTIFIER_CONFIG_DEBOUNCE_MS": "100",
            "NOTIFIER_SIGNING_SECRET": "e2e-signing-secret-of-32-bytes-or-more",
            "NOTIFIER_HTTP_PORT": "0",  # tests that use the API set a free port
            "SSL_CERT_FILE": str(smtp.ca_file),
        }
    )
    return Workspace(tmp_path, env)


def soon(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def wait_until(predicate: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def write_atomically(path: Path, text: str) -> None:
    """Save as editors do (write aside, rename), so the watcher never sees half a file."""
    aside = path.with_name(f".{path.name}.swp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)


def http_json(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request with the standard library; (status, parsed body), errors included."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the tests' own loopback service
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
