"""The apprise channel against a real receiver that speaks Apprise's ``json://`` schema."""

from __future__ import annotations

import pytest

from notifier.channels.apprise import AppriseChannel
from notifier.channels.base import ReminderMessage
from notifier.errors import PermanentDeliveryError, TransientDeliveryError
from tests.support.reminders import webhook_reminder_message
from tests.support.webhooks import Receiver, Reply, serve_receiver

TOKEN = "room-token-from-the-environment-0001"  # noqa: S105  # a test value, not a secret


def _message(
    receiver: Receiver, template: str = "json://127.0.0.1:{port}/rooms/${ROOM_KEY}"
) -> ReminderMessage:
    url = template.replace("{port}", str(receiver.port))
    return webhook_reminder_message(url, registration_id="broadcast:side-room")


async def test_a_broadcast_posts_both_times_and_reads_its_secret_from_the_environment() -> None:
    """The room gets the session, its venue and UTC times and the join link; the key stays
    out of the file and is read from the environment the channel was given."""
    channel = AppriseChannel(environ={"ROOM_KEY": TOKEN})
    async with serve_receiver() as receiver:
        receipt = await channel.send(_message(receiver))
    (request,) = receiver.requests
    assert receipt == "posted"
    assert request.path_qs == f"/rooms/{TOKEN}"
    document = request.document
    assert document["title"].endswith("(starts in 1h)")
    assert "09:10" in document["message"]
    assert "Europe/Vienna" in document["message"]
    assert "07:10" in document["message"]  # UTC, the room's common reference
    assert "https://events.example.org/ccpcj-32/human-smuggling-central-med" in document["message"]


async def test_a_refusing_service_is_transient_so_the_fanout_retries_it() -> None:
    """Apprise answers only False: a 5xx, a timeout and a refusal look alike, so retry."""
    channel = AppriseChannel(environ={"ROOM_KEY": TOKEN})
    async with serve_receiver() as receiver:
        receiver.answer(Reply(503))
        with pytest.raises(TransientDeliveryError) as caught:
            await channel.send(_message(receiver))
        assert TOKEN not in str(caught.value)
        assert await channel.send(_message(receiver)) == "posted"
    assert len(receiver.requests) == 2


async def test_a_missing_variable_or_an_unknown_service_fails_for_good_without_quoting_it() -> None:
    """Only an edit fixes these: retrying would only delay the 'failed' in the log."""
    async with serve_receiver() as receiver:
        with pytest.raises(PermanentDeliveryError, match="ROOM_KEY is not set"):
            await AppriseChannel(environ={}).send(_message(receiver))
        channel = AppriseChannel(environ={"ROOM_KEY": TOKEN})
        with pytest.raises(PermanentDeliveryError, match="no-such-service://") as caught:
            await channel.send(_message(receiver, "no-such-service://${ROOM_KEY}"))
        assert TOKEN not in str(caught.value)
    assert receiver.requests == []
