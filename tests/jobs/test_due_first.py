"""Sends due now go before work prepared for later instants (``jobs/ahead.py``, ``DueFirst``).

Ten reminders due each second, prepared two seconds ahead, had the next-but-one second's
fan-outs read, claimed and composed between their own SMTP transactions (issue #15). Here a
real SMTP server holds one reminder's message data, so its send stays "going out" for as long
as the test wants, and a later reminder is fired ahead meanwhile: its fan-out must wait.

Time is the test's clock (:class:`CountingClock`): it counts its reads, and a waiting turn
re-reads it at least every ``RECHECK_S``, so "it looked again and still waited" needs no
wall-clock sleep. Each store backend and the real SMTP channel, as the service runs them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from notifier.channels import SmtpChannel
from notifier.jobs.ahead import GUARD_S
from notifier.jobs.deps import FanoutDeps
from notifier.records import ReminderRef, delivery_key
from notifier.service import drain, open_service
from notifier.store import Store
from tests.support.clock import CountingClock
from tests.support.events import EVENT_ID, event_yaml
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.service import service_settings
from tests.support.smtp import SmtpServer
from tests.support.waiting import until, until_async

LEAD_S = 2.0  # the service's prepare-ahead lead in these tests
TEN_MINUTES = timedelta(minutes=10)
TALK = NOW + TEN_MINUTES  # its 10m reminder is due at NOW: the send due now
PANEL = TALK + timedelta(seconds=LEAD_S)  # its reminder is due LEAD_S later: fired at NOW
LOOKS = 3  # clock reads that show a wait looked again


def _ref(start: datetime) -> ReminderRef:
    session = "talk" if start == TALK else "panel"
    return ReminderRef(EVENT_ID, session, start, int(TEN_MINUTES.total_seconds()))


async def _looked_again(clock: CountingClock, times: int = LOOKS) -> None:
    seen = clock.reads
    await until(lambda: clock.reads >= seen + times, what="the wait re-read the clock")


async def test_a_reminder_fired_ahead_waits_while_one_due_now_is_going_out(
    tmp_path: Path, store_url: str, mail_server: SmtpServer
) -> None:
    """The later fan-out's store round trips and composing would run between the due
    reminder's SMTP commands; it begins once that send is answered, and both go out once."""
    people = [registration("ada"), registration("bob", sessions=("panel",))]
    settings = await service_settings(
        tmp_path,
        store_url,
        TALK,
        people=people,
        prepare_ahead_s=LEAD_S,
        email_backend="smtp",
        smtp_host=mail_server.host,
        smtp_port=mail_server.port,
        smtp_tls="none",
    )
    (settings.config[0] / "side-events.yaml").write_text(
        event_yaml({"talk": TALK, "panel": PANEL}, reminders=("10m",)), encoding="utf-8"
    )
    handler = mail_server.handler
    handler.hold()  # the talk's message data waits for its answer
    clock = CountingClock(NOW)
    async with open_service(settings, clock=clock) as service:
        store = service.deps.store
        service.start_fanout(_ref(TALK))  # due now
        await until(lambda: handler.in_flight == 1, what="the talk's send in flight")

        service.start_fanout(_ref(PANEL))  # its job fired LEAD_S ahead, as the talk goes out
        await _looked_again(clock)
        assert await store.get_fanout(_ref(PANEL)) is None  # not begun: the talk goes first

        handler.release()
        await until(lambda: handler.recipients["ada@example.org"] == 1, what="the talk sent")
        bob = delivery_key(_ref(PANEL), "bob", "email")

        async def panel_claimed() -> bool:
            delivery = await store.get_delivery(bob)
            return delivery is not None and delivery.status == "claimed"

        await until_async(panel_claimed, what="the panel prepared once the talk was answered")
        assert "bob@example.org" not in handler.recipients  # held for its own instant
        clock.now = NOW + timedelta(seconds=LEAD_S)
        await until(lambda: handler.recipients["bob@example.org"] == 1, what="the panel sent")
        await drain(service, 5.0)
    assert handler.recipients == {"ada@example.org": 1, "bob@example.org": 1}


def _deps(store: Store, channel: SmtpChannel, clock: CountingClock) -> FanoutDeps:
    return replace(fanout_deps(store, channel, clock), prepare_ahead_s=LEAD_S)


async def test_a_held_send_due_within_the_guard_holds_later_work_until_it_goes(
    store: Store, smtp_channel: SmtpChannel
) -> None:
    """Work begun just before an earlier instant would run into its send."""
    clock = CountingClock(NOW)
    deps = _deps(store, smtp_channel, clock)
    first = deps.due_first
    soon = NOW + timedelta(seconds=GUARD_S / 2)
    later = NOW + timedelta(seconds=LEAD_S)
    with first.holding(soon):
        turn = asyncio.create_task(first.turn(deps, later))
        await _looked_again(clock)
        assert not turn.done()
        with first.sending():  # its instant came: the held send is going out
            clock.now = soon
            await _looked_again(clock)
            assert not turn.done()
    await asyncio.wait_for(turn, timeout=30)  # answered: the later work goes on


async def test_only_earlier_sends_near_their_instant_stand_in_the_way(
    store: Store, smtp_channel: SmtpChannel
) -> None:
    """A send held for later (or the same instant), or one further off than the guard, lets
    the work go on at once: the turn returns without waiting."""
    clock = CountingClock(NOW)
    deps = _deps(store, smtp_channel, clock)
    first = deps.due_first
    due = NOW + timedelta(seconds=LEAD_S)
    far = NOW + timedelta(seconds=GUARD_S * 4)
    with first.holding(due), first.holding(due + timedelta(seconds=1)), first.holding(far):
        await asyncio.wait_for(first.turn(deps, due), timeout=30)


async def test_the_wait_ends_at_half_the_lead_or_at_shutdown(
    store: Store, smtp_channel: SmtpChannel
) -> None:
    """A fan-out sending for minutes delays the next reminder's preparation, never its send:
    at half the lead the work goes on anyway; SIGTERM ends the wait at once."""
    clock = CountingClock(NOW)
    deps = _deps(store, smtp_channel, clock)
    first = deps.due_first
    due = NOW + timedelta(seconds=LEAD_S)
    with first.sending():
        turn = asyncio.create_task(first.turn(deps, due))
        await _looked_again(clock)
        assert not turn.done()
        clock.now = due - timedelta(seconds=LEAD_S / 2)
        await asyncio.wait_for(turn, timeout=30)

        clock.now = NOW
        turn = asyncio.create_task(first.turn(deps, due))
        await _looked_again(clock)
        assert not turn.done()
        deps.stopping.set()
        await asyncio.wait_for(turn, timeout=30)
    # with prepare-ahead off nothing is fired early, so nothing waits
    off = replace(deps, prepare_ahead_s=0.0, stopping=asyncio.Event())
    with first.sending():
        await asyncio.wait_for(first.turn(off, due), timeout=30)
