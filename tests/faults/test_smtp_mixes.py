"""A mail server answering a mix of 421, 451, 452 and 550 (#12): each reply gets its own fate.

Every participant's mail meets a scripted answer chosen by their number (a fixed mix, so each
run is the same): 4xx on RCPT or after the data is retried until the server takes it, 421 also
hangs up the line (a new connection is opened), 550 is ``failed`` at once and never retried, and
a 451 that never ends is retried until the session starts, then ``expired``. Counted with the
server as the sink (tests/support/faults.py); both stores.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from structlog.testing import capture_logs

from notifier.channels import SmtpChannel
from notifier.jobs.fanout import RetryPolicy, run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import delivery_key
from notifier.store import Store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.faults import REPORT, EventCounts, email_address, tally
from tests.support.smtp import SmtpServer
from tests.support.waiting import until

START = NOW + timedelta(minutes=10)
RETRY = RetryPolicy(max_attempts=None, base_s=0.02, max_s=0.2)
FOREVER = 20_000  # more 451s than a fan-out meets before the test lets the session start
# (kind, command, replies, final status); participant i meets MIX[i % len(MIX)]
MIX: list[tuple[str, str, list[str], str]] = [
    ("accepted", "RCPT", [], "sent"),
    ("accepted", "RCPT", [], "sent"),
    ("accepted", "RCPT", [], "sent"),
    ("451 twice", "RCPT", ["451 4.3.0 try again later"] * 2, "sent"),
    ("452 three times", "RCPT", ["452 4.2.2 mailbox full"] * 3, "sent"),
    ("451 after the data", "DATA", ["451 4.3.0 local error in processing"], "sent"),
    ("421, line closed", "RCPT", ["421 4.3.2 service shutting down"], "sent"),
    ("421 then 451", "RCPT", ["421 4.3.2 too busy", "451 4.7.1 greylisted"], "sent"),
    ("550", "RCPT", ["550 5.1.1 no such user"], "failed"),
    ("451 until the start", "RCPT", ["451 4.7.1 greylisted"] * FOREVER, "expired"),
]


async def test_an_smtp_reply_mix_is_retried_failed_or_expired_as_each_reply_says(
    store: Store, mail_server: SmtpServer, patient_smtp_channel: SmtpChannel, fault_people: int
) -> None:
    """Greylisting and full mailboxes are daily weather: only a 550 or the start may end a try."""
    event = load_test_event(event_yaml({"talk": START}, reminders=("10m",)))
    ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
    handler = mail_server.handler
    handler.close_on_421 = True
    names = [f"p{i:04d}" for i in range(fault_people)]
    kinds = {name: MIX[i % len(MIX)] for i, name in enumerate(names)}
    for name in names:
        await store.add_registration(registration(name))
        _, command, replies, _ = kinds[name]
        if replies:
            handler.script(command, *replies, to=email_address(name))
    settle = Counter(final for _, _, _, final in kinds.values())
    clock = Clock(NOW)
    deps = fanout_deps(store, patient_smtp_channel, clock, concurrency=8, retry=RETRY)

    with capture_logs() as logs:
        task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))

        ended = EventCounts(logs)  # new entries only, at each poll

        # everyone but the endless 451s has an outcome; only then does the session start
        await until(
            lambda: (
                ended("reminder_sent") >= settle["sent"]
                and ended("delivery_failed") >= settle["failed"]
            ),
            timeout_s=600,  # a deadline for 2,000 on a loaded machine
            poll_s=0.2,
            what=lambda: (
                f"{ended('reminder_sent')} sent, {ended('delivery_failed')} failed"
                + str(
                    Counter(kinds[n][0] for n in names if handler.recipients[email_address(n)] == 0)
                )
                + str(handler.commands)
            ),
        )
        clock.advance(START - NOW)
        counts = await task

    result = REPORT.add(await tally(store, ref, handler.recipients, names))
    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert result.statuses == settle, result.statuses
    assert counts["sent"] == result.once == settle["sent"]
    for name in names:
        kind, _, replies, final = kinds[name]
        delivery = await store.get_delivery(delivery_key(ref, name, "email"))
        assert delivery is not None
        assert delivery.status == final, (name, kind, delivery)
        if final == "failed":
            assert delivery.attempts == 1, (name, delivery)  # 550: never tried again
        if final == "sent":
            assert delivery.attempts == len(replies) + 1, (name, kind, delivery)
        if final == "expired":
            assert delivery.attempts > 1, (name, delivery)  # retried until the start
    hung_up = sum(kind.startswith("421") for kind, *_ in kinds.values())
    assert len(handler.peers) > hung_up  # each 421 closed its line; a new one was opened
