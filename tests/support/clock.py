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
