"""SIGKILL of ``notifier run`` mid fan-out, then a restart (#12): nothing lost, nothing stuck.

Before leases, the 16-19 deliveries in flight at the kill stayed ``claimed`` forever. Now the
restarted process's catch-up pass finds the fan-out still ``started``, waits out the dead
process's leases (2 s here) and sends those again: at most the in-flight ones twice. Size from
the suite (``fault_people``: 100 quick, 2,000 full); the kill lands once 30 % are mailed.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from notifier.jobs.deps import Unwritten
from notifier.records import Delivery, Registration
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Workspace
from tests.support.events import soon
from tests.support.faults import REPORT, Tally
from tests.support.processes import Children
from tests.support.smtp import SmtpServer, start_smtp_server
from tests.support.waiting import wait_until

CONCURRENCY = 8  # deliveries in flight at once
# the bound on duplicates (README, delivery semantics): the sends in flight plus the answered
# sends whose outcome was still on its way to the store
BOUND = CONCURRENCY + Unwritten.LIMIT
START_IN = timedelta(minutes=5)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


def _register(redis_url: str, names: list[str]) -> None:
    async def add() -> None:
        store = await open_store(redis_url)
        try:
            for name in names:
                registration = Registration(
                    id=name,
                    event_id=EVENT_ID,
                    timezone="Asia/Tokyo",
                    created_at=soon(0),
                    email=f"{name}@example.org",
                )
                await store.add_registration(registration)
        finally:
            await store.aclose()

    asyncio.run(add())


def _deliveries(redis_url: str) -> list[Delivery]:
    async def read() -> list[Delivery]:
        store = await open_store(redis_url)
        try:
            return await store.list_deliveries(EVENT_ID)
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_sigkill_mid_fanout_then_restart_loses_nothing_and_doubles_only_in_flight(
    tmp_path: Path, smtp: SmtpServer, redis_url: str, fault_people: int
) -> None:
    """Pods get killed; a kill mid fan-out must cost at most a second copy of what was in flight."""
    settings = {
        "NOTIFIER_STORE_URL": redis_url,
        "NOTIFIER_REDIS_ALLOW_VOLATILE": "true",  # the daemon dies here, not Redis (no AOF)
        "NOTIFIER_SMTP_HOST": smtp.host,
        "NOTIFIER_SMTP_PORT": str(smtp.port),
        "NOTIFIER_SMTP_TLS": "none",
        "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
        "NOTIFIER_SIGNING_SECRET": "faults-signing-secret-of-32-bytes-or-more",
        "NOTIFIER_SEND_CONCURRENCY": str(CONCURRENCY),
        "NOTIFIER_SMTP_POOL_SIZE": str(CONCURRENCY),
        "NOTIFIER_CLAIM_LEASE_S": "2",
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
    }
    people = fault_people
    names = [f"p{i:04d}" for i in range(people)]
    smtp.handler.delay_s = 0.05  # 8 connections: 100 mails in about 0.7 s, 2,000 in 13 s
    with Children() as children:
        workspace = Workspace.create(tmp_path, settings, children)
        workspace.write_event(soon(3) + START_IN, [START_IN])
        _register(redis_url, names)
        first = workspace.start(name="first")
        wait_until(
            lambda: len(smtp.handler.received) >= people * 3 // 10,
            timeout_s=30 + people / 20,
            what=first.log_text,
        )
        killed_at = len(smtp.handler.received)
        first.stop(signal.SIGKILL)
        second = workspace.start(name="second")

        def settled() -> bool:
            log = _deliveries(redis_url)
            return len(log) == people and all(d.status != "claimed" for d in log)

        wait_until(settled, timeout_s=30 + people / 10, poll_s=0.5, what=second.log_text)
        assert second.stop() == 0

    copies = smtp.handler.recipients
    log = {d.registration_id: d.status for d in _deliveries(redis_url)}
    result = REPORT.add(
        Tally(
            expected=people,
            once=sum(copies[f"{n}@example.org"] == 1 for n in names),
            duplicates=sum(max(0, copies[f"{n}@example.org"] - 1) for n in names),
            lost=sum(copies[f"{n}@example.org"] == 0 for n in names),
            wrong_log=sum(log.get(n) != "sent" for n in names),
            statuses=Counter(log.values()),
        )
    )
    assert result.lost == 0, result
    assert result.wrong_log == 0, result
    assert result.duplicates <= BOUND, result
    assert result.once + sum(copies[f"{n}@example.org"] > 1 for n in names) == people
    assert killed_at < people  # the kill did land mid fan-out
