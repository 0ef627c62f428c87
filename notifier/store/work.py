"""Work shared across replicas: a queue of audience chunks, and the scheduler's leader lease.

A due reminder's audience is cut into :class:`~notifier.records.Chunk` s (id ranges) by the
one replica that holds the leader lease; every replica takes chunks from the queue, delivers
them and marks them done; the one that finishes the last chunk of a round records the fan-out.

Two backends, one contract: :mod:`notifier.store.redis_work` (a Redis Streams consumer group:
a dead replica's chunks are taken over once idle, the lease is a key with a fencing token) and
:class:`LocalWorkQueue` / :class:`LocalLeaderLease` here, for the embedded SQLite store: one
process, an in-process queue, always the leader, the same rounds and counts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from notifier.records import Chunk, ReminderRef


@dataclass(frozen=True)
class WorkItem:
    """A chunk taken from the queue: its queue id, and how often it was handed out."""

    entry_id: str
    chunk: Chunk
    deliveries: int = 1


@dataclass(frozen=True)
class Progress:
    """A reminder's current round: chunks published (None until sealed) and finished."""

    round: int
    total: int | None
    done: int
    publisher: str


class WorkQueue(Protocol):
    """Chunks of fan-outs, handed out to the replicas; each method is one atomic step."""

    async def begin(self, ref: ReminderRef, publisher: str, leader_token: int) -> int:
        """Start a new round of ``ref``'s fan-out and return its number; 0 if a publisher with
        a newer leader token began one already (this one lost the lease: fenced off)."""

    async def publish(self, chunk: Chunk) -> None: ...

    async def seal(self, ref: ReminderRef, round_: int, total: int) -> Counter[str] | None:
        """All ``total`` chunks of the round are out; the round's counts if all are done."""

    async def take(self, consumer: str, count: int, wait_s: float) -> list[WorkItem]:
        """Up to ``count`` new chunks for ``consumer``, waiting up to ``wait_s`` for one."""

    async def reclaim(self, consumer: str, idle_s: float, count: int) -> list[WorkItem]:
        """Chunks another consumer took and left idle for ``idle_s`` (it died): now ours."""

    async def touch(self, consumer: str, item: WorkItem) -> None:
        """Show ``item`` is being worked on (its idle time starts again)."""

    async def finish(self, item: WorkItem, counts: Counter[str]) -> Counter[str] | None:
        """Mark a chunk done (once per round: a chunk finished twice counts once); the round's
        summed counts if this was its last chunk, else None."""

    async def hand_back(self, item: WorkItem) -> None:
        """Put a chunk back for any consumer (this one is shutting down)."""

    async def progress(self, ref: ReminderRef) -> Progress | None: ...


class LeaderLease(Protocol):
    """Who runs the scheduler and the catch-up pass: one holder at a time."""

    async def hold(self, owner: str, lease_s: float) -> int:
        """Take the lease or renew it; its fencing token (grows with every new holder), or 0
        if another owner holds it."""

    async def release(self, owner: str) -> None: ...


@dataclass
class _Round:
    round: int
    publisher: str
    leader_token: int
    total: int | None = None
    done: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)


class LocalWorkQueue:
    """:class:`WorkQueue` in one process (the embedded store): an ``asyncio.Queue``."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[WorkItem] = asyncio.Queue()
        self._rounds: dict[str, _Round] = {}
        self._next_id = 0

    async def begin(self, ref: ReminderRef, publisher: str, leader_token: int) -> int:
        previous = self._rounds.get(ref.key)
        if previous is not None and previous.leader_token > leader_token:
            return 0
        number = 1 if previous is None else previous.round + 1
        self._rounds[ref.key] = _Round(number, publisher, leader_token)
        return number

    async def publish(self, chunk: Chunk) -> None:
        self._next_id += 1
        self._queue.put_nowait(WorkItem(str(self._next_id), chunk))

    async def seal(self, ref: ReminderRef, round_: int, total: int) -> Counter[str] | None:
        state = self._rounds.get(ref.key)
        if state is None or state.round != round_:
            return None
        state.total = total
        return Counter(state.counts) if len(state.done) >= total else None

    async def take(self, consumer: str, count: int, wait_s: float) -> list[WorkItem]:
        try:
            async with asyncio.timeout(wait_s):
                first = await self._queue.get()
        except TimeoutError:
            return []
        items = [first]
        while len(items) < count and not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def reclaim(self, consumer: str, idle_s: float, count: int) -> list[WorkItem]:
        return []  # one process: nobody else to die

    async def touch(self, consumer: str, item: WorkItem) -> None:
        return None

    async def finish(self, item: WorkItem, counts: Counter[str]) -> Counter[str] | None:
        state = self._rounds.get(item.chunk.ref.key)
        if state is None or state.round != item.chunk.round or item.chunk.after_id in state.done:
            return None
        state.done.add(item.chunk.after_id)
        state.counts.update(counts)
        complete = state.total is not None and len(state.done) >= state.total
        return Counter(state.counts) if complete else None

    async def hand_back(self, item: WorkItem) -> None:
        self._queue.put_nowait(item)

    async def progress(self, ref: ReminderRef) -> Progress | None:
        state = self._rounds.get(ref.key)
        if state is None:
            return None
        return Progress(state.round, state.total, len(state.done), state.publisher)

    def pending(self) -> int:
        """Chunks waiting in the queue (what ``--until-idle`` waits for)."""
        return self._queue.qsize()


class LocalLeaderLease:
    """:class:`LeaderLease` in one process: it is always the leader."""

    async def hold(self, owner: str, lease_s: float) -> int:
        return 1

    async def release(self, owner: str) -> None:
        return None
