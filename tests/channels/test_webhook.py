"""WebhookChannel against a real aiohttp receiver: signatures, payload, pooling, answers, faults."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from email.utils import formatdate

import pytest

from notifier.channels import ReminderMessage
from notifier.channels.webhook import (
    PayloadTemplates,
    WebhookChannel,
    build_payload,
    parse_retry_after,
    webhook_secret,
)
from notifier.errors import GoneDeliveryError, PermanentDeliveryError, TransientDeliveryError
from tests.support.ports import free_port
from tests.support.reminders import CCPCJ_SESSION
from tests.support.waiting import until
from tests.support.webhooks import HOOK_PATH, SERVER_SECRET, Receiver, Reply

MakeChannel = Callable[..., WebhookChannel]
MakeMessage = Callable[..., ReminderMessage]


async def test_a_reminder_arrives_signed_as_standard_webhooks_verifies_it(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Receivers check signatures with stock libraries; ours must pass theirs, not just our own."""
    receipt = await make_webhook_channel().send(make_webhook_message(receiver.url()))
    assert receipt == "HTTP 200"
    (request,) = receiver.requests
    assert request.path_qs == HOOK_PATH
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "notifier-tests/1"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.verified()["type"] == "reminder"


async def test_the_payload_gives_the_session_in_utc_the_participants_zone_and_the_venues(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Receivers build calendars and chat messages from these fields; each is part of v1."""
    await make_webhook_channel().send(make_webhook_message(receiver.url(), timezone="Asia/Tokyo"))
    payload = receiver.requests[0].verified()
    assert payload == {
        "type": "reminder",
        "version": "1",
        "delivery_id": (
            "ccpcj-32-gitoc/human-smuggling-central-med/20230523T071000Z/3600/reg-1/webhook"
        ),
        "event": {"id": "ccpcj-32-gitoc", "name": "The Global Initiative at the 32nd CCPCJ"},
        "session": {
            "id": "human-smuggling-central-med",
            "title": CCPCJ_SESSION.title,
            "kind": "session",
            "start_utc": "2023-05-23T07:10:00Z",
            "end_utc": "2023-05-23T08:00:00Z",
            "start_local": "2023-05-23T16:10:00+09:00",
            "end_local": "2023-05-23T17:00:00+09:00",
            "timezone": "Asia/Tokyo",
            "venue_zone": "Europe/Vienna",
            "venue_start": "2023-05-23T09:10:00+02:00",
            "join_url": "https://events.example.org/ccpcj-32/human-smuggling-central-med",
            "room": "Board Room B",
            "venue": "Vienna International Centre",
        },
        "reminder": {
            "offset": "1h",
            "offset_s": 3600,
            "sent_at": "2023-05-23T06:10:00Z",
            "starts_in_s": 3600,
        },
        "unsubscribe_url": "https://reminders.example.org/unsubscribe/tok-reg-1",
        "manage_url": "https://reminders.example.org/manage/tok-reg-1",
        "calendar_url": "https://reminders.example.org/calendar/tok-reg-1.ics",
    }


async def test_a_deadline_has_no_end_and_a_late_reminder_counts_from_sending(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """A deadline's "end" would be invented, and starts_in_s must be true when it arrives."""
    message = make_webhook_message(
        receiver.url(), kind="deadline", now_utc=CCPCJ_SESSION.start_utc.replace(minute=0)
    )
    await make_webhook_channel().send(message)
    payload = receiver.requests[0].verified()
    assert payload["session"]["end_utc"] is None
    assert payload["session"]["end_local"] is None
    assert payload["reminder"]["starts_in_s"] == 600


def test_bodies_filled_into_a_template_are_the_bytes_of_the_full_payload(
    make_webhook_message: MakeMessage,
) -> None:
    """Receivers verify the signature over the body; the template must write it byte for byte."""
    templates = PayloadTemplates(max_templates=2)  # small: variants are evicted and cut again
    cases = []
    for i, zone in enumerate(["Asia/Tokyo", "Europe/Vienna", "America/New_York", "Asia/Tokyo"]):
        for late_s in (0, 90, 7201):
            message = make_webhook_message(
                f"http://127.0.0.1:9/hook/{i}", registration_id=f"reg-{i}-{late_s}", timezone=zone
            )
            later = message.now_utc + timedelta(seconds=late_s)
            cases.append(replace(message, now_utc=later))
    quoted = make_webhook_message("http://127.0.0.1:9/h", title='Say "ü" \\ \u2028 \x00 東京')
    cases += [quoted, replace(quoted, manage_url=None, calendar_url=None)]
    cases.append(make_webhook_message("http://127.0.0.1:9/h", kind="deadline", end=None))
    for message in cases:
        full = json.dumps(build_payload(message), ensure_ascii=False, separators=(",", ":"))
        assert templates.body(message) == full.encode()


async def test_retries_of_one_delivery_share_a_webhook_id_and_other_deliveries_do_not(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Receivers drop duplicates by webhook-id; a retry must look like the same message."""
    channel = make_webhook_channel()
    message = make_webhook_message(receiver.url())
    await channel.send(message)
    await channel.send(message)
    await channel.send(make_webhook_message(receiver.url(), registration_id="reg-2"))
    first, retry, other = (request.headers["webhook-id"] for request in receiver.requests)
    assert first == retry
    assert other != first
    assert first.startswith("msg_")
    assert len(first) == len("msg_") + 32


def test_webhook_secrets_are_derived_per_registration() -> None:
    """Nothing is stored: every replica must derive the same secret, and each receiver its own."""
    secret = webhook_secret(SERVER_SECRET, "reg-1")
    assert secret == webhook_secret(SERVER_SECRET, "reg-1")
    assert secret != webhook_secret(SERVER_SECRET, "reg-2")
    assert secret != webhook_secret("another-server-secret", "reg-1")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


async def test_twenty_concurrent_sends_share_at_most_pool_size_connections(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """A fan-out of thousands must not open a connection per reminder."""
    channel = make_webhook_channel(pool_size=4)
    messages = [make_webhook_message(receiver.url(), registration_id=f"r{i}") for i in range(20)]
    receipts = await asyncio.gather(*(channel.send(m) for m in messages))
    assert receipts == ["HTTP 200"] * 20
    assert len(receiver.requests) == 20
    assert 1 <= len(receiver.peers) <= 4


async def test_sequential_sends_reuse_one_connection(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Keep-alive is what makes aiohttp fast here; an answer left unread would break it."""
    channel = make_webhook_channel()
    for i in range(20):
        await channel.send(make_webhook_message(receiver.url(), registration_id=f"r{i}"))
    assert len(receiver.peers) == 1


async def test_redirects_are_not_followed(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """A redirect could send the signed reminder to an address the guard never checked."""
    receiver.answer(Reply(302, {"Location": receiver.url(path_qs="/elsewhere")}))
    with pytest.raises(PermanentDeliveryError, match="redirects are not followed"):
        await make_webhook_channel().send(make_webhook_message(receiver.url()))
    assert [r.path_qs for r in receiver.requests] == [HOOK_PATH]


@pytest.mark.parametrize(
    ("reply", "error", "retry_after_s"),
    [
        pytest.param(Reply(500), TransientDeliveryError, None, id="500-retried"),
        pytest.param(Reply(503, {"Retry-After": "120"}), TransientDeliveryError, 120, id="503"),
        pytest.param(Reply(429, {"Retry-After": "7"}), TransientDeliveryError, 7, id="429"),
        pytest.param(Reply(408), TransientDeliveryError, None, id="408-retried"),
        pytest.param(Reply(503, {"Retry-After": "86400"}), TransientDeliveryError, 3600, id="cap"),
        pytest.param(Reply(404), PermanentDeliveryError, None, id="404-permanent"),
        pytest.param(Reply(400), PermanentDeliveryError, None, id="400-permanent"),
        pytest.param(Reply(410), GoneDeliveryError, None, id="410-gone"),
    ],
)
async def test_answers_are_classified_and_retry_after_is_honoured(
    receiver: Receiver,
    make_webhook_channel: MakeChannel,
    make_webhook_message: MakeMessage,
    reply: Reply,
    error: type[Exception],
    retry_after_s: float | None,
) -> None:
    """The fan-out retries only what may work later, and waits as long as the receiver asks."""
    receiver.answer(reply)
    channel = make_webhook_channel()
    with pytest.raises(error) as caught:
        await channel.send(make_webhook_message(receiver.url()))
    assert type(caught.value) is error  # a 404 is permanent but must not disable the webhook
    if isinstance(caught.value, TransientDeliveryError):
        assert caught.value.retry_after_s == retry_after_s
    assert await channel.send(make_webhook_message(receiver.url())) == "HTTP 200"


async def test_retry_after_as_an_http_date_counts_from_the_channels_clock(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Retry-After may be a date; read against our clock it becomes a delay."""
    now_s = 1_700_000_000.0
    receiver.answer(Reply(503, {"Retry-After": formatdate(now_s + 90, usegmt=True)}))
    channel = make_webhook_channel(clock=lambda: now_s)
    with pytest.raises(TransientDeliveryError) as caught:
        await channel.send(make_webhook_message(receiver.url()))
    assert caught.value.retry_after_s == 90


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("30", 30, id="seconds"),
        pytest.param("soon", None, id="unreadable"),
        pytest.param(formatdate(1_000, usegmt=True), 0, id="date-in-the-past"),
        pytest.param(formatdate(1_000 + 7200, usegmt=True), 3600, id="date-capped"),
    ],
)
def test_retry_after_is_read_as_seconds_or_date_and_capped(
    header: str | None, expected: float | None
) -> None:
    """A hostile or confused receiver must not park a reminder for days."""
    assert parse_retry_after(header, now_s=1_000.0) == expected


async def test_a_slow_receiver_times_out_as_transient_and_the_next_send_works(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """One stalled receiver must not hold a send (or the pool) past the deadline."""
    receiver.answer(Reply(delay_s=5.0))
    channel = make_webhook_channel(timeout_s=0.3)
    with pytest.raises(TransientDeliveryError, match=r"no answer within 0\.3 s"):
        await channel.send(make_webhook_message(receiver.url()))
    assert await channel.send(make_webhook_message(receiver.url())) == "HTTP 200"


async def test_a_refused_connection_is_transient(
    make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """A receiver that is down for a deploy should get the reminder when it is back."""
    port = free_port()  # nothing listens there
    with pytest.raises(TransientDeliveryError, match=f"http://127.0.0.1:{port}"):
        await make_webhook_channel().send(make_webhook_message(f"http://127.0.0.1:{port}/x"))


async def test_cancelling_a_send_cancels_it(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Shutdown cancels in-flight sends; swallowing that would hang the daemon."""
    receiver.answer(Reply(delay_s=5.0))
    channel = make_webhook_channel()
    task = asyncio.create_task(channel.send(make_webhook_message(receiver.url())))
    await until(lambda: receiver.requests, what="the request at the receiver")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_errors_name_only_scheme_host_and_port(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """Errors reach logs and the delivery log; a path or query often holds the receiver's token."""
    receiver.answer(Reply(500))
    message = make_webhook_message(receiver.url())
    with pytest.raises(TransientDeliveryError) as caught:
        await make_webhook_channel().send(message)
    text = str(caught.value)
    assert f"http://127.0.0.1:{receiver.port}" in text
    assert "receiver-token-123" not in text
    assert "/hooks" not in text
    assert webhook_secret(SERVER_SECRET, "reg-1").removeprefix("whsec_") not in text


async def test_a_send_after_aclose_is_transient(
    receiver: Receiver, make_webhook_channel: MakeChannel, make_webhook_message: MakeMessage
) -> None:
    """During shutdown a reminder is retried by the next process, not lost."""
    channel = make_webhook_channel()
    await channel.send(make_webhook_message(receiver.url()))
    await channel.aclose()
    with pytest.raises(TransientDeliveryError, match="shut down"):
        await channel.send(make_webhook_message(receiver.url()))
    assert len(receiver.requests) == 1


async def test_a_registration_without_a_webhook_url_fails_for_good(
    make_webhook_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """An email-only registration routed here is a bug to surface, not to retry."""
    with pytest.raises(PermanentDeliveryError, match="has no webhook"):
        await make_webhook_channel().send(make_message())
