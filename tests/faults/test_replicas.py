"""Replicas sharing one fan-out through Redis (#12.6): real ``notifier run`` processes, one
real redis-server, the scripted SMTP server as the sink that counts every copy.

Each scenario counts what docs/reliability.md prints: expected, once, duplicates, lost and
wrong log entries (``tests/support/faults.py``). Settings are short so faults play out in
seconds: claims last 2 s (a dead replica's chunks are taken over after 2 x 2 s idle), the
leader lease 3 s, chunks of 20 registrations.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from notifier.records import Registration, ReminderRef
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Daemon, Workspace
from tests.support.events import soon
from tests.support.faults import REPORT, Tally, tally
from tests.support.processes import Children
from tests.support.smtp import SmtpServer, start_smtp_server
from tests.support.waiting import wait_until

PEOPLE = 300
CONCURRENCY = 4  # sends in flight per replica: the bound on duplicates at a fault
CLAIM_LEASE_S = 2.0
TAKEOVER_S = 2 * CLAIM_LEASE_S + 0.5  # idle time before a chunk is taken over, plus a poll
START_IN = timedelta(minutes=5)
SETTLE_S = 90.0  # the whole fan-out on a loaded 2-core machine


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workspace(tmp_path: Path, smtp: SmtpServer, redis_url: str) -> Iterator[Workspace]:
    settings = {
        "NOTIFIER_STORE_URL": redis_url,
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


def _names() -> list[str]:
    return [f"p{i:03d}" for i in range(PEOPLE)]


def _register(redis_url: str, names: list[str]) -> None:
    async def add() -> None:
        store = await open_store(redis_url)
        try:
            for name in names:
                await store.add_registration(
                    Registration(name, EVENT_ID, "Asia/Tokyo", soon(0), email=f"{name}@example.org")
                )
        finally:
            await store.aclose()

    asyncio.run(add())


def _count(redis_url: str, ref: ReminderRef, smtp: SmtpServer, names: list[str]) -> Tally:
    async def read() -> Tally:
        store = await open_store(redis_url)
        try:
            return await tally(store, ref, smtp.handler.recipients, names)
        finally:
            await store.aclose()

    return asyncio.run(read())


def _settled(redis_url: str, ref: ReminderRef, smtp: SmtpServer, names: list[str]) -> bool:
    with REPORT.polling():  # a wait's condition, not the scenario's result
        counts = _count(redis_url, ref, smtp, names)
    return counts.statuses["sent"] == len(names)


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


def _logs(replicas: list[Daemon]) -> str:
    return "\n".join(r.log_text()[-3000:] for r in replicas)


@pytest.mark.parametrize("count", [2, 3])
def test_replicas_share_one_fanout_and_each_sends_exactly_once(
    workspace: Workspace, smtp: SmtpServer, redis_url: str, count: int
) -> None:
    """N replicas on one Redis: each sends a share, and every participant gets one copy."""
    names = _names()
    _register(redis_url, names)
    smtp.handler.delay_s = 0.01  # a fan-out long enough for every replica to take chunks
    ref = _due_in(workspace, 12, [])
    replicas = _start_replicas(workspace, count)

    wait_until(
        lambda: _settled(redis_url, ref, smtp, names),
        timeout_s=SETTLE_S,
        poll_s=0.5,
        what=lambda: _logs(replicas),
    )
    shares = [r.count("reminder_sent") for r in replicas]
    leaders = sum(r.count("leader_acquired") for r in replicas)  # before a stop hands it on
    result = _count(redis_url, ref, smtp, names)
    for replica in replicas:
        assert replica.stop() == 0
    assert (result.once, result.duplicates, result.lost, result.wrong_log) == (PEOPLE, 0, 0, 0)
    assert sum(shares) == PEOPLE, shares
    assert all(share > 0 for share in shares), shares  # the work was shared
    assert leaders == 1  # one scheduler, one catch-up pass
    print(f"{count} replicas share one fan-out | {result.row()} | shares {shares}")


def test_a_replica_killed_mid_fanout_has_its_chunks_taken_over(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """SIGKILL one of two replicas while it sends: the other takes its chunks over once they
    are idle for 2 x the claim lease; none lost, at most its sends in flight twice."""
    names = _names()
    _register(redis_url, names)
    smtp.handler.delay_s = 0.03
    ref = _due_in(workspace, 12, [])
    replicas = _start_replicas(workspace, 2)
    leader = _leader(replicas)
    (victim,) = [r for r in replicas if r is not leader]
    wait_until(
        lambda: victim.count("reminder_sent") >= 10, timeout_s=SETTLE_S, what=victim.log_text
    )
    victim.stop(signal.SIGKILL)

    leader.wait_for("chunk_taken_over", timeout_s=TAKEOVER_S + 30)  # stated: 2 x lease + poll
    wait_until(
        lambda: _settled(redis_url, ref, smtp, names),
        timeout_s=SETTLE_S,
        poll_s=0.5,
        what=leader.log_text,
    )
    result = _count(redis_url, ref, smtp, names)
    assert leader.stop() == 0
    assert (result.lost, result.wrong_log) == (0, 0), result
    assert result.duplicates <= CONCURRENCY, result
    assert result.once + result.duplicates >= PEOPLE
    print(f"SIGKILL 1 of 2 replicas mid fan-out | {result.row()}")


def test_killing_the_lease_holder_hands_the_scheduler_over(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """SIGKILL the leader after the first reminder: another replica takes the lease and the
    next reminder still goes out, once to each participant."""
    names = _names()[:60]
    _register(redis_url, names)
    first = _due_in(workspace, 10, [START_IN - timedelta(seconds=25)])
    second = ReminderRef(EVENT_ID, "talk", first.start_utc, int(START_IN.total_seconds()) - 25)
    replicas = _start_replicas(workspace, 2)
    leader = _leader(replicas)
    (follower,) = [r for r in replicas if r is not leader]
    wait_until(lambda: _settled(redis_url, first, smtp, names), timeout_s=SETTLE_S, poll_s=0.5)
    leader.stop(signal.SIGKILL)

    follower.wait_for("leader_acquired", timeout_s=30)  # stated: within the 3 s lease + 1 s
    wait_until(
        lambda: _settled(redis_url, second, smtp, names),
        timeout_s=SETTLE_S,
        poll_s=0.5,
        what=follower.log_text,
    )
    copies = smtp.handler.recipients
    assert follower.stop() == 0
    assert all(copies[f"{n}@example.org"] == 2 for n in names), copies  # one per reminder
    result = _count(redis_url, second, smtp, names)  # copies count both reminders: 2 each
    assert (result.lost, result.wrong_log) == (0, 0), result
    print(f"SIGKILL the lease holder | {len(names)} x 2 reminders, 2 copies each, 0 lost")


def test_a_replica_paused_past_its_lease_has_its_late_writes_refused(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """SIGSTOP a replica mid fan-out until the other took its chunks over, then SIGCONT: what
    it had in flight may go out twice, but its late writes are refused by the fencing token,
    so the log stays right."""
    names = _names()
    _register(redis_url, names)
    smtp.handler.delay_s = 0.03
    ref = _due_in(workspace, 12, [])
    replicas = _start_replicas(workspace, 2)
    leader = _leader(replicas)
    (paused,) = [r for r in replicas if r is not leader]
    wait_until(
        lambda: paused.count("reminder_sent") >= 10, timeout_s=SETTLE_S, what=paused.log_text
    )
    paused.process.send_signal(signal.SIGSTOP)
    try:
        leader.wait_for("chunk_taken_over", timeout_s=TAKEOVER_S + 30)
        wait_until(
            lambda: _settled(redis_url, ref, smtp, names),
            timeout_s=SETTLE_S,
            poll_s=0.5,
            what=leader.log_text,
        )
    finally:
        paused.process.send_signal(signal.SIGCONT)
    # woken, it finishes what it had in flight: each of those writes meets a newer token
    wait_until(
        lambda: paused.count("delivery_taken_over") >= 1,
        timeout_s=30,
        what=paused.log_text,
    )
    result = _count(redis_url, ref, smtp, names)
    for replica in replicas:
        assert replica.stop() == 0
    assert (result.lost, result.wrong_log) == (0, 0), result
    assert result.duplicates <= CONCURRENCY, result
    assert result.statuses["sent"] == PEOPLE
    refused = paused.count("delivery_taken_over")
    print(f"SIGSTOP a replica past its lease | {result.row()} | late writes refused {refused}")
