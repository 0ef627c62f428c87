"""Redis out of memory with ``noeviction`` during a fan-out (#12): a pause, never an abandon.

A real ``redis-server`` (``maxmemory-policy noeviction``) has its ``maxmemory`` cut below what
it holds while a fan-out is sending: every write (claims, outcomes, the fan-out record) is
refused with an OOM error, reads still work. The fan-out must wait and retry as for an outage,
keep the outcome of each mail that went out, and finish once ``CONFIG SET maxmemory`` gives
the room back: everyone mailed once and logged ``sent``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from structlog.testing import capture_logs

from notifier.channels import SmtpChannel
from notifier.jobs.fanout import RetryPolicy, run_fanout
from notifier.jobs.plan import Reminder
from notifier.store import open_store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.faults import REPORT, tally
from tests.support.redis import RedisServer
from tests.support.smtp import SmtpServer
from tests.support.waiting import until

START = NOW + timedelta(minutes=10)
CONCURRENCY = 8


async def test_redis_out_of_memory_mid_fanout_pauses_it_and_it_finishes_once_room_is_back(
    start_redis_server: Callable[..., RedisServer],
    mail_server: SmtpServer,
    patient_smtp_channel: SmtpChannel,
    fault_people: int,
) -> None:
    """A full Redis refuses writes; a fan-out that gave up then would lose the rest silently."""
    server = start_redis_server("--maxmemory-policy", "noeviction")
    store = await open_store(server.url)
    handler = mail_server.handler
    handler.delay_s = 0.01  # the fan-out is still sending when Redis fills up
    try:
        names = [f"p{i:04d}" for i in range(fault_people)]
        for name in names:
            await store.add_registration(registration(name))
        event = load_test_event(event_yaml({"talk": START}, reminders=("10m",)))
        ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
        retry = RetryPolicy(max_attempts=None, base_s=0.05, max_s=0.2)
        deps = fanout_deps(
            store, patient_smtp_channel, Clock(NOW), concurrency=CONCURRENCY, retry=retry
        )
        with capture_logs() as logs:
            task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
            await until(lambda: len(handler.received) >= len(names) // 5, what="a fifth mailed")
            assert server.command("CONFIG SET maxmemory 1") == "+OK"  # full: writes refused

            def refused() -> int:
                return sum(e["event"] == "store_retry" and "maxmemory" in e["error"] for e in logs)

            await until(lambda: refused() >= 10, what="the fan-out waiting out the OOM errors")
            mailed_while_full = len(handler.received)
            assert server.command("CONFIG SET maxmemory 0") == "+OK"  # room again
            counts = await task
        result = REPORT.add(await tally(store, ref, handler.recipients, names))
        fanout = await store.get_fanout(ref)
    finally:
        await store.aclose()

    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert counts["sent"] == result.once == len(names), (counts, result)
    assert result.statuses == {"sent": len(names)}  # no mail left logged `claimed`
    assert mailed_while_full < len(names)  # the OOM did land mid fan-out
    assert fanout is not None
    assert fanout.status == "done"
