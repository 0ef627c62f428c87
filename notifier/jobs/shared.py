"""A fan-out shared by replicas: the leader cuts the audience into chunks, every replica
delivers chunks, and whoever finishes a round's last chunk records the fan-out.

Chunks are id ranges of the audience (:class:`~notifier.records.Chunk`), one page each, cut as
the pages are read, so the first chunk is out (and being sent) while the rest is still being
cut; the last one is open-ended, so a registration added meanwhile still falls in one chunk.
Each round is begun with the publisher's leader token: a replica that lost the lease is
fenced off (``begin`` answers 0) instead of publishing beside the new leader. A chunk whose
session this replica does not know (its config is behind) counts as ``not_here``: unfinished,
so the catch-up pass publishes the reminder again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from datetime import datetime

import structlog

from notifier.events import Event, Session
from notifier.jobs.ahead import due_utc, sleep_until
from notifier.jobs.deps import FanoutDeps, stored
from notifier.jobs.fanout import (
    deliver_range,
    fanout_status,
    first_page_size,
    start_fanout_record,
)
from notifier.records import Chunk, Registration, ReminderRef
from notifier.store.work import WorkItem, WorkQueue

log = structlog.get_logger("notifier.fanout")
Lookup = Callable[[ReminderRef], "tuple[Event, Session] | None"]
ROUND_POLL_S = 0.1  # how often a publisher looks whether its round is done


async def publish_fanout(
    deps: FanoutDeps,
    queue: WorkQueue,
    event: Event,
    session: Session,
    ref: ReminderRef,
    leader_token: int,
) -> int:
    """Begin a round of ``ref``'s fan-out and publish its chunks; the round (0: fenced off,
    or nothing to publish: done before, or skipped)."""
    until = ref.start_utc
    round_ = await stored(deps, "work_begin", lambda: queue.begin(ref, deps.owner, leader_token))
    if not round_:
        log.warning("fanout_fenced", reminder=ref.key, leader_token=leader_token)
        return 0
    started = await start_fanout_record(deps, event, session, ref)
    if isinstance(started, Counter):
        return 0
    total, after_id, limit = 0, "", first_page_size(deps)
    while True:
        if deps.stopping.is_set():  # unsealed: the catch-up pass publishes it again
            log.info("fanout_publish_cut_off", reminder=ref.key, round=round_, chunks=total)
            return round_
        page = await _read(deps, event, after_id, limit, until)
        last = len(page) < limit
        await _publish(deps, queue, Chunk(ref, after_id, "" if last else page[-1].id, round_))
        total += 1
        if last:
            break
        after_id, limit = page[-1].id, deps.page_size
    complete = await stored(deps, "work_seal", lambda: queue.seal(ref, round_, total))
    if complete is not None:
        await record_round(deps, ref, complete)
    log.info("fanout_published", reminder=ref.key, round=round_, chunks=total)
    return round_


async def _read(
    deps: FanoutDeps, event: Event, after_id: str, limit: int, until: datetime
) -> list[Registration]:
    return await stored(
        deps,
        "registration_page",
        lambda: deps.store.registration_page(event.id, after_id, limit),
        until,
    )


async def _publish(deps: FanoutDeps, queue: WorkQueue, chunk: Chunk) -> None:
    await stored(deps, "work_publish", lambda: queue.publish(chunk), chunk.ref.start_utc)


async def wait_round(
    deps: FanoutDeps, queue: WorkQueue, ref: ReminderRef, round_: int, stop: asyncio.Event
) -> None:
    """Until every chunk of the round is done, another round began, or ``stop``."""
    if deps.prepare_ahead_s > 0:
        # prepared ahead, a round ends once its sends due at the instant are out: no polling
        # before (twenty fan-outs in their lead polled the store 200 times a second), and the
        # first look is a poll interval after the instant (ten fan-outs that all looked at the
        # instant itself made their round trips between its sends)
        await sleep_until(deps, due_utc(ref), stop)
        await _pause(stop)
    while not stop.is_set():
        progress = await stored(deps, "work_progress", lambda: queue.progress(ref))
        if progress is None or progress.round != round_:
            return
        if progress.total is not None and progress.done >= progress.total:
            return
        await _pause(stop)


async def _pause(stop: asyncio.Event) -> None:
    """``ROUND_POLL_S``, or until ``stop``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(ROUND_POLL_S):
            await stop.wait()


async def deliver_chunk(
    deps: FanoutDeps, queue: WorkQueue, item: WorkItem, lookup: Lookup
) -> Counter[str]:
    """Deliver one chunk and mark it done (or hand it back at shutdown); its counts."""
    chunk, ref = item.chunk, item.chunk.ref
    found = lookup(ref)
    if found is None:
        counts = Counter(not_here=1)  # unfinished: the catch-up publishes it again
        log.warning("chunk_not_here", reminder=ref.key, after=chunk.after_id)
    else:
        event, session = found
        sequence = await stored(
            deps,
            "session_sequence",
            lambda: deps.store.session_sequence(event.id, session.id, ref.start_utc),
            ref.start_utc,
        )
        upto = chunk.upto_id or None
        counts = await deliver_range(deps, event, session, ref, sequence, chunk.after_id, upto)
    if deps.stopping.is_set() and (counts["handed_back"] or counts["cut_off"]):
        await stored(deps, "work_hand_back", lambda: queue.hand_back(item))
        log.info("chunk_handed_back", reminder=ref.key, after=chunk.after_id)
        return counts
    complete = await stored(deps, "work_finish", lambda: queue.finish(item, counts))
    if complete is not None:
        await record_round(deps, ref, complete)
    return counts


async def record_round(deps: FanoutDeps, ref: ReminderRef, counts: Counter[str]) -> None:
    """The round's last chunk is done: the fan-out record, ``done`` unless any delivery is
    unfinished (then ``started``: the catch-up pass comes back)."""
    status = fanout_status(counts)
    await stored(
        deps,
        "record_fanout",
        lambda: deps.store.record_fanout(ref, status, deps.clock(), dict(counts)),
    )
    deps.metrics.reminders_fired.labels(status).inc()
    log.info("reminder_fanout_done", reminder=ref.key, status=status, **counts)
