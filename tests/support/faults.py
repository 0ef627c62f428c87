"""Counting a fault scenario: who got the reminder once, twice, never; what the log says.

``lost`` is a participant with no mail and no final record (no record at all, or one still
``claimed`` when the scenario is over); ``wrong_log`` a record that disagrees with the mail
server (mailed but not logged ``sent``, or logged ``sent`` but never mailed). ``unknown``
records are not wrong: they say the mail may have gone.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifier.records import ReminderRef, delivery_key
from notifier.store.base import Store


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


async def tally(store: Store, ref: ReminderRef, copies: Counter[str], names: list[str]) -> Tally:
    """Count ``names`` (registration ids; address ``name@example.org``) against ``copies``."""
    statuses: Counter[str] = Counter()
    once = duplicates = lost = wrong = 0
    for name in names:
        got = copies[f"{name}@example.org"]
        delivery = await store.get_delivery(delivery_key(ref, name, "email"))
        status = "none" if delivery is None else delivery.status
        statuses[status] += 1
        once += got == 1
        duplicates += max(0, got - 1)
        lost += got == 0 and status in ("none", "claimed")
        wrong += (got > 0 and status not in ("sent", "unknown")) or (got == 0 and status == "sent")
    return Tally(len(names), once, duplicates, lost, wrong, statuses)
