"""Prepare ahead: a reminder's fan-out begins ``prepare_ahead_s`` before its due instant, and
each send waits for the instant once everything that does not need it is done.

Its job fires early (:func:`fire_at_utc`); the fan-out record, the session's sequence, the
first page read and claimed, and the first messages composed all happen in the lead, so what
is left at the due instant is the send itself (issue #15's due → first send row). The wait
(:func:`hold_until_due`) reads the same clock as every due decision (``deps.clock``: Redis
``TIME`` through :class:`~notifier.service.health.StoreClock` when Redis is the store), so a
host whose clock runs ahead of the store's still sends at the store's instant.

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
from datetime import datetime, timedelta

from notifier.jobs.deps import FanoutDeps
from notifier.records import ReminderRef

# the wait re-reads the clock at least this often: a test's clock, or a clock jump, is followed
RECHECK_S = 0.25


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
    waited = await sleep_until(deps, due_utc(ref), deps.stopping)
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
