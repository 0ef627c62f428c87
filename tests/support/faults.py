"""Counting a fault scenario: who got the reminder once, twice, never; what the log says.

``lost`` is a participant with no copy and no final record (no record at all, or one still
``claimed`` when the scenario is over); ``wrong_log`` a record that disagrees with the sink
(delivered but not logged ``sent``, or logged ``sent`` but never delivered). ``unknown``
records are not wrong: they say the reminder may have gone.

A test files the counts it asserts with :meth:`Report.add` (``REPORT.add(result)``, before
its asserts, so a failed scenario shows its counts too); they land in :data:`REPORT` under
that test's id, and tests/faults/conftest.py prints (and can write as Markdown) one table for
the whole suite. Counts taken to poll a wait's condition are never filed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from notifier.records import ChannelName, ReminderRef, delivery_key
from notifier.store.base import Store

SIZES = {"quick": 100, "full": 2000}  # registrations per new scenario (--fault-size)


class ScaledClock:
    """Real time, sped up: ``speed`` seconds of service time pass each real second.

    A session minutes away starts within seconds of real time, with real sleeps and a real
    server in between (the fan-out reads it before every send).
    """

    def __init__(self, start: datetime, speed: float) -> None:
        self.start, self.speed = start, speed
        self._began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._began) * self.speed)

    def monotonic_at(self, instant: datetime) -> float:
        """The ``time.monotonic()`` reading at which this clock shows ``instant`` (exact: no
        second clock is read, so a sink stamping with ``time.monotonic()`` compares directly)."""
        return self._began + (instant - self.start).total_seconds() / self.speed

    def real_s_until(self, instant: datetime) -> float:
        """Real seconds from now until the clock shows ``instant``."""
        return (instant - self()).total_seconds() / self.speed


@dataclass(frozen=True)
class Tally:
    expected: int
    once: int
    duplicates: int  # copies beyond the first, summed over participants
    lost: int
    wrong_log: int
    statuses: Counter[str]

    def row(self) -> str:
        """The counts as docs/reliability.md prints them."""
        return f"{self.expected} | {self.once} | {self.duplicates} | {self.lost}"


@dataclass
class Report:
    """The tallies of one pytest run, per test id, and each test's outcome."""

    current: str = ""  # the test running now (set by the faults conftest)
    tallies: dict[str, list[Tally]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def add(self, tally: Tally) -> Tally:
        """File ``tally`` as a result of the test running now; returns it."""
        self.tallies.setdefault(self.current or "(outside a test)", []).append(tally)
        return tally

    def rows(self) -> list[tuple[str, str, Tally | None]]:
        """(test id, outcome, tally): one row per tally, or one without for a test that had none."""
        rows: list[tuple[str, str, Tally | None]] = []
        for test_id, outcome in self.outcomes.items():
            tallies: list[Tally | None] = [*self.tallies.get(test_id, [])] or [None]
            rows += [(test_id, outcome, tally) for tally in tallies]
        return rows

    def lines(self) -> list[str]:
        counts = f"{'exp':>5} {'once':>5} {'dup':>4} {'lost':>4} {'wrong':>5}"
        lines = [f"{'scenario':<92} {'result':<7} {counts}"]
        for test_id, outcome, t in self.rows():
            counts = (
                f"{t.expected:>5} {t.once:>5} {t.duplicates:>4} {t.lost:>4} {t.wrong_log:>5}"
                if t
                else f"{'—':>5} {'—':>5} {'—':>4} {'—':>4} {'—':>5}"
            )
            lines.append(f"{_short(test_id):<92} {outcome:<7} {counts}")
        return lines

    def markdown(self, title: str) -> str:
        out = [
            title,
            "",
            "| scenario | result | expected | once | duplicates | lost | wrong log | statuses |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for test_id, outcome, t in self.rows():
            if t is None:
                out.append(f"| `{_short(test_id)}` | {outcome} | — | — | — | — | — | — |")
                continue
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(t.statuses.items()))
            out.append(
                f"| `{_short(test_id)}` | {outcome} | {t.expected} | {t.once} | {t.duplicates}"
                f" | {t.lost} | {t.wrong_log} | {statuses} |"
            )
        return "\n".join(out) + "\n"


class EventCounts:
    """How often each event name is in a ``capture_logs()`` list, read incrementally.

    A wait's condition: summing the whole list at every poll costs O(events) each time, and at
    full size an SMTP or webhook mix logs hundreds of thousands of retries, so the poll (on the
    fan-out's own event loop) became the bottleneck of the scenario it was waiting for.
    """

    def __init__(self, logs: Sequence[Mapping[str, Any]]) -> None:
        self._logs, self._seen = logs, 0
        self._counts: Counter[str] = Counter()

    def __call__(self, name: str) -> int:
        new = self._logs[self._seen :]
        self._seen += len(new)
        self._counts.update(str(entry["event"]) for entry in new)
        return self._counts[name]


def _short(test_id: str) -> str:
    return test_id.removeprefix("tests/faults/")


REPORT = Report()


def email_address(name: str) -> str:
    return f"{name}@example.org"


async def tally(
    store: Store,
    ref: ReminderRef,
    copies: Counter[str],
    names: list[str],
    *,
    channel: ChannelName = "email",
    address: Callable[[str], str] = email_address,
) -> Tally:
    """Count ``names`` (registration ids) against ``copies`` (per ``address(name)``)."""
    statuses: Counter[str] = Counter()
    once = duplicates = lost = wrong = 0
    for name in names:
        got = copies[address(name)]
        delivery = await store.get_delivery(delivery_key(ref, name, channel))
        status = "none" if delivery is None else delivery.status
        statuses[status] += 1
        once += got == 1
        duplicates += max(0, got - 1)
        lost += got == 0 and status in ("none", "claimed")
        wrong += (got > 0 and status not in ("sent", "unknown")) or (got == 0 and status == "sent")
    return Tally(len(names), once, duplicates, lost, wrong, statuses)
