"""Outcome writes of one fan-out, batched: one store round trip carries every write that
arrived while the previous one was on its way (group commit).

A batch waits at most ``LINGER_S`` for ``LINGER_BATCH`` writes (not at shutdown, nor when the
backlog is full, nor when every send of the fan-out in flight already waits for its outcome:
nothing more can come, and the last batch of a fan-out went out 20 ms late), and under load
the batches grow by themselves, so a fan-out of 10,000 writes its outcomes in tens of round
trips, not 10,000.
Each write keeps its own fencing check: a stale token raises :class:`ClaimLostError` for that
delivery only. Writes of one writer belong to one reminder (its keys share one session, as
the Redis store's batch script expects).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from notifier.errors import ClaimLostError, StoreError
from notifier.jobs.deps import FanoutDeps, stored
from notifier.records import DeliveryWrite, WriteResult

MAX_BATCH = 500
# a batch waits up to LINGER_S for LINGER_BATCH writes: a round trip per few writes cost more
# CPU than the sends (sends do not wait for it: they gave their slots back, see has_room)
LINGER_S = 0.02
LINGER_BATCH = 32

_Pending = tuple[DeliveryWrite, "asyncio.Future[WriteResult]"]


class OutcomeWriter:
    """Group commit of delivery outcomes for one fan-out."""

    def __init__(
        self,
        deps: FanoutDeps,
        max_batch: int = MAX_BATCH,
        sending: Callable[[], int] | None = None,
    ) -> None:
        """``sending``: how many of the fan-out's sends are in flight (each writes once it
        is answered); None: unknown, a batch always lingers."""
        self._deps = deps
        self._max_batch = max_batch
        self._sending = sending
        self._unanswered = 0  # writes accepted and not yet answered by the store
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._filled = asyncio.Event()  # LINGER_BATCH writes are pending

    def has_room(self) -> bool:
        """Whether a send may give its slot back before its outcome is written (the process's
        count of such outcomes, ``deps.unwritten``, is below its limit)."""
        return self._deps.unwritten.has_room()

    async def write(self, write: DeliveryWrite) -> None:
        """Write one outcome, retried over a store outage until the store takes it.

        An outcome is a fact (the mail went out): a caller cancelled while it waits does not
        take it back; it is written with its batch (the future it awaits is only the answer,
        so it is awaited without a shield: a shield per write cost a future and a callback)."""
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        self._deps.unwritten.count += 1  # accepted, not yet answered by the store
        self._unanswered += 1
        if len(self._pending) >= LINGER_BATCH or self._nothing_more():
            self._filled.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="outcome-writer")
        result = await future
        if result == "taken_over":
            raise ClaimLostError(f"delivery {write.key!r}: its claim was taken over; not written")
        if result == "missing":
            raise StoreError(f"delivery {write.key!r} was never claimed; claim it first")

    async def _linger(self) -> None:
        """Wait a moment for a fuller batch, unless it is full, shutdown has begun, a send
        waits for its outcome with its slot (the backlog is at its bound), or every send in
        flight waits for its outcome already (no more writes can come meanwhile)."""
        if len(self._pending) >= LINGER_BATCH or self._deps.stopping.is_set():
            return
        if not self.has_room():
            return
        if self._nothing_more():
            return
        self._filled.clear()
        try:
            async with asyncio.timeout(LINGER_S):
                await self._filled.wait()
        except TimeoutError:
            pass

    def _nothing_more(self) -> bool:
        """Every send of the fan-out in flight waits for its outcome already: no more writes
        can come before these are answered."""
        return self._sending is not None and self._sending() <= self._unanswered

    async def _flush(self) -> None:
        while self._pending:
            await self._linger()
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            try:
                results = await self._record([write for write, _ in batch])
            except BaseException as exc:  # cancelled at exit: the waiters must not hang
                self._deps.unwritten.count -= len(batch) + len(self._pending)
                self._unanswered -= len(batch) + len(self._pending)
                for _, future in batch + self._pending:
                    if future.done():
                        continue
                    if isinstance(exc, Exception):
                        future.set_exception(exc)
                    else:
                        future.cancel()
                self._pending.clear()
                raise
            self._deps.unwritten.count -= len(batch)
            self._unanswered -= len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _record(self, writes: list[DeliveryWrite]) -> list[WriteResult]:
        deps = self._deps
        return await stored(
            deps, "record_deliveries", lambda: deps.store.record_deliveries(writes, deps.clock())
        )
