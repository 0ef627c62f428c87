"""The service as a real process: ``notifier`` subprocesses in a workspace folder.

A :class:`Workspace` holds config/, data/ and the environment the subprocesses get (the test
process's own environment is never edited). Every process it starts is tracked by its
:class:`~tests.support.processes.Children`, which the fixture ends in a finalizer, pass or fail.
A :class:`Daemon` is one ``notifier run``; its stderr (JSON log lines) goes to a file that the
test polls for events instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from notifier.records import Registration
from notifier.settings import PREFIX
from notifier.store import open_store
from tests.support.events import event_yaml, write_atomically
from tests.support.ports import HOST, free_port
from tests.support.processes import Children
from tests.support.waiting import ConditionTimeout, wait_until

NOTIFIER = str(Path(sys.executable).parent / "notifier")
EVENT_ID = "e2e"
EVENT_NAME = "End-to-end event"
COMMAND_DEADLINE_S = 60.0  # one CLI command, start-up included, on a loaded machine
EVENT_DEADLINE_S = 30.0  # a log event the test is waiting for
EXIT_DEADLINE_S = 60.0  # `notifier run --until-idle` to finish its reminders and exit
HTTP_DEADLINE_S = 10.0
RESAVE_S = 2.0  # an unanswered config edit is saved again after this long


@dataclass
class Daemon:
    """One ``notifier run`` process; its JSON log lines go to ``log_path``."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_entries(self) -> list[dict[str, Any]]:
        """The JSON log lines, parsed (other lines, such as a traceback, are left out)."""
        lines = self.log_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def count(self, event: str) -> int:
        return self.log_text().count(f'"event":"{event}"')

    def wait_for(self, event: str, timeout_s: float = EVENT_DEADLINE_S, count: int = 1) -> None:
        """Until the log has ``event`` ``count`` times; fails at once if the process exited."""

        def logged() -> bool:
            if self.count(event) >= count:
                return True
            if self.process.poll() is not None and self.count(event) < count:
                raise AssertionError(
                    f"notifier exited {self.process.returncode} before logging {event!r}:\n"
                    f"{self.log_text()}"
                )
            return False

        try:
            wait_until(logged, timeout_s=timeout_s)
        except ConditionTimeout as exc:
            raise AssertionError(f"no {event!r} in the log ({exc}):\n{self.log_text()}") from None

    def edit_config(
        self, save: Callable[[], None], until: str, timeout_s: float = EVENT_DEADLINE_S
    ) -> None:
        """Save an edit to the config and wait until the daemon logs ``until`` in reply.

        The edit is saved again every RESAVE_S while there is no reply: the daemon logs
        ``service_ready`` before its file watcher is armed, and an edit saved in between is
        never seen (a gap in notifier; on a loaded machine the window is wide enough to hit).
        """
        before = self.count(until)
        save()
        saved_at = time.monotonic()

        def replied() -> bool:
            nonlocal saved_at
            if self.count(until) > before:
                return True
            if self.process.poll() is not None:
                raise AssertionError(f"notifier exited before {until!r}:\n{self.log_text()}")
            if time.monotonic() - saved_at >= RESAVE_S:
                save()
                saved_at = time.monotonic()
            return False

        try:
            wait_until(replied, timeout_s=timeout_s)
        except ConditionTimeout as exc:
            raise AssertionError(f"no {until!r} in the log ({exc}):\n{self.log_text()}") from None

    def wait(self, timeout_s: float = EXIT_DEADLINE_S) -> int:
        """The exit code, once the process ends by itself (``--until-idle``)."""
        return self.process.wait(timeout=timeout_s)

    def rss_mib(self) -> float:
        """Resident memory now, from /proc (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found is None:
            raise AssertionError(f"no VmRSS in /proc/{self.process.pid}/status")
        return int(found.group(1)) / 1024

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 30.0) -> int:
        """Send ``sig`` and return the exit code; SIGTERM drains in-flight sends first."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout_s)


def setting_names(**settings: str) -> dict[str, str]:
    """``signing_secret="…"`` as the environment spells it: ``NOTIFIER_SIGNING_SECRET``."""
    return {PREFIX + name.upper(): value for name, value in settings.items()}


def notifier_env(root: Path, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment minus any ``NOTIFIER_`` variable, with config/ and data/
    under ``root`` and the HTTP API on port 0, plus ``settings`` (environment names)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIX)}
    env.update(
        {
            "NOTIFIER_CONFIG": str(root / "config"),
            "NOTIFIER_DATA_DIR": str(root / "data"),
            "NOTIFIER_HTTP_PORT": "0",  # tests that use the API call use_http_port()
            **(settings or {}),
        }
    )
    return env


