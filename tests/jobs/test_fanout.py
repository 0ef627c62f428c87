"""The fan-out at fire time, over both store backends and a real SMTP server with scripted replies.

Each test builds the event from YAML, registers people in the real store, and runs
``run_fanout`` with an injected clock: the reminder for the "talk" session is due at ``NOW``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta
from itertools import islice

import pytest

from notifier.channels import SmtpChannel
from notifier.events import Event
from notifier.jobs.fanout import RetryPolicy, page_limits, run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import ReminderRef, delivery_key
from notifier.store import Store, open_store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.mail import plain_text
from tests.support.smtp import SmtpServer
from tests.support.waiting import until, until_async

START = NOW + timedelta(minutes=10)  # the talk's 10-minute reminder is due exactly at NOW
TEN_MINUTES = timedelta(minutes=10)


def _event(reminders: tuple[str, ...] = ("10m",)) -> Event:
    """Two sessions: "talk" at START, "panel" two hours later."""
    text = event_yaml({"talk": START, "panel": START + timedelta(hours=2)}, reminders=reminders)
    return load_test_event(text)


def _talk(event: Event, offset: timedelta = TEN_MINUTES) -> ReminderRef:
    session = next(s for s in event.sessions if s.id == "talk")
    return Reminder(event, session, offset).ref


async def _register(store: Store, *names: str, whole_event: tuple[str, ...] = ()) -> None:
    for name in names:
        await store.add_registration(registration(name))
    for name in whole_event:
        await store.add_registration(registration(name, sessions=None))


async def _statuses(store: Store, event: Event) -> dict[str, tuple[str, int]]:
    """registration id -> (status, attempts), from the delivery log of the talk."""
    log = await store.list_deliveries(event.id, "talk")
    return {d.registration_id: (d.status, d.attempts) for d in log}


async def test_each_follower_gets_one_email_and_whole_event_registrations_count(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Exactly one reminder per participant and channel: none missing, none doubled."""
    event = _event()
    await _register(store, "ada", whole_event=("dee",))
    await store.add_registration(registration("eve", sessions=("panel",)))  # not this session
    # a webhook too, but this process has only email: still one email, nothing else
    await store.add_registration(registration("bob", webhook_url="https://hooks.example.org/b"))
    deps = fanout_deps(store, smtp_channel, Clock(NOW))

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=3)
    assert mail_server.handler.recipients == Counter(
        {"ada@example.org": 1, "bob@example.org": 1, "dee@example.org": 1}
    )
    assert await _statuses(store, event) == {
        "ada": ("sent", 1),
        "bob": ("sent", 1),
        "dee": ("sent", 1),
    }
    fanout = await store.get_fanout(_talk(event))
    assert fanout is not None
    assert (fanout.status, fanout.counts) == ("done", {"sent": 3})


@pytest.mark.parametrize(
    ("page_size", "limits"),
    [(500, [50, 200, 500, 500]), (120, [50, 120, 120]), (2, [2, 2, 2])],
)
def test_pages_grow_from_a_short_first_one_to_the_page_size(
    page_size: int, limits: list[int]
) -> None:
    """A short first page (the first send leaves soon), then four times the last up to the
    page size: the next page is claimed while this one sends and must not lag far behind."""
    assert list(islice(page_limits(page_size), len(limits))) == limits


async def test_every_follower_across_pages_of_growing_size_gets_one_email(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """251 followers with pages of 500 are read as 50, 200 and 1: none skipped or doubled at
    the edges where the page size changes."""
    event = _event()
    names = [f"p{i:03d}" for i in range(251)]
    for name in names:
        await store.add_registration(registration(name))
    deps = fanout_deps(store, smtp_channel, Clock(NOW))
    deps.page_size = 500

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=251)
    assert mail_server.handler.recipients == Counter({f"{n}@example.org": 1 for n in names})
    assert set((await _statuses(store, event)).values()) == {("sent", 1)}


