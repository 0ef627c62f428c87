"""When a reminder fires: deliver it to every registration of its session, once each.

The audience is read a page at a time (keyset by registration id, pages growing from 50 to
``deps.page_size``: :func:`page_limits`), and each page's deliveries are claimed in one store
round trip; sending starts with the first page, and no more deliveries wait in memory than one
page plus the sends in flight, so a session with 100,000 followers costs what one with 500
does. Outcomes are written in batches (:class:`~notifier.jobs.outcomes.OutcomeWriter`). A
reminder fired too late is recorded ``skipped`` for everyone, page by page.

Claims carry a lease (owner, expiry, fencing token): a process that dies mid fan-out leaves its
claims ``claimed``, the fan-out record stays ``started``, and once the leases run out the next
catch-up pass takes them over (a new token) and sends them, before the session starts. A store
outage pauses the fan-out: each store step is retried with backoff until the session starts,
and the outcome of a send that went out is kept and written once the store is back. SIGTERM
(``deps.stopping``) ends the walk: claims not yet attempted are handed back.

:func:`deliver_range` is one slice of the audience, ids in ``(after_id, upto_id]``: the whole
of it for :func:`run_fanout`, one chunk for a replica sharing the fan-out (``service/``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog

from notifier.errors import StoreError
from notifier.events import Event, Session
from notifier.jobs.broadcast import broadcast_targets, participants_wanted
from notifier.jobs.deliver import Target, deliver, release
from notifier.jobs.deps import FanoutDeps, RetryPolicy, SendSlot, new_owner, stored
from notifier.jobs.outcomes import OutcomeWriter
from notifier.jobs.policy import allowed_lateness
from notifier.records import (
    ChannelName,
    DeliveryWrite,
    FanoutStatus,
    Registration,
    ReminderRef,
    delivery_key,
    wants_reminder,
)

__all__ = [
    "UNFINISHED",
    "FanoutDeps",
    "RetryPolicy",
    "deliver_range",
    "fanout_status",
    "first_page_size",
    "new_owner",
    "page_limits",
    "run_fanout",
    "start_fanout_record",
]

log = structlog.get_logger("notifier.fanout")
# outcomes that leave a delivery without a final record: the fan-out stays "started", so the
# catch-up pass comes back for it (a handed-back claim, or one another owner still holds)
# or the rest of the audience never read (shutdown cut the walk short: "cut_off")
# or a shared chunk whose session the replica did not know ("not_here": its config is behind)
# or a prepared send whose session moved during the wait ("abandoned": see jobs/ahead.py)
FIRST_PAGE = 50
RAMP = 4  # each page of a range up to this many times the last (page_limits)
UNFINISHED = ("handed_back", "claimed_elsewhere", "cut_off", "not_here", "abandoned")


async def run_fanout(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef
) -> Counter[str]:
    """Deliver one reminder to everyone following the session; returns outcome counts."""
    started = await start_fanout_record(deps, event, session, ref)
    if isinstance(started, Counter):
        return started
    counts = await deliver_range(deps, event, session, ref, started)
    status = fanout_status(counts)
    await stored(
        deps,
        "record_fanout",
        lambda: deps.store.record_fanout(ref, status, deps.clock(), dict(counts)),
    )
    deps.metrics.reminders_fired.labels(status).inc()
    log.info("reminder_fanout_done", reminder=ref.key, status=status, **counts)
    return counts


def fanout_status(counts: Counter[str]) -> FanoutStatus:
    """``started`` while any delivery is unfinished (the catch-up pass comes back), else done."""
    return "started" if any(counts[o] for o in UNFINISHED) else "done"


async def start_fanout_record(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef
) -> int | Counter[str]:
    """Begin a fan-out: the session's iCalendar sequence, with the record ``started``; or the
    counts of a fan-out that ends here (done before, or skipped as too late)."""
    store, by_start = deps.store, ref.start_utc
    previous = await stored(deps, "get_fanout", lambda: store.get_fanout(ref), by_start)
    if previous is not None and previous.status in ("done", "skipped"):
        return Counter(already_done=1)  # a second firing (replica, catch-up) keeps the record
    now = deps.clock()
    reason = _skip_reason(event, ref, now)
    if reason is not None:
        counts = await _skip_all(deps, event, session, ref, reason)
        await stored(
            deps, "record_fanout", lambda: store.record_fanout(ref, "skipped", now, dict(counts))
        )
        deps.metrics.reminders_fired.labels("skipped").inc()
        log.info("reminder_skipped", reminder=ref.key, reason=reason, **counts)
        return counts
    await stored(
        deps, "record_fanout", lambda: store.record_fanout(ref, "started", now, {}), by_start
    )
    return await stored(
        deps,
        "session_sequence",
        lambda: store.session_sequence(event.id, session.id, ref.start_utc),
        by_start,
    )


def _skip_reason(event: Event, ref: ReminderRef, now: datetime) -> str | None:
    offset = timedelta(seconds=ref.offset_s)
    if now >= ref.start_utc:
        return "too late: the session has started"
    if now - (ref.start_utc - offset) > allowed_lateness(event, offset):
        return "too late: past the lateness allowed for this reminder"
    return None


async def _pages(
    deps: FanoutDeps,
    event: Event,
    session: Session,
    ref: ReminderRef,
    after_id: str = "",
    upto_id: str | None = None,
) -> AsyncIterator[tuple[list[Target], bool]]:
    """The audience in ``(after_id, upto_id]``, a page at a time, each page claimed in one
    round trip, and whether it is the last; a claim this process did not get is a target with
    its answer as token.

    The event's broadcast targets (``jobs/broadcast.py``, derived from the event file, never
    stored) ride on the first page of the slice that starts the audience (``after_id`` empty:
    the whole fan-out, or a shared fan-out's first chunk), so each is claimed once per round.
    """
    extra = broadcast_targets(event, session, ref) if not after_id else []
    if not participants_wanted(session, ref):  # an offset only a broadcast target asked for
        yield await _claim_page(deps, ref, extra), True
        return
    for limit in page_limits(deps.page_size):
        page = await _read_page(deps, event, ref, after_id, upto_id, limit)
        after_id = page[-1].id if page else after_id
        last = len(page) < limit
        yield await _claim_page(deps, ref, extra + await _wanted(deps, session, ref, page)), last
        if last:
            return
        extra = []


def first_page_size(deps: FanoutDeps) -> int:
    """The first page (and first chunk) of a fan-out is short, so the first message goes out
    after reading and claiming a few registrations, not a whole page."""
    return next(page_limits(deps.page_size))


def page_limits(page_size: int) -> Iterator[int]:
    """The sizes of a range's pages: a short first one (``FIRST_PAGE``, or the page size if
    smaller), then each ``RAMP`` times the last up to ``page_size``. The next page is read and
    claimed while this one sends; a second page of 500 after a first of 50 was still on its
    way when those 50 were out (its rows decoded on the loop between the sends), and a
    1,000-follower fan-out stalled for it: 50, 200, 500 sends 8-11% faster
    (docs/benchmarks.md)."""
    limit = min(page_size, FIRST_PAGE)
    while True:
        yield limit
        limit = min(page_size, limit * RAMP)


async def _read_page(
    deps: FanoutDeps,
    event: Event,
    ref: ReminderRef,
    after_id: str,
    upto_id: str | None,
    limit: int,
) -> list[Registration]:
    return await stored(
        deps,
        "registration_page",
        lambda: deps.store.registration_page(event.id, after_id, limit, upto_id),
        ref.start_utc,
    )


async def _wanted(
    deps: FanoutDeps, session: Session, ref: ReminderRef, page: list[Registration]
) -> list[tuple[Registration, ChannelName]]:
    """Who on the page gets it on which channel (confirmed followers who kept this offset on
    their manage page, the session's channels); a channel this process lacks is recorded
    ``failed`` here."""
    wanted = [(r, c) for r in page if r.confirmed and wants_reminder(r, ref) for c in r.channels]
    wanted = [(r, c) for r, c in wanted if c in session.channels]
    await _record_unavailable(deps, ref, [(r, c) for r, c in wanted if c not in deps.channels])
    return [(r, c) for r, c in wanted if c in deps.channels]


async def _claim_page(
    deps: FanoutDeps, ref: ReminderRef, wanted: list[tuple[Registration, ChannelName]]
) -> list[Target]:
    """The page's deliveries, claimed in one round trip."""
    pairs = [(r.id, c) for r, c in wanted]
    asked_at = time.monotonic()  # the leases run from about here: renewals count from it
    tokens = await stored(
        deps,
        "claim_leases",
        lambda: deps.store.claim_leases(
            ref, pairs, deps.clock(), owner=deps.owner, lease_s=deps.lease_s
        ),
        ref.start_utc,
    )
    return [Target(r, c, t, asked_at) for (r, c), t in zip(wanted, tokens, strict=True)]


async def _record_unavailable(
    deps: FanoutDeps, ref: ReminderRef, missing: list[tuple[Registration, ChannelName]]
) -> None:
    """A channel this process lacks is recorded ``failed``, not dropped."""
    now = deps.clock()
    for registration, channel in missing:
        key = delivery_key(ref, registration.id, channel)
        if await deps.store.claim_delivery(key, ref, registration.id, channel, now):
            note = f"no {channel} channel in this service; nothing was sent"
            await deps.store.record_delivery(key, "failed", 0, now, note)
            deps.metrics.deliveries.labels(channel, "failed").inc()
            log.warning("delivery_failed", delivery=key, reason="channel unavailable")


async def deliver_range(
    deps: FanoutDeps,
    event: Event,
    session: Session,
    ref: ReminderRef,
    sequence: int,
    after_id: str = "",
    upto_id: str | None = None,
) -> Counter[str]:
    """Deliver to the audience in ``(after_id, upto_id]``: read, claim, send, record."""
    sends = _Sends(deps)
    writer = OutcomeWriter(deps, sending=sends.in_flight)
    ahead = _PagesAhead(_pages(deps, event, session, ref, after_id, upto_id), deps.stopping)
    try:
        async for page, last in ahead:
            if not await _start_page(deps, writer, sends, event, session, ref, page, sequence):
                # shutting down: the page's claims not attempted were handed back
                await ahead.hand_back(deps, ref, sends.counts)
                break
            if deps.stopping.is_set() and not last:
                await ahead.hand_back(deps, ref, sends.counts)
                break
        await sends.wait()
    except asyncio.CancelledError:
        await asyncio.shield(ahead.hand_back(deps, ref, sends.counts, wait=False))
        await sends.cancel()
        raise
    finally:
        ahead.drop()
    return sends.counts


class _PagesAhead:
    """The pages of a range, the next one read and claimed while this one sends: the store's
    round trips overlap the sends instead of stalling them between pages. At most one page
    waits ahead, so memory stays at two pages plus the sends in flight."""

    def __init__(
        self, pages: AsyncIterator[tuple[list[Target], bool]], stopping: asyncio.Event
    ) -> None:
        self._pages, self._stopping = pages, stopping
        self._next: asyncio.Task[tuple[list[Target], bool]] | None = None
        self._more = True  # the last page handed out was not the last one

    def __aiter__(self) -> _PagesAhead:
        return self

    async def __anext__(self) -> tuple[list[Target], bool]:
        if self._next is None:
            if not self._more:
                raise StopAsyncIteration
            self._next = asyncio.ensure_future(anext(self._pages))
        task, self._next = self._next, None
        try:
            page, last = await task
        except asyncio.CancelledError:
            task.cancel()  # a claim cut off mid round trip: its leases run out (catch-up)
            raise
        self._more = not last
        if not last and not self._stopping.is_set():  # no claims made only to go back
            self._next = asyncio.ensure_future(anext(self._pages))
        return page, last

    async def hand_back(
        self, deps: FanoutDeps, ref: ReminderRef, counts: Counter[str], *, wait: bool = True
    ) -> None:
        """Shutdown: the page claimed ahead goes back unattempted, like the current page's rest
        (``wait``: let its round trip finish first; cut off, a claim still on its way is left
        to run out its lease); whatever was never read is ``cut_off`` (the next run reads it)."""
        task, self._next = self._next, None
        if task is not None and not task.done() and not wait:
            task.cancel()
        if task is None or task.cancelled() or not (wait or task.done()):
            if self._more:
                counts["cut_off"] += 1
            return
        try:
            page, last = await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        except StoreError as exc:  # nothing known claimed; a claim made runs out its lease
            log.warning("prefetch_failed_at_shutdown", error=str(exc))
            counts["cut_off"] += 1
            return
        await _hand_back(deps, ref, page, counts)
        if not last:
            counts["cut_off"] += 1  # the rest is for the next run

    def drop(self) -> None:
        """An error ended the range: a page still being claimed ahead is abandoned (its
        leases run out and the catch-up pass sends it)."""
        task, self._next = self._next, None
        if task is None:
            return
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()  # retrieved: the range's own error is the one raised


async def _start_page(
    deps: FanoutDeps,
    writer: OutcomeWriter,
    sends: _Sends,
    event: Event,
    session: Session,
    ref: ReminderRef,
    page: list[Target],
    sequence: int,
) -> bool:
    """Start a send for each claim of the page; False if shutdown cut in (the rest is handed
    back)."""
    for index, target in enumerate(page):
        if target.token <= 0:
            sends.counts[_not_ours(target)] += 1
            continue
        try:
            started = await sends.start(
                partial(deliver, deps, writer, event, session, ref, target, sequence)
            )
        except asyncio.CancelledError:  # cut off while waiting for a slot: hand the rest back
            await asyncio.shield(_hand_back(deps, ref, page[index:], sends.counts))
            raise
        if not started:
            await _hand_back(deps, ref, page[index:], sends.counts)
            return False
    return True


class _Sends:
    """The sends of one range in flight: at most ``deps.concurrency``, their outcomes counted;
    tasks exist only for sends that hold a slot, so memory follows the slots, not the page."""

    def __init__(self, deps: FanoutDeps) -> None:
        self._deps = deps
        self._running: set[asyncio.Task[str]] = set()
        self._errors: list[BaseException] = []
        self.counts: Counter[str] = Counter()

    async def start(self, send: Callable[[SendSlot], Coroutine[Any, Any, str]]) -> bool:
        """Start ``send(slot)`` once a slot is free; False (nothing started) when shutting
        down. The send may give its slot back early; else it goes back when the send ends."""
        with self._deps.first_attempts.queued():  # retries wait while first attempts queue
            await self._deps.concurrency.acquire()  # a claim waits here for a free slot
        if self._deps.stopping.is_set():
            self._deps.concurrency.release()
            return False
        slot = SendSlot(self._deps.concurrency)
        task = asyncio.create_task(send(slot))
        self._running.add(task)
        task.add_done_callback(partial(self._finished, slot))
        return True

    def in_flight(self) -> int:
        return len(self._running)

    def _finished(self, slot: SendSlot, task: asyncio.Task[str]) -> None:
        self._running.discard(task)
        slot.release()
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self.counts[task.result()] += 1
        else:
            self._errors.append(error)

    async def wait(self) -> None:
        if self._running:
            await asyncio.wait(set(self._running))
        if self._errors:
            raise self._errors[0]

    async def cancel(self) -> None:
        """Cut off (drain timed out): each send records what it knows, shielded."""
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)


