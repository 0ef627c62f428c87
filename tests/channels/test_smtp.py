"""SmtpChannel against real aiosmtpd servers: TLS, AUTH, pooling, and the faults servers make."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import pytest

from notifier.channels import ReminderMessage, SmtpChannel
from notifier.errors import (
    PermanentDeliveryError,
    SettingsError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from tests.support.reminders import SENDER
from tests.support.smtp import PASSWORD, USERNAME, Certificates, SmtpServer
from tests.support.waiting import until

MakeChannel = Callable[..., SmtpChannel]
MakeMessage = Callable[..., ReminderMessage]
StartSmtp = Callable[..., SmtpServer]


async def test_a_reminder_arrives_with_one_recipient_and_its_message_id(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """The receipt in the delivery log must match the Message-ID the participant got."""
    receipt = await make_channel(smtp_server).send(make_message(email="alice@example.org"))
    (envelope,) = smtp_server.handler.received
    assert envelope.rcpt_tos == ["alice@example.org"]
    assert envelope.mail_from == "reminders@notifier.example.org"
    received = envelope.message
    assert received["Message-ID"] == receipt
    assert received["To"] == "alice@example.org"


async def test_a_fan_out_reuses_at_most_pool_size_connections(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """A new TCP+TLS+AUTH handshake per participant is slow and trips provider rate limits."""
    channel = make_channel(smtp_server, pool_size=2)
    messages = [make_message(email=f"p{i}@example.org", registration_id=f"r{i}") for i in range(20)]
    receipts = await asyncio.gather(*(channel.send(m) for m in messages))
    assert len(set(receipts)) == 20
    assert len(smtp_server.handler.received) == 20
    assert all(len(e.rcpt_tos) == 1 for e in smtp_server.handler.received)
    assert 1 <= len(smtp_server.handler.peers) <= 2


async def test_sequential_sends_share_one_connection(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """A pool that reconnects each time would only look like a pool."""
    channel = make_channel(smtp_server, pool_size=4)
    for i in range(3):
        await channel.send(make_message(registration_id=f"r{i}"))
    assert len(smtp_server.handler.peers) == 1


@pytest.mark.parametrize(
    ("command", "reply", "error"),
    [
        pytest.param(
            "MAIL", "451 4.7.1 Greylisted, try later", TransientDeliveryError, id="mail-451"
        ),
        pytest.param("MAIL", "553 5.7.1 Sender not allowed", PermanentDeliveryError, id="mail-553"),
        pytest.param("RCPT", "452 4.2.2 Mailbox full", TransientDeliveryError, id="rcpt-452"),
        pytest.param("DATA", "451 4.3.0 Try again later", TransientDeliveryError, id="data-451"),
        pytest.param("DATA", "554 5.6.0 Message rejected", PermanentDeliveryError, id="data-554"),
    ],
)
async def test_server_replies_are_classified_and_the_next_send_works(
    smtp_server: SmtpServer,
    make_channel: MakeChannel,
    make_message: MakeMessage,
    command: str,
    reply: str,
    error: type[Exception],
) -> None:
    """4xx is retried by the fan-out, 5xx is recorded; either way the channel keeps working."""
    smtp_server.handler.script(command, reply)
    channel = make_channel(smtp_server)
    with pytest.raises(error, match=reply.split()[0]):
        await channel.send(make_message(registration_id="r1"))
    await channel.send(make_message(registration_id="r2"))
    assert len(smtp_server.handler.received) == 1


async def test_a_server_that_defers_twice_accepts_the_third_send(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """Each 451 is one transient failure for the fan-out to back off from, not a dead channel."""
    smtp_server.handler.script("DATA", "451 4.3.0 Try again later", "451 4.3.0 Try again later")
    channel = make_channel(smtp_server)
    for _ in range(2):
        with pytest.raises(TransientDeliveryError, match="451"):
            await channel.send(make_message())
    receipt = await channel.send(make_message())
    assert receipt.endswith("@notifier.example.org>")
    assert len(smtp_server.handler.received) == 1


async def test_a_refused_recipient_is_permanent_and_not_named_in_full(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """550 will not change on retry, and the delivery log must not hold whole addresses."""
    smtp_server.handler.script(
        "RCPT", "550 5.1.1 <nobody@example.org> unknown", to="nobody@example.org"
    )
    channel = make_channel(smtp_server)
    with pytest.raises(PermanentDeliveryError, match="550") as caught:
        await channel.send(make_message(email="nobody@example.org"))
    assert "nobody@example.org" not in str(caught.value)
    await channel.send(make_message(email="somebody@example.org"))
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [["somebody@example.org"]]


@pytest.mark.parametrize("command", ["MAIL", "RCPT"])
async def test_a_connection_dropped_before_the_data_is_transient_and_replaced(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage, command: str
) -> None:
    """Nothing was handed over yet: retrying is safe, on a fresh connection, never the old one."""
    smtp_server.handler.script(command, "drop")
    channel = make_channel(smtp_server)
    with pytest.raises(TransientDeliveryError):
        await channel.send(make_message(registration_id="r1"))
    await channel.send(make_message(registration_id="r2"))
    assert len(smtp_server.handler.received) == 1
    assert len(smtp_server.handler.peers) == 2


async def test_a_server_stalled_before_the_data_times_out_as_transient(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """A hung server must not hold a fan-out forever; the connection is dropped after."""
    smtp_server.handler.script("RCPT", "stall")
    channel = make_channel(smtp_server, timeout_s=0.5)
    with pytest.raises(TransientDeliveryError, match=r"no answer within 0\.5 s"):
        await channel.send(make_message(registration_id="r1"))
    await channel.send(make_message(registration_id="r2"))
    assert len(smtp_server.handler.peers) == 2


@pytest.mark.parametrize("reply", ["drop", "stall"])
async def test_a_reply_lost_after_the_data_is_unknown_not_transient(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage, reply: str
) -> None:
    """The server may have queued it: a blind retry could mail the person twice (#12)."""
    smtp_server.handler.script("DATA", reply)
    channel = make_channel(smtp_server, timeout_s=0.5)
    with pytest.raises(UnknownDeliveryError, match="may have been delivered"):
        await channel.send(make_message(registration_id="r1"))
    await channel.send(make_message(registration_id="r2"))  # a fresh connection works
    assert len(smtp_server.handler.peers) == 2


async def test_cancelling_a_send_propagates_and_drops_its_connection(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """Shutdown cancels sends; swallowing that would hang the daemon's stop."""
    smtp_server.handler.script("DATA", "stall")
    channel = make_channel(smtp_server)
    sending = asyncio.create_task(channel.send(make_message(registration_id="r1")))
    await until(lambda: smtp_server.handler.in_flight == 1, what="the server stalling in DATA")
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    await channel.send(make_message(registration_id="r2"))
    assert len(smtp_server.handler.peers) == 2


async def test_nothing_listening_is_transient(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """A restarting mail server is a reason to retry, not to give up on 2,000 people."""
    channel = make_channel(smtp_server, port=1)
    with pytest.raises(TransientDeliveryError, match=r"connecting to 127\.0\.0\.1:1\b"):
        await channel.send(make_message())


async def test_starttls_with_auth_delivers_over_tls(
    start_smtp: StartSmtp,
    certificates: Certificates,
    make_channel: MakeChannel,
    make_message: MakeMessage,
) -> None:
    """Credentials and addresses must only cross the network encrypted."""
    server = start_smtp(starttls=True, auth=True)
    channel = make_channel(
        server,
        tls="starttls",
        tls_context=certificates.client,
        username=USERNAME,
        password=PASSWORD,
    )
    await channel.send(make_message())
    assert [message.tls for message in server.handler.received] == [True]


async def test_implicit_tls_delivers(
    start_smtp: StartSmtp,
    certificates: Certificates,
    make_channel: MakeChannel,
    make_message: MakeMessage,
) -> None:
    """Port 465 providers speak TLS from the first byte."""
    server = start_smtp(implicit_tls=True)
    await make_channel(server, tls="tls", tls_context=certificates.client).send(make_message())
    assert len(server.handler.received) == 1


async def test_a_wrong_password_is_permanent_and_never_echoed(
    start_smtp: StartSmtp,
    certificates: Certificates,
    make_channel: MakeChannel,
    make_message: MakeMessage,
) -> None:
    """Ops need to know which setting to fix; the password must not land in logs."""
    server = start_smtp(starttls=True, auth=True)
    wrong = "wrong-" + PASSWORD
    channel = make_channel(
        server, tls="starttls", tls_context=certificates.client, username=USERNAME, password=wrong
    )
    with pytest.raises(PermanentDeliveryError, match="535") as caught:
        await channel.send(make_message())
    assert "NOTIFIER_SMTP_USERNAME" in str(caught.value)
    assert "NOTIFIER_SMTP_PASSWORD" in str(caught.value)
    assert wrong not in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert server.handler.received == []


async def test_an_untrusted_certificate_sends_nothing(
    start_smtp: StartSmtp, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """Falling back to plain text on a bad certificate would leak the password."""
    server = start_smtp(starttls=True, auth=True)
    channel = make_channel(
        server,
        tls="starttls",
        tls_context=ssl.create_default_context(),  # does not trust the test CA
        username=USERNAME,
        password=PASSWORD,
    )
    with pytest.raises(TransientDeliveryError, match="SSLCertVerificationError"):
        await channel.send(make_message())
    assert server.handler.received == []


async def test_aclose_says_quit_to_pooled_connections(
    smtp_server: SmtpServer, make_channel: MakeChannel, make_message: MakeMessage
) -> None:
    """A polite QUIT lets the server free the session now, not after its idle timeout."""
    channel = make_channel(smtp_server)
    await channel.send(make_message())
    await channel.aclose()
    assert smtp_server.handler.quits == 1
    with pytest.raises(TransientDeliveryError, match="shut down"):
        await channel.send(make_message())


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"tls": "ssl"}, id="unknown-tls-mode"),
        pytest.param({"pool_size": 0}, id="empty-pool"),
        pytest.param({"username": USERNAME}, id="username-without-password"),
        pytest.param({"sender": "reminders"}, id="sender-without-domain"),
        pytest.param({"public_base_url": "reminders.example.org"}, id="relative-base-url"),
    ],
)
def test_bad_settings_fail_at_construction(settings: dict[str, Any]) -> None:
    """A typo in the settings should stop start-up, not fail every reminder later."""
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 25,
        "tls": "none",
        "username": None,
        "password": None,
        "sender": SENDER,
        "public_base_url": "https://reminders.example.org",
    }
    with pytest.raises(SettingsError):
        SmtpChannel(**(base | settings))
