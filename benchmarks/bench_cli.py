"""Cold start of ``notifier convert`` beside a bare ``python -c pass``, in the same run.

Run: .venv/bin/python -m benchmarks.bench_cli [--runs N]
Each command runs as a fresh process, the two alternating (A B A B …) so drift on a shared
machine hits both alike; prints the median and minimum wall time of each, and the median of
the pairwise differences beside the ceiling we hold (0.15 s above the floor). ``-X importtime``
names what a regression imports. Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

CEILING_ABOVE_FLOOR_S = 0.15
NOTIFIER = str(Path(sys.executable).parent / "notifier")
CONVERT = [NOTIFIER, "convert", "Tuesday 23 May 09:10-10:00 CEST", "--year", "2023"]
VALIDATE = [NOTIFIER, "validate", str(Path(__file__).resolve().parents[1] / "config" / "events")]
FLOOR = [sys.executable, "-c", "pass"]


def _wall_s(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def _measure(command: list[str], runs: int) -> tuple[list[float], list[float]]:
    """(command's wall times, the floor's), alternating, after one warm-up of each."""
    _wall_s(command)
    _wall_s(FLOOR)
    timed, floor = [], []
    for _ in range(runs):
        timed.append(_wall_s(command))
        floor.append(_wall_s(FLOOR))
    return timed, floor


def _report(name: str, command: list[str], runs: int, ceiling_s: float | None) -> None:
    timed, floor = _measure(command, runs)
    above = statistics.median(t - f for t, f in zip(timed, floor, strict=True))
    verdict = ""
    if ceiling_s is not None:
        verdict = f"  ceiling +{ceiling_s:.2f} s  {'ok' if above <= ceiling_s else 'OVER'}"
    print(
        f"{name:<20} median {statistics.median(timed):6.3f} s  min {min(timed):6.3f} s  "
        f"python -c pass median {statistics.median(floor):6.3f} s  "
        f"above floor +{above:.3f} s{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    _report("notifier convert", CONVERT, runs, CEILING_ABOVE_FLOOR_S)
    _report("notifier validate", VALIDATE, runs, None)


if __name__ == "__main__":
    main()
