"""How fast listing times resolve and config files load: figures beside a ceiling.

Run: .venv/bin/python -m benchmarks.bench_times [--quick]
Nothing here asserts on time (machines are shared and noisy); it prints what it measured
next to the ceiling we hold ourselves to, and says OVER when a figure is above it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

from notifier.configfiles import load_config_files
from notifier.times import TimeContext, parse_when

ROOT = Path(__file__).resolve().parent.parent
VIENNA_2023 = TimeContext(zone="Europe/Vienna", year=2023)
TOKYO_2021 = TimeContext(zone="Asia/Tokyo", year=2021)
HEADING = TimeContext(zone="Europe/Vienna", day=date(2024, 10, 14))
CASES = [
    ("Tuesday 23 May 09:10- 10:00 CEST", VIENNA_2023),
    ("Thursday 11th March, 9:00 -10:30 JST (1am – 2:30am CET)", TOKYO_2021),
    ("Thursday 11th March, 14:00 – 15:30 JST (6am – 07:30am CET)", TOKYO_2021),
    ("1–1.50 p.m.", HEADING),
    ("1.15–2.10 p.m.", HEADING),
    ("11:59 p.m. ET on 1 March 2025", TimeContext()),
    ("2023-05-23T09:10+02:00[Europe/Vienna]", TimeContext()),
]
CEILING_EXPRESSION_US = 150.0  # per expression; a 10,000-session import stays under 2 s
CEILING_CONFIG_MS = 100.0  # all example configs (40 sessions) loaded and resolved


def _time_expressions(rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        for text, context in CASES:
            parse_when(text, context)
        samples.append((time.perf_counter() - began) / len(CASES) * 1e6)
    return samples


def _time_configs(rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        config = load_config_files([ROOT / "config" / "events"], today=date(2026, 1, 1))
        samples.append((time.perf_counter() - began) * 1e3)
        if not config.ok:
            raise SystemExit("the example configs do not validate")
    return samples


def _line(name: str, samples: list[float], unit: str, ceiling: float) -> str:
    median = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    verdict = "ok" if median <= ceiling else "OVER"
    return (
        f"{name:<28} median {median:8.1f} {unit}  p95 {p95:8.1f} {unit}  "
        f"ceiling {ceiling:6.1f} {unit}  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for the test run")
    quick = parser.parse_args().quick
    _time_expressions(50)  # warm caches: zone files, regexes
    print(
        _line(
            "parse_when (per expr)",
            _time_expressions(200 if quick else 2000),
            "us",
            CEILING_EXPRESSION_US,
        )
    )
    print(_line("load config/events", _time_configs(10 if quick else 50), "ms", CEILING_CONFIG_MS))


if __name__ == "__main__":
    main()
