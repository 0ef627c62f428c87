"""Child processes started by tests, each ended in a finalizer (STYLE.md, Tests).

Every process goes through :class:`Children`, in a process group of its own, so a fixture can end
all of them, and anything they started, even when the test failed half-way: SIGTERM first, so a
daemon drains and leaves its files whole, then SIGKILL after a short grace. A daemon left behind
(parent PID 1) would hold ports and send mail for the rest of the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

STOP_GRACE_S = 5.0  # SIGTERM to SIGKILL; the daemon drains sends quicker than this in tests
REAP_DEADLINE_S = 10.0  # a SIGKILLed process is gone long before this


def signal_group(process: subprocess.Popen[Any], sig: signal.Signals) -> None:
    """Send ``sig`` to the process's group (it leads one: see :meth:`Children.popen`)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):  # exited between the poll and the signal
        os.killpg(process.pid, sig)


def end_process(process: subprocess.Popen[Any], grace_s: float = STOP_GRACE_S) -> int:
    """SIGTERM (after SIGCONT, for a paused one), then SIGKILL after ``grace_s``; the exit code."""
    if process.poll() is None:
        signal_group(process, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        signal_group(process, signal.SIGTERM)
        try:
            return process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
    return process.wait(timeout=REAP_DEADLINE_S)


class Children:
    """The processes one fixture started; :meth:`end_all` ends every one still running."""

    def __init__(self, grace_s: float = STOP_GRACE_S) -> None:
        self.grace_s = grace_s
        self.started: list[subprocess.Popen[bytes]] = []

    def popen(self, argv: Sequence[str], **options: Any) -> subprocess.Popen[bytes]:
        """``subprocess.Popen`` in a new session (its own process group), remembered."""
        process: subprocess.Popen[bytes] = subprocess.Popen(
            list(argv), start_new_session=True, **options
        )
        self.started.append(process)
        return process

    def run(
        self, argv: Sequence[str], *, timeout_s: float | None = None, **options: Any
    ) -> subprocess.CompletedProcess[bytes]:
        """Run to the end and capture its output; on a timeout or any error, end it first."""
        process = self.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)
        try:
            out, err = process.communicate(timeout=timeout_s)
        except BaseException:
            end_process(process, self.grace_s)
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def end_all(self) -> None:
        """End every started process; raises only after trying them all."""
        errors: list[BaseException] = []
        for process in self.started:
            try:
                end_process(process, self.grace_s)
            except Exception as exc:  # keep ending the others first
                errors.append(exc)
        self.started.clear()
        if errors:
            raise errors[0]

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end_all()
