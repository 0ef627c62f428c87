"""Webhook throughput: our channel against an httpx client doing the same signed POSTs.

Run: .venv/bin/python -m benchmarks.bench_webhook [--requests N] [--concurrency C]
Both post N signed reminder payloads with C in flight to a local aiohttp receiver (loopback,
allowed by the address guard) and print requests/s beside our floor. The receiver shares the
process (and its one core) with the client: for the client alone against a receiver of its
own, see ``python -m benchmarks.ceilings http1``. Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from aiohttp import web

from notifier.channels import AddressGuard, ReminderMessage, WebhookChannel, webhook_key
from notifier.channels.webhook import build_payload
from tests.support.reminders import webhook_reminder_message

FLOOR_REQUESTS_PER_S = 1000.0
KEY = webhook_key("bench-secret", "bench")


def _message(url: str, i: int) -> ReminderMessage:
    """The tests' reminder (``tests/support/reminders.py``) for webhook registration ``i``."""
    return webhook_reminder_message(url, registration_id=f"r{i}")


async def _receiver() -> tuple[web.AppRunner, str]:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp API
    return runner, f"http://127.0.0.1:{port}/hook"


async def _run(send: object, total: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with slots:
            await send(i)  # type: ignore[operator]

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    return total / (time.perf_counter() - began)


async def main(total: int, concurrency: int) -> None:
    runner, url = await _receiver()
    channel = WebhookChannel(
        key_for=lambda r: KEY, guard=AddressGuard(["127.0.0.0/8"]), pool_size=concurrency
    )
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def via_httpx(i: int) -> None:
            message = _message(url, i)
            body = str(build_payload(message)).encode()
            response = await client.post(url, content=body, headers={"webhook-id": f"msg_{i}"})
            response.raise_for_status()

        try:
            ours = await _run(lambda i: channel.send(_message(url, i)), total, concurrency)
            theirs = await _run(via_httpx, total, concurrency)
        finally:
            await channel.aclose()
            await runner.cleanup()
    verdict = "ok" if ours >= FLOOR_REQUESTS_PER_S else "UNDER"
    print(
        f"webhook channel (http1)    {ours:8.0f} req/s  floor {FLOOR_REQUESTS_PER_S:.0f}  {verdict}"
    )
    print(f"httpx, same payloads       {theirs:8.0f} req/s  (for comparison)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
