"""Throughput against N, ours beside the raw-library ceiling, for docs/benchmarks.md.

matplotlib comes with the ``bench`` extra (``pip install -e '.[bench]'``), never at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only: no display on CI or a server
import matplotlib.pyplot as plt  # after use(): the backend is chosen first

if TYPE_CHECKING:
    from benchmarks.suite import Row

_STYLE = {"redis": "o-", "sqlite": "s--"}


def plot(rows: Sequence[Row], path: Path) -> None:
    """Two panels (email, webhook): messages/s against N, per store, with the ceiling."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, channel in zip(axes, ("email", "webhook"), strict=True):
        mine = [row for row in rows if row.channel == channel]
        sizes = sorted({row.n for row in mine})
        ceilings = [next(r.ceiling_per_s for r in mine if r.n == n) for n in sizes]
        library = "aiosmtplib" if channel == "email" else "aiohttp"
        axis.plot(sizes, ceilings, "k^:", label=f"ceiling: raw {library}")
        for store in sorted({row.store for row in mine}):
            points = sorted((r.n, r.ours_per_s) for r in mine if r.store == store)
            axis.plot(*zip(*points, strict=True), _STYLE.get(store, "x-"), label=f"ours, {store}")
        axis.set_xscale("log")
        axis.set_xticks(sizes, [f"{n:,}" for n in sizes])
        axis.set_ylim(bottom=0)
        axis.set_xlabel("registrations (N), one reminder")
        axis.set_ylabel("messages per second" if channel == "email" else "requests per second")
        axis.set_title(f"{channel} fan-out")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    """``python -m benchmarks.plot OUT.png RESULTS.json…``: one plot from several runs' rows
    (``--json`` of each), e.g. the 1,000/10,000 run and a separate 100,000 run."""
    import json
    import sys

    from benchmarks.suite import Row

    if len(sys.argv) < 3:
        sys.exit("usage: python -m benchmarks.plot OUT.png RESULTS.json...")
    runs = [json.loads(Path(name).read_text()) for name in sys.argv[2:]]
    # a run's file: {"send": rows, "due": ..., "sigterm": ...}; before those rows, the list
    rows = [Row(**row) for run in runs for row in (run["send"] if isinstance(run, dict) else run)]
    plot(rows, Path(sys.argv[1]))


if __name__ == "__main__":
    main()
