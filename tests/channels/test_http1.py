"""The webhook HTTP/1.1 client against real receivers: reuse, framing, limits, faults, TLS."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from notifier.channels.http1 import ANSWER_LIMIT, Answer, Http1Client, Target
from notifier.channels.ssrf import AddressGuard, GuardedLookup, parse_webhook_url
from notifier.errors import PermanentDeliveryError, TransientDeliveryError
from tests.support.raw_http import OK, RawReply, RawServer, serve_raw
from tests.support.reminders import webhook_channel, webhook_reminder_message
from tests.support.smtp import Certificates
from tests.support.waiting import until
from tests.support.webhooks import HOOK_PATH, LOOPBACK, serve_receiver

MakeClient = Callable[..., Http1Client]
FIELDS = (("content-type", "application/json"),)


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    """A raw HTTP receiver on 127.0.0.1 that answers as the test scripts it."""
    async with serve_raw() as served:
        yield served


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Clients allowed to reach loopback unless ``allowed`` says otherwise; closed after."""
    clients: list[Http1Client] = []

    def make(
        *,
        allowed: tuple[str, ...] = LOOPBACK,
        timeout_s: float = 2.0,
        pool_size: int = 4,
        **more: Any,
    ) -> Http1Client:
        client = Http1Client(
            GuardedLookup(AddressGuard(allowed)),
            pool_size=pool_size,
            timeout_s=timeout_s,
            user_agent="notifier-tests/1",
            **more,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def post(client: Http1Client, url: str, body: bytes = b"{}", **more: Any) -> Answer:
    """POST as the channel does: the URL judged by the guard first, then sent."""
    parsed = parse_webhook_url(url, AddressGuard((*LOOPBACK, "::1/128")))
    return await client.post(
        Target.of(parsed), parsed.raw_path_qs, more.get("fields", FIELDS), body
    )


async def test_the_request_is_one_post_with_host_agent_length_and_the_given_headers(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Receivers route on Host and read exactly Content-Length bytes of the signed body."""
    assert await post(make_client(), raw.url("/hook?a=1"), b'{"x":1}') == (200, None, b"noted")
    (request,) = raw.requests
    assert request.path == "/hook?a=1"
    assert request.headers["host"] == f"127.0.0.1:{raw.port}"
    assert request.headers["user-agent"] == "notifier-tests/1"
    assert request.headers["content-length"] == "7"
    assert request.headers["content-type"] == "application/json"
    assert request.body == b'{"x":1}'


@pytest.mark.parametrize(
    ("url", "host_line", "where"),
    [
        pytest.param(
            "https://bücher.example/h",
            "xn--bcher-kva.example",
            "https://xn--bcher-kva.example",
            id="idna",
        ),
        pytest.param(
            "http://hooks.example.org:80/h",
            "hooks.example.org",
            "http://hooks.example.org",
            id="default-port",
        ),
        pytest.param(
            "https://hooks.example.org:8443/h",
            "hooks.example.org:8443",
            "https://hooks.example.org:8443",
            id="port",
        ),
        pytest.param(
            "http://[2606:4700::1]:8080/h",
            "[2606:4700::1]:8080",
            "http://[2606:4700::1]:8080",
            id="ipv6",
        ),
    ],
)
def test_the_host_header_is_the_idna_host_with_brackets_and_a_port_only_when_not_default(
    url: str, host_line: str, where: str
) -> None:
    """Virtual hosts and TLS front ends pick the receiver by this header."""
    target = Target.of(URL(url))
    assert target.host_line == f"Host: {host_line}\r\n".encode()
    assert target.where == f"webhook {where}"


async def test_sequential_posts_reuse_one_connection(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Keep-alive is most of the speed: a handshake per reminder would cost more than the POST."""
    client = make_client()
    for _ in range(10):
        await post(client, raw.url())
    assert len(raw.requests) == 10
    assert raw.accepted == 1


async def test_twenty_concurrent_posts_open_at_most_pool_size_connections(
    raw: RawServer, make_client: MakeClient
) -> None:
    """The pool size bounds what a fan-out opens at a receiver; the rest wait their turn."""
    client = make_client(pool_size=3)
    answers = await asyncio.gather(*(post(client, raw.url()) for _ in range(20)))
    assert [status for status, _, _ in answers] == [200] * 20
    assert raw.most_open <= 3
    assert client.open_connections <= 3


async def test_the_pool_limit_holds_across_receivers_by_closing_an_idle_connection(
    raw: RawServer, make_client: MakeClient
) -> None:
    """One receiver's idle connections must not keep another receiver waiting forever."""
    async with serve_raw() as other:
        client = make_client(pool_size=1)
        await post(client, raw.url())
        await post(client, other.url())
        await until(lambda: not raw.peers, what="the first receiver's idle connection closed")
        assert client.open_connections == 1


async def test_connection_close_answers_are_not_reused(
    raw: RawServer, make_client: MakeClient
) -> None:
    """A receiver that closes after each answer gets a new connection per POST, all delivered."""
    close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    raw.answer(*[RawReply(close, close=True)] * 3)
    client = make_client()
    for _ in range(3):
        assert await post(client, raw.url()) == (200, None, b"ok")
    assert raw.accepted == 3


async def test_an_idle_connection_the_receiver_closed_is_not_used_again(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Receivers time idle connections out (Node after 5 s); a dead one must not be used."""
    client = make_client()
    await post(client, raw.url())
    raw.close_connections()
    await until(lambda: client.open_connections == 0, what="the client saw the close")
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert raw.accepted == 2


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Idle sockets to every receiver of a past fan-out must not stay open for good."""
    client = make_client(keepalive_s=0.2)
    await post(client, raw.url())
    await until(lambda: not raw.peers, what="the idle connection closed by the client")
    assert client.open_connections == 0


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            (200, None, b"hello world"),
            id="chunked",
        ),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", (204, None, b""), id="204-no-body"),
        pytest.param(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", (304, None, b""), id="304"
        ),
        pytest.param(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            b"HTTP/1.1 503 Busy\r\nretry-after: 7\r\nContent-Length: 0\r\n\r\n",
            (503, "7", b""),
            id="interim-then-final",
        ),
    ],
)
async def test_framed_answers_are_read_whole_and_their_connection_reused(
    raw: RawServer, make_client: MakeClient, reply: bytes, answer: Answer
) -> None:
    """Chunks, bodiless statuses and interim answers are llhttp's to frame; none ends reuse."""
    raw.answer(RawReply(reply))
    client = make_client()
    assert await post(client, raw.url()) == answer
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert raw.accepted == 1


