"""Prepare ahead through the whole service: a job fired before its due instant claims and
composes, then waits for the instant by the service's clock (here the test's).

Each test opens the service as a process would (each store backend, the file outbox) with an
injected clock set years ahead, so the real scheduler thread never fires a job itself; the test
fires it (``start_fanout``, what the job's hand-over calls) ten seconds before the due instant
by that clock. The clock counts its reads: a prepared send re-reads it while it waits, so "the
wait has looked at the clock again, and still nothing went out" needs no wall-clock sleep.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from notifier.records import ReminderRef, delivery_key
from notifier.service import Service, drain, open_service
from notifier.settings import Settings
from tests.support.clock import CountingClock
from tests.support.events import EVENT_ID, event_yaml
from tests.support.fanout import NOW
from tests.support.mail import read_outbox
from tests.support.service import service_settings
from tests.support.waiting import until, until_async

TEN_MINUTES = timedelta(minutes=10)
CLAIM_TIMEOUT_S = 30.0
LEAD = timedelta(seconds=10)  # by the test's clock: the job fired this long before it is due
START = NOW + TEN_MINUTES + LEAD  # the 10m reminder is due at NOW + LEAD


async def _prepare(tmp_path: Path, store_url: str) -> Settings:
    return await service_settings(tmp_path, store_url, START, prepare_ahead_s=2.0)


def _ref(start: datetime = START) -> ReminderRef:
    return ReminderRef(EVENT_ID, "talk", start, int(TEN_MINUTES.total_seconds()))


async def _fired_ahead(service: Service, clock: CountingClock) -> str:
    """Fire the reminder ahead and wait until its delivery is claimed and its wait has read
    the clock again since (prepared, waiting); the delivery's key."""
    key = delivery_key(_ref(), "ada", "email")
    service.start_fanout(_ref())
    await until(lambda: service.in_flight, what="the fan-out started")

    async def claimed() -> bool:
        delivery = await service.deps.store.get_delivery(key)
        if delivery is not None and delivery.status == "claimed":
            return True
        assert service.in_flight, "the fan-out ended without claiming"
        return False

    await until_async(claimed, timeout_s=CLAIM_TIMEOUT_S, what="the delivery claimed ahead")
    seen = clock.reads
    await until(lambda: clock.reads >= seen + 3, what="the prepared send re-read the clock")
    return key


async def test_a_reminder_fired_ahead_is_not_sent_before_its_due_instant(
    tmp_path: Path, store_url: str
) -> None:
    """Prepare ahead must never turn into sending early: the instant is the promise."""
    settings = await _prepare(tmp_path, store_url)
    clock = CountingClock(NOW)
    async with open_service(settings, clock=clock) as service:
        key = await _fired_ahead(service, clock)
        assert read_outbox(settings.resolved_outbox_dir) == []  # claimed, composed, waiting
        clock.advance(LEAD - timedelta(milliseconds=1))  # a millisecond before: still waiting
        seen = clock.reads
        await until(lambda: clock.reads >= seen + 3, what="the wait re-read the clock")
        assert read_outbox(settings.resolved_outbox_dir) == []
        clock.advance(timedelta(milliseconds=1))  # due
        sent = await until(lambda: read_outbox(settings.resolved_outbox_dir), what="the send")
        await until(lambda: not service.in_flight, what="the outcome written")
        delivery = await service.deps.store.get_delivery(key)
    (mail,) = sent
    assert mail["To"] == "ada@example.org"
    # composed ahead, it says it was sent at its instant, not when it was composed
    assert parsedate_to_datetime(mail["Date"]) == NOW + LEAD
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("sent", 1)


async def test_shutdown_during_the_lead_hands_the_prepared_claims_back(
    tmp_path: Path, store_url: str
) -> None:
    """SIGTERM while a send waits for its instant: the claim goes back for the next run."""
    settings = await _prepare(tmp_path, store_url)
    clock = CountingClock(NOW)
    async with open_service(settings, clock=clock) as service:
        key = await _fired_ahead(service, clock)
        await drain(service, 5.0)  # what SIGTERM does
        assert await service.deps.store.get_delivery(key) is None  # handed back
        fanout = await service.deps.store.get_fanout(_ref())
    assert read_outbox(settings.resolved_outbox_dir) == []
    assert fanout is not None
    assert fanout.status == "started"

    clock.advance(LEAD)  # restarted at the due instant: the catch-up pass sends it
    async with open_service(settings, clock=clock) as service:
        await until(lambda: read_outbox(settings.resolved_outbox_dir), what="the catch-up send")
        await drain(service, 5.0)
    assert [m["To"] for m in read_outbox(settings.resolved_outbox_dir)] == ["ada@example.org"]


async def test_a_session_moved_during_the_lead_is_not_sent_at_its_old_time(
    tmp_path: Path, store_url: str
) -> None:
    """An organizer moves a session seconds before a reminder: the old instant must stay quiet."""
    settings = await _prepare(tmp_path, store_url)
    clock = CountingClock(NOW)
    moved = START + timedelta(hours=1)
    async with open_service(settings, clock=clock) as service:
        key = await _fired_ahead(service, clock)
        (settings.config[0] / "side-events.yaml").write_text(
            event_yaml({"talk": moved}), encoding="utf-8"
        )
        await service.reload_config()
        assert service.lookup(_ref()) is None  # the running config moved it
        clock.advance(LEAD)  # the old due instant
        await until(lambda: not service.in_flight, what="the old fan-out ended")
        old = await service.deps.store.get_delivery(key)
        job = await asyncio.to_thread(service.scheduler.get_job, f"{EVENT_ID}/talk/600")
    assert read_outbox(settings.resolved_outbox_dir) == []
    assert old is None  # its claim was handed back, nothing recorded as sent
    assert job is not None  # re-armed for the new instant, the lead before it
    assert job.next_run_time == moved - TEN_MINUTES - timedelta(seconds=2)