@dataclass
class Workspace:
    """A folder with config/ and data/, and the environment for the subprocesses."""

    root: Path
    env: dict[str, str]
    children: Children

    @classmethod
    def create(cls, root: Path, settings: Mapping[str, str], children: Children) -> Workspace:
        """config/ and data/ under ``root``; the environment is this process's minus any
        ``NOTIFIER_`` variable, plus ``settings``."""
        (root / "config").mkdir()
        return cls(root, notifier_env(root, settings), children)

    def configure(self, **settings: str) -> None:
        """Set ``NOTIFIER_<NAME>`` for the commands started from now on."""
        if settings.get("store_url", "").startswith("redis"):
            self.env["NOTIFIER_REDIS_ALLOW_VOLATILE"] = "true"  # tests' redis-server: no AOF
        self.env.update(setting_names(**settings))

    @property
    def config_file(self) -> Path:
        return self.root / "config" / f"{EVENT_ID}.yaml"

    def write_event(
        self,
        start: datetime,
        reminders: Sequence[timedelta],
        *,
        channels: Sequence[str] = ("email",),
    ) -> None:
        """The e2e event: one session "talk" at ``start``, saved as an editor saves."""
        text = event_yaml(
            {"talk": start},
            event_id=EVENT_ID,
            name=EVENT_NAME,
            reminders=reminders,
            channels=channels,
        )
        write_atomically(self.config_file, text)

    def stored_registrations(self, event_id: str | None = None) -> list[Registration]:
        """What the workspace's SQLite store holds, read with the store API in a loop of its own."""

        async def read() -> list[Registration]:
            store = await open_store(f"sqlite:///{self.root / 'data' / 'notifier.db'}")
            try:
                return await store.list_registrations(event_id)
            finally:
                await store.aclose()

        return asyncio.run(read())

    def use_http_port(self) -> int:
        """Turn the HTTP API on, on a free loopback port, with links pointing at it."""
        port = free_port()
        self.env["NOTIFIER_HTTP_PORT"] = str(port)
        self.env["NOTIFIER_PUBLIC_BASE_URL"] = f"http://{HOST}:{port}"
        return port

    def notifier(
        self,
        *args: str,
        timeout_s: float = COMMAND_DEADLINE_S,
        preexec: Callable[[], None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """One CLI command to its end; its output as text.

        ``preexec`` runs in the child before ``notifier`` starts (to set rlimits: no threads).
        """
        done = self.children.run(
            [NOTIFIER, *args], timeout_s=timeout_s, cwd=self.root, env=self.env, preexec_fn=preexec
        )
        return subprocess.CompletedProcess(
            done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
        )

    def start(
        self, *args: str, name: str = "run", preexec: Callable[[], None] | None = None
    ) -> Daemon:
        """``notifier run *args`` in the background (``preexec`` as for :meth:`notifier`)."""
        log_path = self.root / f"{name}-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log:
            process = self.children.popen(
                [NOTIFIER, "run", *args],
                cwd=self.root,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                preexec_fn=preexec,
            )
        return Daemon(process, log_path)


def http_json(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request with the standard library; (status, parsed body), errors included."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the tests' own loopback service
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_DEADLINE_S) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


def http_text(
    method: str, url: str, form: Mapping[str, str | Sequence[str]] | None = None
) -> tuple[int, str]:
    """One request (a page, a feed, a form's POST with ``form`` urlencoded); status and text."""
    data = None if form is None else urllib.parse.urlencode(form, doseq=True).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_DEADLINE_S) as response:  # noqa: S310
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def http_status(method: str, url: str) -> int:
    """The status of one request without a body (a page, a form's POST)."""
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_DEADLINE_S) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def metrics_text(port: int) -> str:
    """The daemon's /metrics page (Prometheus text format)."""
    url = f"http://{HOST}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=HTTP_DEADLINE_S) as response:
        return str(response.read().decode())


def refuses_connections(port: int) -> bool:
    """Nothing listens on ``port`` any more (the daemon closed its HTTP API).

    Only a refused connection counts: a slow answer on a loaded machine is not a closed port.
    """
    try:
        with socket.create_connection((HOST, port), timeout=HTTP_DEADLINE_S):
            return False
    except ConnectionRefusedError:
        return True
