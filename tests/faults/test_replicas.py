"""Replicas sharing one fan-out through Redis (#12.6): real ``notifier run`` processes, real
Redis (one server; the takeover scenario also on the three-master cluster), the scripted SMTP
server as the sink that counts every copy.

Each scenario files what docs/reliability.md prints: expected, once, duplicates, lost and
wrong log entries (``tests/support/faults.py``), at the suite's size (``fault_people``: 100
quick, 2,000 full). Settings are short so faults play out in seconds: claims last 2 s (a dead
replica's chunks are taken over after 2 x 2 s idle), the leader lease 3 s, chunks of 20
registrations.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from notifier.jobs.deps import Unwritten
from notifier.records import Delivery, Registration, ReminderRef
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Daemon, Workspace
from tests.support.events import soon
from tests.support.faults import REPORT, Tally, tally
from tests.support.processes import Children
from tests.support.smtp import SmtpServer, start_smtp_server
from tests.support.waiting import wait_until

CONCURRENCY = 4  # sends in flight per replica
# the bound on duplicates at a fault (README, delivery semantics): the sends in flight plus the
# answered sends whose outcome was still on its way to the store
BOUND = CONCURRENCY + Unwritten.LIMIT
CLAIM_LEASE_S = 2.0
TAKEOVER_S = 2 * CLAIM_LEASE_S + 0.5  # idle time before a chunk is taken over, plus a poll
START_IN = timedelta(minutes=5)


def _settle_s(people: int) -> float:
    """The whole fan-out on a loaded 2-core machine: 100 in seconds, 2,000 well within 5 min."""
    return 90.0 + people / 10


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.handler.release()  # a failed test may leave the sends held
        server.stop()


@pytest.fixture
def replica_redis(request: pytest.FixtureRequest) -> str:
    """The Redis the replicas share, empty: the one server, or (a test parametrized
    ``indirect`` with ``"redis-cluster"``) the three-master cluster."""
    kind = getattr(request, "param", "redis")
    url: str = request.getfixturevalue("redis_url" if kind == "redis" else "redis_cluster_url")
    return url


@pytest.fixture
def workspace(tmp_path: Path, smtp: SmtpServer, replica_redis: str) -> Iterator[Workspace]:
    settings = {
        "NOTIFIER_STORE_URL": replica_redis,
        "NOTIFIER_REDIS_ALLOW_VOLATILE": "true",  # the replicas fail here, not Redis (no AOF)
        "NOTIFIER_SMTP_HOST": smtp.host,
        "NOTIFIER_SMTP_PORT": str(smtp.port),
        "NOTIFIER_SMTP_TLS": "none",
        "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
        "NOTIFIER_SIGNING_SECRET": "replicas-signing-secret-of-32-bytes-or-more",
        "NOTIFIER_SEND_CONCURRENCY": str(CONCURRENCY),
        "NOTIFIER_SMTP_POOL_SIZE": str(CONCURRENCY),
        "NOTIFIER_CLAIM_LEASE_S": str(CLAIM_LEASE_S),
        "NOTIFIER_LEADER_LEASE_S": "3",
        "NOTIFIER_CHUNK_SIZE": "20",
        "NOTIFIER_WORK_POLL_S": "0.5",
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
    }
    with Children() as children:
        yield Workspace.create(tmp_path, settings, children)


def _names(people: int) -> list[str]:
    return [f"p{i:04d}" for i in range(people)]


def _register(url: str, names: list[str]) -> None:
    async def add() -> None:
        store = await open_store(url)
        try:
            for name in names:
                await store.add_registration(
                    Registration(name, EVENT_ID, "Asia/Tokyo", soon(0), email=f"{name}@example.org")
                )
        finally:
            await store.aclose()

    asyncio.run(add())


def _deliveries(url: str, ref: ReminderRef) -> list[Delivery]:
    """The delivery log of ``ref``, in one read (what the waits poll)."""

    async def read() -> list[Delivery]:
        store = await open_store(url)
        try:
            return [d for d in await store.list_deliveries(EVENT_ID) if d.ref == ref]
        finally:
            await store.aclose()

    return asyncio.run(read())


def _count(url: str, ref: ReminderRef, copies: Counter[str], names: list[str]) -> Tally:
    """The scenario's counts of ``ref`` (the caller files the ones it asserts)."""

    async def read() -> Tally:
        store = await open_store(url)
        try:
            return await tally(store, ref, copies, names)
        finally:
            await store.aclose()

    return asyncio.run(read())


def _wait_all_sent(url: str, ref: ReminderRef, names: list[str], replicas: list[Daemon]) -> None:
    def settled() -> bool:
        log = _deliveries(url, ref)
        return sum(d.status == "sent" for d in log) == len(names)

    def logs() -> str:
        return "\n".join(r.log_text()[-3000:] for r in replicas)

    wait_until(settled, timeout_s=_settle_s(len(names)), poll_s=0.5, what=logs)


