"""A measured process's own peak memory."""

from __future__ import annotations

from pathlib import Path


def peak_rss_mib() -> float:
    """This process's peak RSS (Linux ``VmHWM``). Not ``ru_maxrss``: that one is carried over
    from the parent at fork, so every row printed the suite's own size, not the child's."""
    status = Path("/proc/self/status").read_text(encoding="ascii")
    (line,) = [row for row in status.splitlines() if row.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024
