"""The raw-library ceilings the send benchmarks compare us with, each in a process of its own.

Run: python -m benchmarks.ceilings smtp|http|http1 -n N --port P [--connections C]

``smtp``: aiosmtplib alone, C connections opened first, each sending its share of N messages
(one reminder's real bytes, built once) to the same loopback sink as ours. ``http``: aiohttp
alone, one session with C connections and C requests in flight, posting a body as large as our
payload to the same receiver. ``http1``: the same with the webhook channel's own client
(:mod:`notifier.channels.http1`) alone: what the channel's transport costs with nothing of the
channel around it. Nothing else runs: no store, no claims, no composing, no signing. Prints one
JSON line like :mod:`benchmarks.fanout`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import aiosmtplib
from yarl import URL

from benchmarks.fanout import SECRET, event_and_session, registration
from benchmarks.rss import peak_rss_mib
from notifier.channels.base import ReminderMessage
from notifier.channels.compose import compose_email
from notifier.channels.http1 import Http1Client, Target
from notifier.channels.ssrf import AddressGuard, GuardedLookup
from notifier.channels.webhook import build_payload
from notifier.records import ReminderRef, delivery_key

HOST = "127.0.0.1"
SENDER = "reminders@example.org"


def sample_message() -> ReminderMessage:
    """One participant's reminder from the benchmark's event: the size ours sends."""
    now = datetime.now(UTC)
    event, session = event_and_session(now + timedelta(hours=1))
    ref = ReminderRef(event.id, session.id, session.start_utc, 3600)
    reg = registration(0, "email", "")
    return ReminderMessage(
        delivery_key=delivery_key(ref, reg.id, "email"),
        ref=ref,
        event_id=event.id,
        event_name=event.name,
        session=session,
        registration=reg,
        offset=timedelta(hours=1),
        now_utc=now,
        unsubscribe_url=f"https://reminders.example.org/unsubscribe/{SECRET[:40]}",
        sequence=0,
    )


async def smtp(n: int, port: int, connections: int) -> float:
    data = compose_email(
        sample_message(), sender=SENDER, public_base_url="https://reminders.example.org"
    ).as_bytes()
    clients = [
        aiosmtplib.SMTP(hostname=HOST, port=port, start_tls=False) for _ in range(connections)
    ]
    for client in clients:
        await client.connect()
    began = time.perf_counter()

    async def share(client: aiosmtplib.SMTP, count: int) -> None:
        for i in range(count):
            await client.sendmail(SENDER, [f"participant{i}@example.org"], data)

    shares = [n // connections + (1 if i < n % connections else 0) for i in range(connections)]
    await asyncio.gather(*(share(c, k) for c, k in zip(clients, shares, strict=True)))
    elapsed = time.perf_counter() - began
    for client in clients:
        await client.quit()
    return elapsed


async def http(n: int, port: int, in_flight: int) -> float:
    message = sample_message()
    body = json.dumps(build_payload(message), separators=(",", ":")).encode()
    url = f"http://{HOST}:{port}/hook"
    slots = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            async with slots, session.post(f"{url}/r{i}", data=body) as response:
                await response.read()
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - began


async def http1(n: int, port: int, in_flight: int) -> float:
    message = sample_message()
    body = json.dumps(build_payload(message), separators=(",", ":")).encode()
    target = Target.of(URL(f"http://{HOST}:{port}/"))
    fields = (("content-type", "application/json"),)
    guard = AddressGuard(["127.0.0.0/8"])
    client = Http1Client(
        GuardedLookup(guard), pool_size=in_flight, timeout_s=10.0, user_agent="ceiling/1"
    )
    slots = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with slots:
            status, _, _ = await client.post(target, f"/hook/r{i}", fields, body)
            if status >= 300:
                raise RuntimeError(f"the receiver answered {status}")

    try:
        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - began
    finally:
        await client.aclose()


KINDS = {"smtp": smtp, "http": http, "http1": http1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=tuple(KINDS))
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, required=True)
    args = parser.parse_args()
    run = KINDS[args.kind]
    cpu_began = time.process_time()
    elapsed = asyncio.run(run(args.n, args.port, args.connections))
    cpu_s = time.process_time() - cpu_began
    result = {
        "n": args.n,
        "per_s": args.n / elapsed,
        "cpu_ms": cpu_s * 1000 / args.n,
        "rss_mib": peak_rss_mib(),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
