"""Run a command with its stderr on a real pseudo-terminal, as a person at a shell sees it.

Progress bars are drawn only when stderr is a terminal, so a test of one needs a pty, not a
pipe; stdout goes to a file so the test can check it stays free of the bar.
"""

from __future__ import annotations

import os
import pty
import re
import select
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.processes import Children

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WAIT_S = 120  # a generous bound for a loaded machine; the wait ends as soon as the child exits


def _read_until_closed(fd: int) -> bytes:
    """Everything written to the pty until the child closes it (EOF, or EIO on Linux)."""
    chunks = []
    while select.select([fd], [], [], WAIT_S)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child's end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def run_with_terminal_stderr(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdout_file: Path
) -> tuple[int, str]:
    """(exit status, what the terminal showed, escape sequences removed)."""
    main_fd, terminal_fd = pty.openpty()
    try:
        with Children() as children, stdout_file.open("wb") as stdout:
            process = children.popen(
                list(argv), stdout=stdout, stderr=terminal_fd, env=dict(env), cwd=cwd
            )
            os.close(terminal_fd)
            terminal_fd = -1
            shown = _read_until_closed(main_fd).decode("utf-8", "replace")
            status = process.wait(timeout=WAIT_S)
    finally:
        os.close(main_fd)
        if terminal_fd >= 0:
            os.close(terminal_fd)
    return status, _ESCAPES.sub("", shown)