async def _hand_back(
    deps: FanoutDeps, ref: ReminderRef, rest: list[Target], counts: Counter[str]
) -> None:
    """Shutdown mid page: the claims not attempted go back for the next run to send."""
    for target in rest:
        if target.token > 0:
            await release(deps, delivery_key(ref, target.registration.id, target.channel))
            counts["handed_back"] += 1
        else:
            counts[_not_ours(target)] += 1


def _not_ours(target: Target) -> str:
    """A claim this process did not get: another's live claim, or a finished delivery."""
    return "claimed_elsewhere" if target.token < 0 else "already_claimed"


async def _skip_all(
    deps: FanoutDeps, event: Event, session: Session, ref: ReminderRef, reason: str
) -> Counter[str]:
    """Too late: every claimable delivery is recorded ``skipped`` (dead claims taken over)."""
    counts: Counter[str] = Counter()
    async for page, _ in _pages(deps, event, session, ref):
        counts += await _skip_page(deps, ref, page, reason)
    return counts


async def _skip_page(
    deps: FanoutDeps, ref: ReminderRef, page: list[Target], reason: str
) -> Counter[str]:
    ours = [t for t in page if t.token > 0]
    writes = [
        DeliveryWrite(
            delivery_key(ref, t.registration.id, t.channel), "skipped", 0, reason, t.token
        )
        for t in ours
    ]
    results = await stored(
        deps, "record_deliveries", lambda: deps.store.record_deliveries(writes, deps.clock())
    )
    for target in ours:
        deps.metrics.delivered(target.channel, "skipped").inc()
    return Counter(skipped=results.count("written"), already_claimed=len(page) - len(ours))
