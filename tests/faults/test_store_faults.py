"""Redis dies mid fan-out and comes back (#12): the fan-out pauses, resumes, loses nothing.

A real ``redis-server`` with AOF (``appendfsync always``) is SIGKILLed while a fan-out of
``fault_people`` (100 quick, 2,000 full) is sending, once a tenth is mailed, and started again
on the same port and folder once the fan-out has noticed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from notifier.channels import SmtpChannel
from notifier.jobs.fanout import RetryPolicy, run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import delivery_key
from notifier.store import open_store
from notifier.store.redis import open_redis_store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.faults import REPORT, tally
from tests.support.redis import RedisServer
from tests.support.smtp import SmtpServer
from tests.support.waiting import until

START = NOW + timedelta(minutes=10)
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


async def test_redis_killed_mid_fanout_and_back_loses_nothing_and_logs_every_send(
    start_redis_server: Callable[..., RedisServer],
    mail_server: SmtpServer,
    smtp_channel: SmtpChannel,
    fault_people: int,
) -> None:
    """A 679-of-1,000 loss to a Redis restart (#12) must become 0 lost, 0 logged `claimed`."""
    server = start_redis_server(*DURABLE)
    store = await open_store(server.url)
    handler = mail_server.handler
    handler.delay_s = 0.02  # 8 connections: 100 in about a second, 2,000 in 5 s
    try:
        names = [f"p{i:04d}" for i in range(fault_people)]
        for name in names:
            await store.add_registration(registration(name))
        event = load_test_event(event_yaml({"talk": START}, reminders=("10m",)))
        ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
        retry = RetryPolicy(max_attempts=None, base_s=0.05, max_s=0.2)
        deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=8, retry=retry)
        with capture_logs() as logs:
            task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
            await until(
                lambda: len(handler.received) >= max(20, fault_people // 10),
                timeout_s=30 + fault_people / 20,
                what="a tenth mailed",
            )
            await asyncio.to_thread(server.kill)
            await until(
                lambda: sum(e["event"] == "store_retry" for e in logs) >= 10,
                what="the fan-out waiting for the store",
            )
            await asyncio.to_thread(server.start)
            counts = await asyncio.wait_for(task, timeout=60 + fault_people / 10)
        result = REPORT.add(await tally(store, ref, handler.recipients, names))
        fanout = await store.get_fanout(ref)
    finally:
        await store.aclose()

    assert counts["sent"] == result.once == fault_people, (counts, result)
    assert (result.duplicates, result.lost, result.wrong_log) == (0, 0, 0)
    assert result.statuses == {"sent": fault_people}  # 0 sent but logged `claimed`
    assert fanout is not None
    assert fanout.status == "done"


@pytest.mark.parametrize(
    ("reply", "status", "copies"),
    [("250 2.0.0 accepted", "sent", 1), ("550 5.1.1 no such user", "failed", 0)],
    ids=["sent", "refused"],
)
async def test_an_answer_cut_off_while_its_outcome_waits_for_the_store_is_logged_as_answered(
    start_redis_server: Callable[..., RedisServer],
    mail_server: SmtpServer,
    smtp_channel: SmtpChannel,
    reply: str,
    status: str,
    copies: int,
) -> None:
    """Shutdown during an outage must log what the server said, not `interrupted` or `sent`."""
    server = start_redis_server(*DURABLE)
    store = open_redis_store(server.url, timeout_s=0.5)
    handler = mail_server.handler
    try:
        await store.add_registration(registration("ada"))
        event = load_test_event(event_yaml({"talk": START}, reminders=("10m",)))
        ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
        deps = fanout_deps(store, smtp_channel, Clock(NOW))
        handler.script("DATA", reply)
        handler.hold()  # the mail waits in DATA while Redis goes away
        with capture_logs() as logs:
            task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
            await until(lambda: handler.in_flight, what="the send in DATA")
            server.pause()
            handler.release()
            await until(
                lambda: any(e["event"] == "store_retry" for e in logs),
                what="the outcome write waiting for the store",
            )
            server.resume()
            task.cancel()  # drain's deadline: the fan-out is cut off while it waits
            with pytest.raises(asyncio.CancelledError):
                await task
        delivery = await store.get_delivery(delivery_key(ref, "ada", "email"))
    finally:
        server.resume()
        await store.aclose()

    assert handler.recipients["ada@example.org"] == copies
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == (status, 1)
