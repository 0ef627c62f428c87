"""An injected clock (STYLE.md: inject the clock instead of patching ``datetime``)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """The service's clock, set by the test: ``clock()`` is now, ``advance()`` moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class CountingClock(Clock):
    """The test's clock, counting how often the service read it: a wait that re-reads it
    shows it "looked again and still waited" without a wall-clock sleep."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now
