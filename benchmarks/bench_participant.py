"""The participant's pages' own costs: the zone picker, a registration's feed, a session's .ics.

Run: .venv/bin/python -m benchmarks.bench_participant [--rounds N]
Prints medians and p95 beside the ceilings we hold; figures only, nothing asserts on time. The
zone picker's first call loads CLDR's data (the pages build it in a worker thread, so that
load never blocks the loop); later calls format 400-odd labels with zoneinfo's offsets. Each
language's city names are looked up once (cached per zone and language): the picker is
measured cold and warm in every language the pages speak.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from notifier.api._calendar import feed_ics, session_ics
from notifier.api._zones import zone_groups
from notifier.configfiles import load_config_files
from notifier.records import LANGUAGES, Registration

EVENTS = Path(__file__).resolve().parents[1] / "config" / "events"
NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
CEILING_COLD_PICKER_S = 3.0
CEILING_PICKER_MS = 25.0
# built in a worker thread by the service: a ceiling on CPU per fetch, not on loop lag
CEILING_FEED_MS = 50.0
CEILING_SESSION_ICS_MS = 5.0


def _times_ms(call: Callable[[], object], rounds: int) -> list[float]:
    found = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        found.append((time.perf_counter() - began) * 1e3)
    return found


def _report(name: str, times_ms: list[float], ceiling_ms: float) -> None:
    p95 = statistics.quantiles(times_ms, n=20)[-1]
    median = statistics.median(times_ms)
    print(f"{name:<34} median {median:7.2f} ms  p95 {p95:7.2f} ms  (ceiling {ceiling_ms} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    config = load_config_files([EVENTS], today=NOW.date())
    event = max(config.events, key=lambda e: len(e.sessions))
    registration = Registration(
        "bench", event.id, "Asia/Tokyo", NOW, email="a@example.org", sessions=None
    )
    sequences = {s.id: 1 for s in event.sessions}

    began = time.perf_counter()
    groups = zone_groups("UTC", NOW)
    cold_s = time.perf_counter() - began
    zones = sum(len(g.zones) for g in groups)
    print(
        f"zone picker, first call (CLDR load)  {cold_s:.2f} s for {zones} zones "
        f"(ceiling {CEILING_COLD_PICKER_S} s)"
    )
    _report(
        "zone picker, warm", _times_ms(lambda: zone_groups("UTC", NOW), rounds), CEILING_PICKER_MS
    )
    for language in LANGUAGES[1:]:
        began = time.perf_counter()
        zone_groups("UTC", NOW, language)
        first_ms = (time.perf_counter() - began) * 1e3
        print(f"zone picker, first call in {language}       {first_ms:7.1f} ms")
        warm = _times_ms(partial(zone_groups, "UTC", NOW, language), rounds)
        _report(f"zone picker, warm, {language}", warm, CEILING_PICKER_MS)
    _report(
        f"feed of {len(event.sessions)} sessions ({event.id})",
        _times_ms(lambda: feed_ics(event, registration, sequences, "h", NOW), rounds),
        CEILING_FEED_MS,
    )
    first = event.sessions[0]
    _report(
        "one session's .ics",
        _times_ms(lambda: session_ics(event, first, "h", 0, NOW), rounds),
        CEILING_SESSION_ICS_MS,
    )


if __name__ == "__main__":
    main()
