"""SMTP faults during a fan-out (#12): slow, down for a while, a reply lost after the data.

Each runs ``run_fanout`` on both stores against a real scripted SMTP server and counts
expected, once, duplicates and lost (tests/support/faults.py); docs/reliability.md has the table.
Sizes from the suite (``fault_people``: 100 quick, 2,000 full).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from notifier.channels import SmtpChannel
from notifier.events import Event
from notifier.jobs.fanout import RetryPolicy, run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import ReminderRef
from notifier.store import Store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.faults import REPORT, ScaledClock, tally
from tests.support.smtp import SmtpServer
from tests.support.waiting import until

START = NOW + timedelta(minutes=10)  # the 10-minute reminder is due at NOW
HOP_S = 0.05  # real seconds from the fan-out's check to the server reading MAIL (same machine)
UNCAPPED = RetryPolicy(max_attempts=None, base_s=0.02, max_s=0.1)


def _talk() -> tuple[Event, ReminderRef]:
    event = load_test_event(event_yaml({"talk": START}, reminders=("10m",)))
    return event, Reminder(event, event.sessions[0], timedelta(minutes=10)).ref


async def _register(store: Store, count: int) -> list[str]:
    names = [f"p{i:04d}" for i in range(count)]
    for name in names:
        await store.add_registration(registration(name))
    return names


async def test_slow_smtp_sends_nothing_after_the_start_and_records_the_rest_expired(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel, fault_people: int
) -> None:
    """A reminder that lands after the session began is noise; the log must say who missed it."""
    event, ref = _talk()
    names = await _register(store, fault_people)
    delay_s = 0.1  # 4 connections: 40 mails a second, 2.5 s for 100, 50 s for 2,000
    mail_server.handler.delay_s = delay_s
    # the session starts 2 real seconds from now (100), 20 s (2,000: #12's "20 s before")
    start_in_s = max(2.0, fault_people / 100)
    clock = ScaledClock(NOW, speed=(START - NOW).total_seconds() / start_in_s)
    deps = fanout_deps(store, smtp_channel, clock, concurrency=4, retry=UNCAPPED)

    counts = await run_fanout(deps, event, event.sessions[0], ref)

    result = REPORT.add(await tally(store, ref, mail_server.handler.recipients, names))
    # the rule: no send starts at or after the start. A send starts with its MAIL command; the
    # server stamps its arrival with the clock the fan-out's ScaledClock runs on, so both sides
    # read one clock. Every MAIL counts (refused or not); only the hop from the fan-out's last
    # check to the server reading MAIL (same machine) is allowed for
    start_at = clock.monotonic_at(START)
    begun_late = [at - start_at for at in mail_server.handler.mails_at if at >= start_at + HOP_S]
    assert begun_late == []  # checked right before each send: none began after the start
    assert mail_server.handler.mails_at  # the check above saw sends
    assert result.statuses["expired"] == counts["expired"] > 0
    assert result.statuses["sent"] == counts["sent"] == result.once > 0
    assert (result.duplicates, result.lost, result.wrong_log) == (0, 0, 0)
    assert result.once + result.statuses["expired"] == fault_people


async def test_smtp_down_at_the_due_instant_is_retried_until_it_is_back(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel, fault_people: int
) -> None:
    """A 30-second SMTP outage minutes before a session must not cost anyone the reminder."""

    event, ref = _talk()
    names = await _register(store, fault_people)
    handler = mail_server.handler
    handler.script("MAIL", *["421 4.3.2 service not available"] * 100_000)  # down
    deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=8, retry=UNCAPPED)
    task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
    # more tries than the old fixed cap of 5 each would have allowed at all (it recorded
    # `failed` after 5): 6 per participant, spread by the backoff
    await until(
        lambda: handler.commands["MAIL"] >= 6 * len(names),
        timeout_s=30 + len(names) / 10,
        what="6 tries each",
    )
    handler.clear_script()  # back

    counts = await task

    result = REPORT.add(await tally(store, ref, handler.recipients, names))
    assert counts["sent"] == result.once == fault_people
    assert (result.duplicates, result.lost, result.wrong_log) == (0, 0, 0)


async def test_reply_lost_after_the_data_is_recorded_unknown_and_not_resent(
    store: Store,
    mail_server: SmtpServer,
    patient_smtp_channel: SmtpChannel,
    fault_people: int,
) -> None:
    """The server may have queued it: a blind resend mailed 100 people 5 times each (#12)."""
    event, ref = _talk()
    names = await _register(store, fault_people)
    handler = mail_server.handler
    # past the channel's 10 s reply timeout (the 1 s one: on a loaded CPU, 2,000 replies give
    # some a second late, turned `unknown` beside the 10 silent ones)
    handler.stall_s = 12.0
    silent = names[:10]
    for name in silent[:5]:
        handler.script("DATA", "stall", to=f"{name}@example.org")
    for name in silent[5:]:
        handler.script("DATA", "drop", to=f"{name}@example.org")
    deps = fanout_deps(store, patient_smtp_channel, Clock(NOW), concurrency=8, retry=UNCAPPED)

    counts = await run_fanout(deps, event, event.sessions[0], ref)

    result = REPORT.add(await tally(store, ref, handler.recipients, names))
    assert counts["unknown"] == result.statuses["unknown"] == 10
    assert all(handler.data_calls[f"{name}@example.org"] == 1 for name in silent)  # one copy
    assert counts["sent"] == result.once == fault_people - 10
    assert (result.duplicates, result.lost, result.wrong_log) == (0, 0, 0)
