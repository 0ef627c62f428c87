"""A webhook receiver answering 500, 429, 410, 404 and timeouts (#12): each answer its own fate.

Each registration posts to its own path on one real receiver (tests/support/webhooks.py),
scripted by the registration's number (a fixed mix): 5xx, 408 and 429 (with ``Retry-After``
honoured) are retried until the receiver takes it, a POST that times out is sent again (same
``webhook-id``), 410 fails it and disables the webhook (as notifier/channels/webhook.py says),
another 4xx fails it at once, and a 500 that never ends is retried until the session starts,
then ``expired``. A copy is an answer the receiver finished with a 2xx.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from notifier.channels.webhook import WebhookChannel
from notifier.jobs.fanout import RetryPolicy, run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import delivery_key
from notifier.store import Store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.faults import REPORT, EventCounts, tally
from tests.support.reminders import webhook_channel
from tests.support.waiting import until
from tests.support.webhooks import Receiver, Reply, serve_receiver

START = NOW + timedelta(minutes=10)
RETRY = RetryPolicy(max_attempts=None, base_s=0.02, max_s=0.2)
TIMEOUT_S = 3.0  # the channel's deadline per POST (a loaded CPU answers a 200 late, not this late)
FOREVER = 20_000  # more 500s than a fan-out meets before the test lets the session start
SLOW = Reply(200, delay_s=TIMEOUT_S * 3)  # answered after the client gave up
# (kind, replies, final status); registration i meets MIX[i % len(MIX)]
MIX: list[tuple[str, list[Reply], str]] = [
    ("200", [], "sent"),
    ("200", [], "sent"),
    ("500 twice", [Reply(500)] * 2, "sent"),
    ("429 Retry-After 1", [Reply(429, {"Retry-After": "1"})], "sent"),
    ("503, 408", [Reply(503), Reply(408)], "sent"),
    ("timeout", [SLOW], "sent"),
    ("410", [Reply(410)], "failed"),
    ("404", [Reply(404)], "failed"),
    ("500 until the start", [Reply(500)] * FOREVER, "expired"),
    ("200", [], "sent"),
]


def _path(name: str) -> str:
    return f"/hooks/{name}"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serve_receiver() as served:
        yield served


@pytest.fixture
async def channel() -> AsyncIterator[WebhookChannel]:
    made = webhook_channel(timeout_s=TIMEOUT_S, pool_size=8)
    try:
        yield made
    finally:
        await made.aclose()


async def test_a_webhook_answer_mix_is_retried_failed_disabled_or_expired_as_each_says(
    store: Store, receiver: Receiver, channel: WebhookChannel, fault_people: int
) -> None:
    """Receivers go down, throttle and retire hooks; none of that may lose or repeat a reminder."""
    event = load_test_event(event_yaml({"talk": START}, reminders=("10m",), channels=["webhook"]))
    ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
    names = [f"w{i:04d}" for i in range(fault_people)]
    kinds = {name: MIX[i % len(MIX)] for i, name in enumerate(names)}
    for name in names:
        url = receiver.url(path_qs=f"{_path(name)}?token=receiver-token-123")
        await store.add_registration(registration(name, webhook_url=url))
        receiver.answer_path(_path(name), *kinds[name][1])
    settle = Counter(final for _, _, final in kinds.values())
    clock = Clock(NOW)
    deps = fanout_deps(store, channel, clock, retry=RETRY, channel_name="webhook")

    with capture_logs() as logs:
        task = asyncio.create_task(run_fanout(deps, event, event.sessions[0], ref))

        ended = EventCounts(logs)  # new entries only, at each poll

        await until(
            lambda: (
                ended("reminder_sent") >= settle["sent"]
                and ended("delivery_failed") >= settle["failed"]
            ),
            timeout_s=600,  # a deadline for 2,000 on a loaded machine
            poll_s=0.2,
            what=lambda: f"{ended('reminder_sent')} sent, {ended('delivery_failed')} failed",
        )
        clock.advance(START - NOW)  # the session starts: the endless 500s stop here
        counts = await task

    copies = Counter(path for path, status in receiver.answered if 200 <= status < 300)
    result = REPORT.add(await tally(store, ref, copies, names, channel="webhook", address=_path))
    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert result.statuses == settle, result.statuses
    assert counts["sent"] == result.once == settle["sent"]
    for name in names:
        kind, replies, final = kinds[name]
        delivery = await store.get_delivery(delivery_key(ref, name, "webhook"))
        assert delivery is not None
        assert delivery.status == final, (name, kind, delivery)
        if final == "sent":
            assert delivery.attempts == len(replies) + 1, (name, kind, delivery)
        if final == "failed":
            assert delivery.attempts == 1, (name, kind, delivery)
        if final == "expired":
            assert delivery.attempts > 1, (name, delivery)
        kept = await store.get_registration(name)
        assert kept is not None
        assert (kept.webhook_url is None) == (kind == "410"), (name, kind)  # only 410 disables
    # the timed-out POST and its retry carried one webhook-id: a receiver can drop the second
    slow = [n for n in names if kinds[n][0] == "timeout"]
    for name in slow[:3]:
        posts = [r for r in receiver.requests if r.path_qs.split("?")[0] == _path(name)]
        ids = {v for r in posts for k, v in r.headers.items() if k.lower() == "webhook-id"}
        assert (len(posts), len(ids)) == (2, 1), (name, ids)
