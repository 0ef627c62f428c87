"""The service as the benchmarks run it: a real ``notifier run`` process in a folder of its own.

:class:`Stage` holds a folder (config/, data/), a stamping SMTP sink (:mod:`benchmarks.sinks`,
one line per message received: when, to whom) and the environment ``notifier run`` gets:
SMTP to that sink, the given store, no HTTP API, JSON logs to a file. This worktree's package
is imported (``PYTHONPATH``), whatever the virtualenv's editable install points at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.fanout import SECRET
from notifier.settings import PREFIX
from tests.support.events import event_yaml
from tests.support.processes import Children

ROOT = Path(__file__).resolve().parent.parent
NOTIFIER = str(Path(sys.executable).parent / "notifier")
EVENT_ID = "bench"


class Stage:
    """One measured run: its folder, its sink (started here) and its ``notifier run``."""

    def __init__(self, folder: Path, store_url: str, children: Children) -> None:
        self.folder, self.store_url, self.children = folder, store_url, children
        (folder / "config").mkdir(parents=True)
        self.stamps = folder / "stamps.txt"
        self.stamps.touch()
        self.log = folder / "notifier.log"
        sink = children.popen(
            [sys.executable, "-m", "benchmarks.sinks", "stamp", str(self.stamps)],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert sink.stdout is not None
        line = sink.stdout.readline().decode()
        if not line.startswith("port "):
            raise RuntimeError(f"the stamping sink did not start: {line!r}")
        self.smtp_port = int(line.split()[1])

    def write_event(
        self, sessions: Mapping[str, datetime], reminder_s: int, event_id: str = EVENT_ID
    ) -> None:
        text = event_yaml(
            sessions, event_id=event_id, reminders=[f"{reminder_s}s"], channels=["email"]
        )
        (self.folder / "config" / f"{event_id}.yaml").write_text(text, "utf-8")

    def env(self, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(PREFIX)}
        settings = {
            "config": str(self.folder / "config"),
            "data_dir": str(self.folder / "data"),
            "store_url": self.store_url,
            "redis_allow_volatile": "true",  # the suite's redis-server keeps nothing on disk
            "http_port": "0",
            "email_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(self.smtp_port),
            "smtp_tls": "none",
            "signing_secret": SECRET,
            **more,
        }
        env.update({PREFIX + name.upper(): value for name, value in settings.items()})
        env["PYTHONPATH"] = str(ROOT)
        return env

    def start(self, *args: str, **settings: str) -> subprocess.Popen[bytes]:
        """``notifier run`` with its JSON log in :attr:`log`."""
        with self.log.open("ab") as log:
            return self.children.popen(
                [NOTIFIER, "run", *args], env=self.env(**settings), stderr=log, cwd=self.folder
            )

    def received(self) -> dict[str, float]:
        """When the sink first received a message for each address (``time.time()``)."""
        first: dict[str, float] = {}
        for line in self.stamps.read_text("ascii").splitlines():
            stamp, address = line.split(" ", 1)
            first.setdefault(address, float(stamp))
        return first

    def count_received(self) -> int:
        with self.stamps.open("rb") as stamps:
            return sum(1 for _ in stamps)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (/proc, Linux); 0 once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text("ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def whole_seconds_ahead(seconds: float) -> datetime:
    """An instant at least ``seconds`` from now, on a whole second (the event file's grain)."""
    return datetime.fromtimestamp(int(time.time() + seconds) + 1, UTC)
