"""Start-up catch-up through the whole service: ``open_service`` with its store, outbox and clock.

Every test writes a config folder and registrations, then opens the service as a process would
(each store backend, the file outbox). The clock is injected and set years ahead, so the real
scheduler thread never fires a job itself: only ``reconcile`` (and the tests) start fan-outs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from notifier.records import ReminderRef, delivery_key
from notifier.service import Service, drain, open_service
from notifier.store import open_store
from tests.support.clock import Clock
from tests.support.events import EVENT_ID
from tests.support.fanout import NOW, registration
from tests.support.mail import plain_text, read_outbox
from tests.support.service import service_settings

TEN_MINUTES = timedelta(minutes=10)


def _ref(start: datetime, offset: timedelta = TEN_MINUTES) -> ReminderRef:
    return ReminderRef(EVENT_ID, "talk", start, int(offset.total_seconds()))


async def _finish(service: Service) -> None:
    """Wait for the fan-outs the service started (the start-up reconcile's among them)."""
    await asyncio.gather(*service.in_flight.values())


async def test_reminder_missed_by_30s_fires_once_on_start_and_not_again_after_restart(
    tmp_path: Path, store_url: str
) -> None:
    """A crash just before a reminder must not lose it, and restarts must not repeat it."""
    start = NOW + TEN_MINUTES - timedelta(seconds=30)  # the 10m reminder was due 30 s ago
    settings = await service_settings(tmp_path, store_url, start)
    clock = Clock(NOW)

    async with open_service(settings, clock=clock) as service:
        assert await service.reconcile() == 0  # already running (or done): not fired twice
        await _finish(service)
        fanout = await service.deps.store.get_fanout(_ref(start))
        assert fanout is not None
        assert (fanout.status, fanout.counts) == ("done", {"sent": 1})

    (mail,) = read_outbox(settings.resolved_outbox_dir)
    assert mail["To"] == "ada@example.org"
    text = plain_text(mail)
    assert "Starts in 10 minutes." in text  # 9 min 30 s, to the minute
    assert "late" not in text  # 30 s is within the grace for saying so
    clock.advance(timedelta(minutes=1))
    async with open_service(settings, clock=clock) as service:
        assert service.in_flight == {}
        assert await service.reconcile() == 0
    assert len(read_outbox(settings.resolved_outbox_dir)) == 1


async def test_reminder_sent_late_says_how_soon_the_session_really_starts(
    tmp_path: Path, store_url: str
) -> None:
    """A late reminder must not claim the planned lead time; people plan by what it says."""
    start = NOW + timedelta(minutes=8)  # due 2 min ago: within the 2.5 min lateness
    settings = await service_settings(tmp_path, store_url, start)

    async with open_service(settings, clock=Clock(NOW)) as service:
        await _finish(service)

    (mail,) = read_outbox(settings.resolved_outbox_dir)
    text = plain_text(mail)
    assert "Starts in 8 minutes." in text
    assert "This reminder is late: it was planned for 10 minutes before the session." in text


async def test_due_reminder_past_its_lateness_is_recorded_skipped_without_email(
    tmp_path: Path, store_url: str
) -> None:
    """A 10-minute reminder 3 minutes late misleads more than it helps; the log says so."""
    start = NOW + timedelta(minutes=7)  # due 3 min ago; 10m allows 2.5 min
    settings = await service_settings(tmp_path, store_url, start)

    async with open_service(settings, clock=Clock(NOW)) as service:
        await _finish(service)
        store = service.deps.store
        fanout = await store.get_fanout(_ref(start))
        delivery = await store.get_delivery(delivery_key(_ref(start), "ada", "email"))

    assert fanout is not None
    assert (fanout.status, fanout.counts) == ("skipped", {"skipped": 1})
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("skipped", 0)
    assert read_outbox(settings.resolved_outbox_dir) == []


async def test_reminders_of_a_session_already_started_are_recorded_skipped(
    tmp_path: Path, store_url: str
) -> None:
    """Nothing is sent once the session started, and each missed reminder is on record."""
    start = NOW - timedelta(minutes=1)
    settings = await service_settings(tmp_path, store_url, start, reminders=("1h", "10m"))

    async with open_service(settings, clock=Clock(NOW)) as service:
        await _finish(service)
        store = service.deps.store
        fanouts = [await store.get_fanout(_ref(start, timedelta(minutes=m))) for m in (60, 10)]
        log = await store.list_deliveries(EVENT_ID, "talk")

    assert [(f.status, f.counts) if f else None for f in fanouts] == [
        ("skipped", {"skipped": 1}),
        ("skipped", {"skipped": 1}),
    ]
    assert sorted((d.ref.offset_s, d.status) for d in log) == [(600, "skipped"), (3600, "skipped")]
    assert read_outbox(settings.resolved_outbox_dir) == []


async def test_fanout_left_started_by_a_crash_is_rerun_without_sending_twice(
    tmp_path: Path, store_url: str
) -> None:
    """A crash mid-fan-out must reach the rest, and those already mailed must not get it again."""
    start = NOW + TEN_MINUTES - timedelta(seconds=30)
    settings = await service_settings(
        tmp_path, store_url, start, people=[registration("ada"), registration("bob")]
    )
    ref = _ref(start)
    crashed = await open_store(store_url)  # what the crashed process had written
    try:
        before = NOW - timedelta(seconds=30)
        await crashed.record_fanout(ref, "started", before, {})
        ada_key = delivery_key(ref, "ada", "email")
        assert await crashed.claim_delivery(ada_key, ref, "ada", "email", before)
        await crashed.record_delivery(ada_key, "sent", 1, before)
    finally:
        await crashed.aclose()

    async with open_service(settings, clock=Clock(NOW)) as service:
        await _finish(service)
        store = service.deps.store
        fanout = await store.get_fanout(ref)
        ada = await store.get_delivery(ada_key)

    (mail,) = read_outbox(settings.resolved_outbox_dir)
    assert mail["To"] == "bob@example.org"
    assert fanout is not None
    assert (fanout.status, fanout.counts) == ("done", {"sent": 1, "already_claimed": 1})
    assert ada is not None
    assert (ada.status, ada.attempts) == ("sent", 1)


async def test_future_reminders_are_left_to_the_scheduler(tmp_path: Path, store_url: str) -> None:
    """Reconcile only catches up; firing early would send a reminder before its time."""
    start = NOW + timedelta(hours=1)  # the 10m reminder is due in 50 minutes
    settings = await service_settings(tmp_path, store_url, start)

    async with open_service(settings, clock=Clock(NOW)) as service:
        assert service.in_flight == {}
        assert await service.reconcile() == 0
        assert await service.deps.store.get_fanout(_ref(start)) is None
        job = await asyncio.to_thread(service.scheduler.get_job, f"{EVENT_ID}/talk/600")

    assert job is not None
    # the job fires the prepare-ahead lead early; its sends wait for the due instant
    ahead = timedelta(seconds=settings.prepare_ahead_s)
    assert job.next_run_time == start - TEN_MINUTES - ahead
    assert read_outbox(settings.resolved_outbox_dir) == []


async def test_deliveries_handed_back_at_shutdown_are_sent_after_a_restart(
    tmp_path: Path, store_url: str
) -> None:
    """Shutdown hands unattempted deliveries back; if no later run picks them up, they are lost."""
    start = NOW + TEN_MINUTES
    settings = await service_settings(
        tmp_path, store_url, start, people=[registration("ada"), registration("bob")]
    )
    clock = Clock(NOW - timedelta(seconds=1))  # the reminder is not due yet at start-up
    ref = _ref(start)

    async with open_service(settings, clock=clock) as service:
        assert service.in_flight == {}
        clock.advance(timedelta(seconds=1))
        service.start_fanout(ref)  # the job fires...
        await drain(service, 5.0)  # ...and SIGTERM arrives before its first send
        assert await service.deps.store.get_delivery(delivery_key(ref, "ada", "email")) is None
    assert read_outbox(settings.resolved_outbox_dir) == []

    clock.advance(timedelta(seconds=30))  # back up 30 s later, well within the lateness
    async with open_service(settings, clock=clock) as service:
        await _finish(service)
        fanout = await service.deps.store.get_fanout(ref)

    sent_to = sorted(mail["To"] for mail in read_outbox(settings.resolved_outbox_dir))
    assert sent_to == ["ada@example.org", "bob@example.org"], fanout