async def test_an_http_1_0_answer_ends_with_its_connection(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Old receivers send no length and close; the body is whatever came before the close."""
    raw.answer(RawReply(b"HTTP/1.0 200 OK\r\n\r\nthanks", close=True))
    client = make_client()
    assert await post(client, raw.url()) == (200, None, b"thanks")
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert raw.accepted == 2


async def test_an_answer_over_64_kib_is_cut_and_its_connection_dropped(
    raw: RawServer, make_client: MakeClient
) -> None:
    """A receiver must not make us read megabytes; what is left unread spoils the connection."""
    size = ANSWER_LIMIT + 10_000
    raw.answer(RawReply(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size))
    client = make_client()
    status, _, body = await post(client, raw.url())
    assert (status, len(body)) == (200, ANSWER_LIMIT)
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert raw.accepted == 2


async def test_a_connection_that_answered_twice_to_one_request_is_not_reused(
    raw: RawServer, make_client: MakeClient
) -> None:
    """The extra answer would be taken as the next request's: its reminder's status would lie."""
    failed = b"HTTP/1.1 500 Oops\r\nContent-Length: 10\r\n\r\n"  # its body never comes
    raw.answer(RawReply(OK + failed))
    client = make_client()
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert await post(client, raw.url()) == (200, None, b"noted")
    assert raw.accepted == 2


async def test_a_receiver_closing_before_a_complete_answer_is_transient(
    raw: RawServer, make_client: MakeClient
) -> None:
    """A crash mid-answer says nothing of the reminder: it is retried."""
    raw.answer(RawReply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", close=True))
    with pytest.raises(TransientDeliveryError, match=f"webhook http://127.0.0.1:{raw.port}: "):
        await post(make_client(), raw.url("/hook?token=secret"))


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", id="another-protocol"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", id="bad-length"),
        pytest.param(
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            id="unasked-upgrade",
        ),
    ],
)
async def test_a_malformed_answer_is_transient_and_the_next_post_works(
    raw: RawServer, make_client: MakeClient, garbage: bytes
) -> None:
    """A broken proxy in front of a receiver is a temporary fault, and must not poison the pool."""
    raw.answer(RawReply(garbage))
    client = make_client()
    with pytest.raises(TransientDeliveryError, match="not HTTP") as caught:
        await post(client, raw.url("/hook?token=secret"))
    assert "secret" not in str(caught.value)
    assert await post(client, raw.url()) == (200, None, b"noted")


async def test_a_stalled_receiver_times_out_as_transient_and_its_connection_is_closed(
    raw: RawServer, make_client: MakeClient
) -> None:
    """The watchdog must end a request that never gets an answer, and free its place."""
    raw.answer(RawReply(None))
    client = make_client(timeout_s=0.3, pool_size=1)
    with pytest.raises(TransientDeliveryError, match=r"no answer within 0\.3 s"):
        await post(client, raw.url())
    await until(lambda: not raw.peers, what="the stalled connection closed")
    assert await post(client, raw.url()) == (200, None, b"noted")


async def test_a_post_waiting_for_a_full_pool_times_out_too(
    raw: RawServer, make_client: MakeClient
) -> None:
    """The deadline covers the wait for a connection, not only the answer."""
    raw.answer(RawReply(None), RawReply(None))
    client = make_client(timeout_s=0.3, pool_size=1)
    stalled = asyncio.create_task(post(client, raw.url()))
    await until(lambda: raw.requests, what="the first request at the receiver")
    with pytest.raises(TransientDeliveryError, match="no answer within"):
        await post(client, raw.url())
    with pytest.raises(TransientDeliveryError, match="no answer within"):
        await stalled


async def test_cancelling_a_post_aborts_its_connection(
    raw: RawServer, make_client: MakeClient
) -> None:
    """A half-finished exchange must never be handed to the next send."""
    raw.answer(RawReply(None))
    client = make_client()
    task = asyncio.create_task(post(client, raw.url()))
    await until(lambda: raw.requests, what="the request at the receiver")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: not raw.peers, what="the cancelled connection closed")
    assert client.open_connections == 0
    assert await post(client, raw.url()) == (200, None, b"noted")


async def test_a_waiter_cancelled_as_its_turn_comes_passes_the_turn_on(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Shutdown cancels sends in a burst; a turn lost with one would stall the next for good."""
    raw.answer(RawReply(None))
    client = make_client(pool_size=1)
    first = asyncio.create_task(post(client, raw.url()))
    await until(lambda: raw.requests, what="the first request at the receiver")
    second = asyncio.create_task(post(client, raw.url()))
    third = asyncio.create_task(post(client, raw.url()))
    await asyncio.sleep(0)  # both queue for the one connection
    first.cancel()  # its connection goes, and the turn to the second
    await asyncio.sleep(0)  # the first ends; the second is woken but has not run yet
    second.cancel()
    assert await third == (200, None, b"noted")
    for task in (first, second):
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_header_value_with_a_line_break_is_refused_and_nothing_is_sent(
    raw: RawServer, make_client: MakeClient
) -> None:
    """A value that could end its line could forge headers; ours never should, so refuse."""
    forged = (("webhook-id", "msg_1\r\nx-admin: yes"),)
    with pytest.raises(PermanentDeliveryError, match="line break"):
        await post(make_client(), raw.url(), fields=forged)
    assert raw.accepted == 0


async def test_aclose_fails_a_post_in_flight_as_transient(
    raw: RawServer, make_client: MakeClient
) -> None:
    """Shutdown must not leave a send hanging; the next process retries it."""
    raw.answer(RawReply(None))
    client = make_client()
    task = asyncio.create_task(post(client, raw.url()))
    await until(lambda: raw.requests, what="the request at the receiver")
    await client.aclose()
    with pytest.raises(TransientDeliveryError):
        await task
    with pytest.raises(TransientDeliveryError, match="shut down"):
        await post(client, raw.url())


async def test_an_ipv6_literal_is_dialled_when_its_network_is_allowed(
    make_client: MakeClient,
) -> None:
    """IPv6-only receivers exist; the literal is judged by the guard and dialled as written."""
    async with serve_raw("::1") as raw6:
        url = f"http://[::1]:{raw6.port}/hook"
        assert await post(make_client(allowed=("::1/128",)), url) == (200, None, b"noted")
        assert raw6.requests[0].headers["host"] == f"[::1]:{raw6.port}"


async def test_https_is_verified_against_the_urls_host_and_delivered(
    certificates: Certificates,
) -> None:
    """TLS is the receiver's only proof of who it is: the name checked is the one registered."""
    async with serve_receiver(ssl_context=certificates.server) as receiver:
        channel = webhook_channel(ssl_context=certificates.client)
        try:
            url = f"https://localhost:{receiver.port}{HOOK_PATH}"
            assert await channel.send(webhook_reminder_message(url)) == "HTTP 200"
        finally:
            await channel.aclose()
        assert receiver.requests[0].verified()["type"] == "reminder"


async def test_a_certificate_for_another_name_is_refused_as_transient() -> None:
    """Transient, as aiohttp had it: an expired or misissued certificate is usually fixed by
    the receiver within the retry window, and the reminder then still arrives."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("hooks.example.org").configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    async with serve_receiver(ssl_context=server) as receiver:
        channel = webhook_channel(ssl_context=client)
        try:
            url = f"https://127.0.0.1:{receiver.port}{HOOK_PATH}"
            with pytest.raises(TransientDeliveryError, match="SSLCertVerificationError"):
                await channel.send(webhook_reminder_message(url))
        finally:
            await channel.aclose()
        assert receiver.requests == []


@pytest.mark.parametrize(
    "path_qs",
    [
        pytest.param("/hooks/a-b_c.d~e!$&'()*+,;=:@?x=1&y=2/3?z", id="plain"),
        pytest.param("/a/./b/../c", id="dot-segments"),
        pytest.param("/%7euser?q=%41", id="percent"),
        pytest.param("/a b/ü?q=ö", id="space-and-unicode"),
        pytest.param("?q=1", id="query-only"),
        pytest.param("", id="empty"),
        pytest.param("/a#fragment", id="fragment"),
        pytest.param("/a?", id="empty-query"),
    ],
)
async def test_the_channel_sends_the_path_and_query_as_yarl_writes_them(
    raw: RawServer, path_qs: str
) -> None:
    """Paths are taken as written only when yarl would write them so; the rest go through yarl."""
    channel = webhook_channel()
    try:
        await channel.send(webhook_reminder_message(raw.url("/first")))  # the origin is read
        url = f"http://127.0.0.1:{raw.port}{path_qs}"
        await channel.send(webhook_reminder_message(url))
    finally:
        await channel.aclose()
    assert raw.requests[1].path == URL(url).raw_path_qs


@given(st.text(alphabet="/?#%.:@!$&'()*+,;=-_~ aZ09ü\\[]", max_size=24))
def test_a_path_taken_as_written_is_what_yarl_would_send(path_qs: str) -> None:
    """The shortcut past yarl must never change what the receiver is asked for."""
    url = f"http://hooks.example.org:8080/{path_qs}"
    channel = webhook_channel(allowed=())
    channel._target("http://hooks.example.org:8080/seen")  # the origin is read and kept
    assert channel._target(url)[1] == URL(url).raw_path_qs