def _start_replicas(workspace: Workspace, count: int) -> list[Daemon]:
    replicas = [workspace.start(name=f"replica{i}") for i in range(count)]
    for replica in replicas:
        replica.wait_for("service_ready", timeout_s=60)
    return replicas


def _leader(replicas: list[Daemon]) -> Daemon:
    (leader,) = [r for r in replicas if r.count("leader_acquired") > r.count("leader_lost")]
    return leader


def _due_in(workspace: Workspace, seconds: float, offsets: list[timedelta]) -> ReminderRef:
    """The e2e event with its session START_IN after ``seconds`` from now; the first ref."""
    start = soon(seconds) + START_IN
    workspace.write_event(start, [START_IN, *offsets])
    return ReminderRef(EVENT_ID, "talk", start, int(START_IN.total_seconds()))


@dataclass
class MidFanout:
    """Replicas sending one reminder; ``struck`` (not the leader) is in the middle of its share:
    it holds ``claims`` deliveries claimed and not done, its sends among them held in DATA by
    the sink until the test calls ``smtp.handler.release()``."""

    ref: ReminderRef
    names: list[str]
    struck: Daemon
    others: list[Daemon]
    claims: int


def _mid_fanout(
    workspace: Workspace, smtp: SmtpServer, url: str, people: int, count: int
) -> MidFanout:
    """``count`` replicas on ``people`` registrations, a sink of 30 ms a mail; once a
    non-leader has sent a twentieth of the audience (10 at least), the sink holds every send
    in DATA until the struck replica has claims open and a send held: the fault then lands
    mid-share for sure (a replica between two chunks has nothing to take over: seen at full
    size, where the kill at exactly 100 sent found only chunks not yet claimed)."""
    names = _names(people)
    _register(url, names)
    smtp.handler.delay_s = 0.03
    ref = _due_in(workspace, 12, [])
    replicas = _start_replicas(workspace, count)
    leader = _leader(replicas)
    struck = next(r for r in replicas if r is not leader)
    others = [r for r in replicas if r is not struck]
    wait_until(
        lambda: struck.count("reminder_sent") >= max(10, people // 20),
        timeout_s=_settle_s(people),
        what=struck.log_text,
    )
    smtp.handler.hold()
    owner = f"{struck.process.pid}-"  # its claims' owner: pid, then a random part

    def open_claims() -> int:
        log = _deliveries(url, ref)
        return sum(d.status == "claimed" and (d.owner or "").startswith(owner) for d in log)

    seen: list[int] = []

    def held() -> bool:
        """Claims open, and the same at two polls: a send already past the hold (in the
        sink's 30 ms) has had its outcome written by then."""
        seen.append(open_claims())
        return smtp.handler.in_flight >= 1 and len(seen) >= 2 and seen[-1] == seen[-2] >= 1

    wait_until(held, timeout_s=30, poll_s=0.2, what=struck.log_text)
    return MidFanout(ref, names, struck, others, seen[-1])


def _taken_over_and_sent(url: str, run: MidFanout) -> int:
    """Until the others took the struck replica's chunks over (stated: idle 2 x the claim
    lease, plus a poll) and every participant is logged ``sent``; the chunks taken over."""

    def taken_over() -> int:
        return sum(r.count("chunk_taken_over") for r in run.others)

    wait_until(lambda: taken_over() >= 1, timeout_s=TAKEOVER_S + 30, what=run.others[0].log_text)
    _wait_all_sent(url, run.ref, run.names, run.others)
    return taken_over()


@pytest.mark.parametrize("count", [2, 3])
def test_replicas_share_one_fanout_and_each_sends_exactly_once(
    workspace: Workspace, smtp: SmtpServer, replica_redis: str, fault_people: int, count: int
) -> None:
    """N replicas on one Redis: each sends a share, and every participant gets one copy."""
    names = _names(fault_people)
    _register(replica_redis, names)
    smtp.handler.delay_s = 0.01  # a fan-out long enough for every replica to take chunks
    ref = _due_in(workspace, 12, [])
    replicas = _start_replicas(workspace, count)

    _wait_all_sent(replica_redis, ref, names, replicas)
    shares = [r.count("reminder_sent") for r in replicas]
    leaders = sum(r.count("leader_acquired") for r in replicas)  # before a stop hands it on
    result = REPORT.add(_count(replica_redis, ref, smtp.handler.recipients, names))
    for replica in replicas:
        assert replica.stop() == 0
    assert (result.once, result.duplicates, result.lost, result.wrong_log) == (
        fault_people,
        0,
        0,
        0,
    )
    assert sum(shares) == fault_people, shares
    assert all(share > 0 for share in shares), shares  # the work was shared
    assert leaders == 1  # one scheduler, one catch-up pass
    print(f"{count} replicas share one fan-out | {result.row()} | shares {shares}")


@pytest.mark.parametrize(
    ("replica_redis", "count"),
    [("redis", 2), ("redis", 3), ("redis-cluster", 2)],
    ids=["redis-2", "redis-3", "cluster-2"],
    indirect=["replica_redis"],
)
def test_a_replica_killed_mid_fanout_has_its_chunks_taken_over(
    workspace: Workspace, smtp: SmtpServer, replica_redis: str, fault_people: int, count: int
) -> None:
    """SIGKILL one of ``count`` replicas while it sends: the others take its chunks over
    (XAUTOCLAIM) once they are idle for 2 x the claim lease, and its claims with new fencing
    tokens; none lost, at most its sends in flight twice."""
    run = _mid_fanout(workspace, smtp, replica_redis, fault_people, count)
    run.struck.stop(signal.SIGKILL)  # its sends held in DATA die with its connections
    smtp.handler.release()
    sent_by_dead = run.struck.count("reminder_sent")

    chunks = _taken_over_and_sent(replica_redis, run)
    claims = sum(d.token > 1 for d in _deliveries(replica_redis, run.ref))
    sent_by_others = [r.count("reminder_sent") for r in run.others]
    result = REPORT.add(_count(replica_redis, run.ref, smtp.handler.recipients, run.names))
    for replica in run.others:
        assert replica.stop() == 0
    assert (result.lost, result.wrong_log) == (0, 0), result
    assert result.duplicates <= BOUND, result
    assert result.once + result.duplicates >= fault_people
    assert result.statuses == {"sent": fault_people}, result
    assert chunks >= 1, chunks  # its share was taken over: its chunks ...
    assert claims >= 1, (claims, run.claims)  # ... and its claims, with new tokens
    print(
        f"SIGKILL 1 of {count} replicas mid fan-out | {result.row()} | sent by it {sent_by_dead},"
        f" by the others {sent_by_others} | its open claims {run.claims}; chunks taken over"
        f" {chunks}, claims {claims}"
    )


def test_killing_the_lease_holder_hands_the_scheduler_over(
    workspace: Workspace, smtp: SmtpServer, replica_redis: str, fault_people: int
) -> None:
    """SIGKILL the leader after the first reminder: another replica takes the lease and the
    next reminder still goes out, once to each participant."""
    names = _names(fault_people)
    _register(replica_redis, names)
    gap = timedelta(seconds=25 + fault_people // 40)  # the first fan-out done well before
    first = _due_in(workspace, 10, [START_IN - gap])
    second = ReminderRef(EVENT_ID, "talk", first.start_utc, int((START_IN - gap).total_seconds()))
    replicas = _start_replicas(workspace, 2)
    leader = _leader(replicas)
    (follower,) = [r for r in replicas if r is not leader]
    _wait_all_sent(replica_redis, first, names, replicas)
    assert not _deliveries(replica_redis, second), "the kill must come between the reminders"
    leader.stop(signal.SIGKILL)
    before = smtp.handler.recipients  # the first reminder's copies

    follower.wait_for("leader_acquired", timeout_s=30)  # stated: within the 3 s lease + 1 s
    _wait_all_sent(replica_redis, second, names, [follower])
    copies = smtp.handler.recipients
    result = REPORT.add(_count(replica_redis, second, copies - before, names))
    assert follower.stop() == 0
    twice = sum(copies[f"{n}@example.org"] == 2 for n in names)
    assert twice == fault_people, copies  # one per reminder
    assert (result.once, result.duplicates) == (fault_people, 0), result
    assert (result.lost, result.wrong_log) == (0, 0), result
    assert result.statuses == {"sent": fault_people}, result
    print(f"SIGKILL the lease holder | {fault_people} x 2 reminders, 2 copies each, 0 lost")


def test_a_replica_paused_past_its_lease_has_its_late_writes_refused(
    workspace: Workspace, smtp: SmtpServer, replica_redis: str, fault_people: int
) -> None:
    """SIGSTOP a replica mid fan-out until the other took its chunks over, then SIGCONT: what
    it had in flight may go out twice, but its late writes are refused by the fencing token,
    so the log stays right."""
    run = _mid_fanout(workspace, smtp, replica_redis, fault_people, 2)
    run.struck.process.send_signal(signal.SIGSTOP)
    smtp.handler.release()  # its held sends are accepted: it cannot record them while stopped
    try:
        chunks = _taken_over_and_sent(replica_redis, run)
    finally:
        run.struck.process.send_signal(signal.SIGCONT)
    # woken, it finishes what it had in flight: each of those writes meets a newer token
    wait_until(
        lambda: run.struck.count("delivery_taken_over") >= 1,
        timeout_s=30,
        what=run.struck.log_text,
    )
    result = REPORT.add(_count(replica_redis, run.ref, smtp.handler.recipients, run.names))
    for replica in [run.struck, *run.others]:
        assert replica.stop() == 0
    assert (result.lost, result.wrong_log) == (0, 0), result
    assert result.duplicates <= BOUND, result
    assert result.statuses["sent"] == fault_people
    refused = run.struck.count("delivery_taken_over")
    print(
        f"SIGSTOP a replica past its lease | {result.row()} | its open claims {run.claims};"
        f" chunks taken over {chunks}, late writes refused {refused}"
    )
