"""Prepare ahead: a reminder's fan-out begins ``prepare_ahead_s`` before its due instant, and
each send waits for the instant once everything that does not need it is done.

Its job fires early (:func:`fire_at_utc`); the fan-out record, the session's sequence, the
first page read and claimed, and the first messages composed all happen in the lead, so what
is left at the due instant is the send itself (issue #15's due → first send row). The wait
(:func:`hold_until_due`) reads the same clock as every due decision (``deps.clock``: Redis
``TIME`` through :class:`~notifier.service.health.StoreClock` when Redis is the store), so a
host whose clock runs ahead of the store's still sends at the store's instant.

Sends whose instant has come go before work for later instants (:class:`DueFirst`): a
fan-out fired ahead, and each message composed ahead, waits its turn while sends due now are
going out, or while a send held for an earlier instant is due within ``GUARD_S``. Ten
reminders due each second, prepared two seconds ahead, had their next-but-one second's fan-outs
read, claimed and composed (a new message layout costs milliseconds of CPU) between their own
SMTP transactions: 10 to 20 ms late at p99 (issue #15). The wait ends at half the lead at the
latest, so a long fan-out sending for minutes delays the next reminder's preparation, never
its send.

Nothing is sent before the due instant. A claim held through the wait counts its lease from
the claim, so the lead is kept under a quarter of the lease (``service/root.py``). SIGTERM
during the wait hands the claim back (``handed_back``); a session moved or cancelled during
the wait (the running config no longer plans this reminder: ``deps.planned``) is not sent at
its old instant: the claim is handed back (``abandoned``, unfinished, so a session moved back
still gets its reminder from the catch-up pass).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from notifier.records import ReminderRef

if TYPE_CHECKING:
    from notifier.jobs.deps import FanoutDeps

# the wait re-reads the clock at least this often: a test's clock, or a clock jump, is followed
RECHECK_S = 0.25
# work for a later instant stops this long before a held send's instant (a new message layout
# takes milliseconds to compose: begun just before the instant, it would delay the send)
GUARD_S = 0.05
# a wait for a held send to begin looks again this often once its instant is reached
NUDGE_S = 0.001


class DueFirst:
    """The process's sends at their due instant, so work for later instants waits its turn.

    :meth:`holding` marks a send held for its instant, :meth:`sending` one whose instant has
    come, until its first attempt is answered; :meth:`turn` waits while either stands in the
    way of ``due``. One per process (``FanoutDeps.due_first``), on the loop's thread only.
    """

    def __init__(self) -> None:
        self._held: Counter[datetime] = Counter()
        self._sending = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def holding(self, due: datetime) -> Iterator[None]:
        self._held[due] += 1
        try:
            yield
        finally:
            self._held[due] -= 1
            if not self._held[due]:
                del self._held[due]

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        self._sending += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._sending -= 1
            if not self._sending:
                self._quiet.set()

    async def turn(self, deps: FanoutDeps, due: datetime) -> None:
        """Before work for a send due at ``due``: wait while sends due now are going out, or
        one held for an earlier instant is due within ``GUARD_S``; at most until half the
        lead is left, and not at all for a send already due (or with prepare-ahead off)."""
        if deps.prepare_ahead_s <= 0:
            return  # nothing is fired early
        latest = due - timedelta(seconds=deps.prepare_ahead_s / 2)
        while not deps.stopping.is_set():
            now = deps.clock()
            left_s = (latest - now).total_seconds()
            if left_s <= 0:
                return
            if self._sending:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left_s, RECHECK_S)):
                        await self._quiet.wait()
                continue
            earlier = min((held for held in self._held if held < due), default=None)
            if earlier is None or (gap_s := (earlier - now).total_seconds()) > GUARD_S:
                return
            await asyncio.sleep(max(gap_s, NUDGE_S))  # its send begins there: wait for it


def due_utc(ref: ReminderRef) -> datetime:
    """The reminder's due instant: its offset before the session's instant."""
    return ref.start_utc - timedelta(seconds=ref.offset_s)


def fire_at_utc(send_at_utc: datetime, ahead: timedelta) -> datetime:
    """When the reminder's job fires: ``ahead`` before it is due."""
    return send_at_utc - ahead


def stamp_utc(deps: FanoutDeps, ref: ReminderRef) -> datetime:
    """The instant a message says it was sent: now, or its due instant if composed ahead
    (it cannot leave before then)."""
    now = deps.clock()
    return max(now, due_utc(ref)) if deps.prepare_ahead_s > 0 else now


async def hold_until_due(deps: FanoutDeps, ref: ReminderRef) -> str | None:
    """Wait until the due instant by ``deps.clock``; None: send now. Else the outcome of a
    delivery that must not go out (``handed_back``: shutting down; ``abandoned``: the session
    moved or was cancelled during the wait). A no-op with prepare-ahead off."""
    if deps.prepare_ahead_s <= 0:
        return None
    due = due_utc(ref)
    with deps.due_first.holding(due):
        waited = await sleep_until(deps, due, deps.stopping)
    if deps.stopping.is_set():
        return "handed_back"
    # only a prepared send looks again: one begun after its instant keeps today's rule (the
    # chunk's session was looked up when the chunk was taken)
    return "abandoned" if waited and not deps.planned(ref) else None


async def sleep_until(deps: FanoutDeps, instant: datetime, stop: asyncio.Event) -> bool:
    """Until ``instant`` by ``deps.clock`` (re-read at least every ``RECHECK_S``) or ``stop``;
    whether it waited at all."""
    waited = False
    while (left_s := (instant - deps.clock()).total_seconds()) > 0 and not stop.is_set():
        waited = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(left_s, RECHECK_S)):
                await stop.wait()
    return waited