async def test_second_run_of_the_same_reminder_sends_nothing_new(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """A job may run twice (a retry, a restart): the claims make the second run send nothing."""
    event = _event()
    await _register(store, "ada", "bob", whole_event=("dee",))
    deps = fanout_deps(store, smtp_channel, Clock(NOW))
    ref = _talk(event)

    first = await run_fanout(deps, event, event.sessions[0], ref)
    second = await run_fanout(deps, event, event.sessions[0], ref)
    await store.record_fanout(ref, "started", deps.clock(), {})  # as if the first had crashed
    third = await run_fanout(deps, event, event.sessions[0], ref)

    assert first == Counter(sent=3)
    assert second == Counter(already_done=1)  # the finished fan-out record is kept as it was
    assert third == Counter(already_claimed=3)  # an unfinished one re-runs; claims stop repeats
    assert sum(mail_server.handler.data_calls.values()) == 3
    assert set((await _statuses(store, event)).values()) == {("sent", 1)}


async def test_two_replicas_running_the_same_reminder_at_once_send_each_email_once(
    store: Store, store_url: str, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Several replicas may fire the same job together; the store's claim lets one send."""
    event = _event()
    await _register(store, "ada", "bob", "cy", whole_event=("dee",))
    other_store = await open_store(store_url)  # the second replica's own connection
    try:
        await other_store.ping()  # connected, as a running replica's is: both start together
        ref = _talk(event)
        results = await asyncio.gather(
            run_fanout(fanout_deps(store, smtp_channel, Clock(NOW)), event, event.sessions[0], ref),
            run_fanout(
                fanout_deps(other_store, smtp_channel, Clock(NOW)), event, event.sessions[0], ref
            ),
        )
    finally:
        await other_store.aclose()

    total = results[0] + results[1]
    # the loser saw each key claimed (still in flight: claimed_elsewhere) or already sent
    assert total["sent"] == 4
    assert total["already_claimed"] + total["claimed_elsewhere"] == 4
    assert mail_server.handler.recipients == Counter(
        {f"{name}@example.org": 1 for name in ("ada", "bob", "cy", "dee")}
    )


async def test_permanent_refusal_is_recorded_failed_after_one_attempt_with_the_error(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """A 550 will not change on retry; the log must say why, without the whole address."""
    event = _event()
    await _register(store, "ada")
    mail_server.handler.script(
        "DATA", "550 5.1.1 <ada@example.org>: mailbox unavailable", to="ada@example.org"
    )
    deps = fanout_deps(store, smtp_channel, Clock(NOW))

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(failed=1)
    assert mail_server.handler.data_calls["ada@example.org"] == 1
    delivery = await store.get_delivery(delivery_key(_talk(event), "ada", "email"))
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("failed", 1, None)
    assert delivery.last_error is not None
    assert "550" in delivery.last_error
    assert "mailbox unavailable" in delivery.last_error
    assert "ada@example.org" not in delivery.last_error  # STYLE: never whole addresses


async def test_transient_failures_are_retried_then_sent_with_attempts_counted(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """A greylisting 451 must not lose the reminder; the log shows how many tries it took."""
    event = _event()
    await _register(store, "ada")
    mail_server.handler.script("DATA", *["451 4.7.1 greylisted"] * 2, to="ada@example.org")
    deps = fanout_deps(store, smtp_channel, Clock(NOW))

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=1)
    assert mail_server.handler.data_calls["ada@example.org"] == 3
    assert len(mail_server.handler.accepted_for("ada@example.org")) == 1
    delivery = await store.get_delivery(delivery_key(_talk(event), "ada", "email"))
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, NOW)
    assert delivery.last_error is None


async def test_transient_failures_until_attempts_run_out_are_recorded_failed(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Retries are bounded; when they run out the delivery is failed, not left pending."""
    event = _event()
    await _register(store, "ada")
    mail_server.handler.script("DATA", *["451 4.3.0 try again later"] * 10, to="ada@example.org")
    retry = RetryPolicy(max_attempts=3, base_s=0.05, max_s=0.1)
    deps = fanout_deps(store, smtp_channel, Clock(NOW), retry=retry)

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(failed=1)
    assert mail_server.handler.data_calls["ada@example.org"] == 3
    delivery = await store.get_delivery(delivery_key(_talk(event), "ada", "email"))
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("failed", retry.max_attempts)
    assert delivery.last_error is not None
    assert "451" in delivery.last_error


async def test_retry_that_would_land_after_the_session_start_is_recorded_expired(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """A reminder that would arrive after the session started is not sent, and not waited for."""
    event = _event(reminders=("1m",))  # due at START - 1 min: the session starts 60 s after
    await _register(store, "ada")
    mail_server.handler.script("DATA", "451 4.3.0 try again later", to="ada@example.org")
    retry = RetryPolicy(max_attempts=5, base_s=300.0, max_s=300.0)  # next try in 150-300 s
    deps = fanout_deps(store, smtp_channel, Clock(START - timedelta(minutes=1)), retry=retry)
    ref = _talk(event, timedelta(minutes=1))

    began = time.monotonic()
    counts = await run_fanout(deps, event, event.sessions[0], ref)

    assert time.monotonic() - began < 5.0  # gave up at once instead of sleeping to the retry
    assert counts == Counter(expired=1)
    assert mail_server.handler.data_calls["ada@example.org"] == 1
    delivery = await store.get_delivery(delivery_key(ref, "ada", "email"))
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("expired", 1)
    assert delivery.last_error is not None
    assert "451" in delivery.last_error


@pytest.mark.parametrize(
    "fired_at",
    [START + timedelta(minutes=1), START - TEN_MINUTES + timedelta(minutes=3)],
    ids=["session-started", "past-lateness-before-start"],
)
async def test_reminder_fired_too_late_is_skipped_for_everyone(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel, fired_at: datetime
) -> None:
    """After downtime a stale reminder is worse than none; the log still says it was skipped."""
    event = _event()  # 10m reminder: 2.5 min lateness by default
    await _register(store, "ada", whole_event=("dee",))
    deps = fanout_deps(store, smtp_channel, Clock(fired_at))

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(skipped=2)
    assert mail_server.handler.data_calls == Counter()
    assert await _statuses(store, event) == {"ada": ("skipped", 0), "dee": ("skipped", 0)}
    fanout = await store.get_fanout(_talk(event))
    assert fanout is not None
    assert (fanout.status, fanout.counts) == ("skipped", {"skipped": 2})


async def test_reminder_fired_late_but_within_its_lateness_is_still_sent(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """The boundary on the other side: 2 minutes late for a 10-minute reminder is still useful."""
    event = _event()
    await _register(store, "ada")
    clock = Clock(START - TEN_MINUTES + timedelta(minutes=2))
    deps = fanout_deps(store, smtp_channel, clock)

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=1)
    (message,) = mail_server.handler.accepted_for("ada@example.org")
    assert "Starts in 8 minutes." in plain_text(message)


async def test_concurrency_bound_caps_simultaneous_sends(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """2,000 followers must not open 2,000 SMTP sessions at once; the semaphore is the cap."""
    event = _event()
    names = [f"p{i:02d}" for i in range(10)]
    await _register(store, *names)
    mail_server.handler.delay_s = 0.05  # each DATA takes a while, so overlaps are visible
    deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=2)

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=10)
    assert mail_server.handler.max_in_flight == 2  # the cap, and it was reached
    assert sum(mail_server.handler.recipients.values()) == 10


async def test_stopping_before_the_first_attempt_hands_the_claim_back(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """At shutdown an unattempted delivery must stay sendable, or a restart would lose it."""
    event = _event()
    await _register(store, "ada", whole_event=("dee",))
    deps = fanout_deps(store, smtp_channel, Clock(NOW))
    ref = _talk(event)
    deps.stopping.set()

    stopped = await run_fanout(deps, event, event.sessions[0], ref)

    assert stopped == Counter(handed_back=2)
    assert mail_server.handler.data_calls == Counter()
    for name in ("ada", "dee"):
        assert await store.get_delivery(delivery_key(ref, name, "email")) is None
    deps.stopping.clear()  # the next process
    assert await run_fanout(deps, event, event.sessions[0], ref) == Counter(sent=2)
    assert mail_server.handler.recipients == Counter({"ada@example.org": 1, "dee@example.org": 1})


async def test_send_cut_off_at_shutdown_is_recorded_failed_and_not_sent_again(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Mail cut off mid-DATA may have gone out: at most once wins, and the log says why."""
    event = _event()
    await _register(store, "ada")
    mail_server.handler.script("DATA", "stall", to="ada@example.org")
    deps = fanout_deps(store, smtp_channel, Clock(NOW))
    ref = _talk(event)
    task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
    await until(lambda: mail_server.handler.in_flight, what="the send stuck in DATA")

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    delivery = await store.get_delivery(delivery_key(ref, "ada", "email"))
    assert delivery is not None
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error is not None
    assert "shutdown" in delivery.last_error
    again = await run_fanout(deps, event, event.sessions[0], ref)
    assert again == Counter(already_claimed=1)
    assert mail_server.handler.data_calls["ada@example.org"] == 1


async def test_every_outcome_lands_in_the_delivery_log(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Nothing is silently dropped: each follower's delivery ends in the log with its outcome."""
    event = _event()
    await _register(store, "ada", "bob", "cy", whole_event=("dee",))
    await store.add_registration(registration("eve", sessions=("panel",)))
    handler = mail_server.handler
    handler.script("DATA", "550 5.1.1 mailbox unavailable", to="ada@example.org")
    handler.script("DATA", "451 4.7.1 greylisted", to="bob@example.org")
    handler.script("DATA", *["421 4.3.2 shutting down"] * 3, to="dee@example.org")
    deps = fanout_deps(store, smtp_channel, Clock(NOW), retry=RetryPolicy(3, 0.05, 0.1))
    ref = _talk(event)

    counts = await run_fanout(deps, event, event.sessions[0], ref)

    assert counts == Counter(sent=2, failed=2)
    statuses = await _statuses(store, event)
    # a 421 closes a pooled connection that another recipient's send may be using, so only
    # the scripted recipients' attempt counts are exact
    assert {name: status for name, (status, _) in statuses.items()} == {
        "ada": "failed",
        "bob": "sent",
        "cy": "sent",
        "dee": "failed",
    }
    assert (statuses["ada"][1], statuses["dee"][1]) == (1, 3)
    assert statuses["bob"][1] >= 2
    log = await store.list_deliveries(event.id, "talk")
    assert sum(counts.values()) == len(log)
    assert all(d.status != "claimed" for d in log)  # nothing left in limbo
    assert all(d.last_error for d in log if d.status == "failed")
    fanout = await store.get_fanout(ref)
    assert fanout is not None
    assert (fanout.status, fanout.counts) == ("done", dict(counts))


async def test_retried_email_says_how_soon_the_session_starts_when_finally_sent(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """A retry minutes later must not claim the old lead time ("starts in 10 minutes")."""
    event = _event()
    await _register(store, "ada")
    clock = Clock(NOW)
    handler = mail_server.handler
    handler.script("DATA", "451 4.7.1 greylisted", to="ada@example.org")

    def three_minutes_pass(recipient: str, reply: str) -> None:
        if reply.startswith("451"):
            clock.advance(timedelta(minutes=3))  # the retry goes out at START - 7 min

    handler.on_reply = three_minutes_pass
    deps = fanout_deps(store, smtp_channel, clock)

    counts = await run_fanout(deps, event, event.sessions[0], _talk(event))

    assert counts == Counter(sent=1)
    (message,) = handler.accepted_for("ada@example.org")
    assert "Starts in 7 minutes." in plain_text(message), plain_text(message)


async def test_deliveries_queued_when_a_fanout_is_cut_off_are_sent_by_the_next_run(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """drain cancels fan-outs still running at its deadline; the queued ones must not be lost."""
    event = _event()
    await _register(store, "ada", "bob", "cy")
    handler = mail_server.handler
    for name in ("ada", "bob", "cy"):
        handler.script("DATA", "stall", to=f"{name}@example.org")  # a server that stopped answering
    deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=1)
    ref = _talk(event)
    task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
    # one send stuck in DATA, two waiting for the bound
    await until(lambda: handler.in_flight, what="the send stuck in DATA")

    deps.stopping.set()  # what drain does: stop, then cancel after shutdown_timeout_s
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    handler.clear_script()  # the server is back for the next process
    again = await run_fanout(
        fanout_deps(store, smtp_channel, Clock(NOW)), event, event.sessions[0], ref
    )

    log = {d.registration_id: (d.status, d.attempts) for d in await store.list_deliveries()}
    assert again == Counter(sent=2, already_claimed=1), log
    assert sum(handler.recipients.values()) == 2


async def test_shutdown_hands_back_the_page_claimed_ahead_too(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """The next page is claimed while this one sends: at SIGTERM its claims must go back
    unattempted with the current page's rest, or they would wait out their leases."""
    event = _event()
    names = [f"p{i}" for i in range(5)]
    await _register(store, *names)
    handler = mail_server.handler
    handler.hold()  # p0's send stays in flight until the service is stopping
    deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=1)
    deps.page_size = 2  # pages (p0, p1), (p2, p3), (p4)
    ref = _talk(event)
    task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
    await until(lambda: handler.in_flight, what="p0's send in flight")
    claimed_ahead = delivery_key(ref, "p3", "email")
    await until_async(
        lambda: store.get_delivery(claimed_ahead),
        what="the second page claimed while the first sends",
    )

    deps.stopping.set()  # what SIGTERM does
    handler.release()
    stopped = await task

    assert stopped == Counter(sent=1, handed_back=3, cut_off=1)
    for name in ("p1", "p2", "p3", "p4"):
        assert await store.get_delivery(delivery_key(ref, name, "email")) is None
    deps.stopping.clear()  # the next process
    again = await run_fanout(deps, event, event.sessions[0], ref)
    assert again == Counter(sent=4, already_claimed=1)
    assert handler.recipients == Counter({f"{n}@example.org": 1 for n in names})


async def test_drain_timeout_hands_back_the_page_claimed_ahead_too(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Cancelled at the drain deadline, the page claimed ahead must not wait out its leases."""
    event = _event()
    names = [f"p{i}" for i in range(5)]
    await _register(store, *names)
    handler = mail_server.handler
    handler.hold()  # p0's send never answers before the deadline
    deps = fanout_deps(store, smtp_channel, Clock(NOW), concurrency=1)
    deps.page_size = 2  # pages (p0, p1), (p2, p3), (p4)
    ref = _talk(event)
    task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))
    await until(lambda: handler.in_flight, what="p0's send in flight")
    await until_async(
        lambda: store.get_delivery(delivery_key(ref, "p3", "email")),
        what="the second page claimed while the first sends",
    )

    deps.stopping.set()  # what drain does: stop, then cancel after shutdown_timeout_s
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    handler.release()

    for name in ("p1", "p2", "p3", "p4"):
        assert await store.get_delivery(delivery_key(ref, name, "email")) is None
    again = await run_fanout(
        fanout_deps(store, smtp_channel, Clock(NOW)), event, event.sessions[0], ref
    )
    assert again == Counter(sent=4, already_claimed=1)  # p0 was cut off mid-DATA: failed
    assert handler.recipients == Counter({f"p{i}@example.org": 1 for i in range(1, 5)})
