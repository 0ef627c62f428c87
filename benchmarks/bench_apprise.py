"""Broadcasts through Apprise: notifications/s, and how long the event loop stalls meanwhile.

Run: .venv/bin/python -m benchmarks.bench_apprise [--posts N] [--concurrency C]
Posts N reminders with C in flight to a local receiver speaking Apprise's ``json://`` schema
(an aiohttp server on its own thread and loop), three ways:

* ``channel``: our :class:`AppriseChannel` (Apprise's blocking ``notify`` in a worker thread);
* ``async_notify``: Apprise's own ``async_notify`` called on the loop;
* ``notify on loop``: the blocking ``notify`` called straight on the loop (what not to do).

While each runs, a ticker on the loop sleeps 1 ms at a time and records each gap past that:
how long every other reminder and HTTP request would wait. The three are interleaved over
``--rounds`` (a busy moment of a shared machine then hits all three); printed: median
posts/s, loop lag p50/p99/max, beside the ceiling (p99 under 50 ms). Figures only: nothing
asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiohttp import web

from notifier.channels.apprise import AppriseChannel, compose_broadcast, notify_blocking
from notifier.channels.base import ReminderMessage
from tests.support.reminders import webhook_reminder_message

STALL_CEILING_MS = 50.0
TICK_S = 0.001


def _message(url: str, i: int) -> ReminderMessage:
    """The tests' reminder (``tests/support/reminders.py``) as broadcast ``i`` to ``url``."""
    message = webhook_reminder_message(url, registration_id="broadcast:bench")
    return replace(message, delivery_key=f"{message.ref.key}/broadcast:bench{i}/apprise")


def _serve_receiver() -> tuple[int, Callable[[], None]]:
    """A json:// receiver on its own thread and loop, so its work is not the measured loop's."""
    ready = threading.Event()
    state: dict[str, object] = {}

    async def serve() -> None:
        async def accept(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/{tail:.*}", accept)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        stop = asyncio.Event()
        state.update(port=runner.addresses[0][1], loop=asyncio.get_running_loop(), stop=stop)
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        loop, event = state["loop"], state["stop"]
        loop.call_soon_threadsafe(event.set)  # type: ignore[attr-defined]
        thread.join(10)

    return int(state["port"]), stop  # type: ignore[call-overload]


async def _measure(
    send: Callable[[int], Awaitable[None]], total: int, concurrency: int
) -> tuple[float, list[float]]:
    """(posts per second, every tick's lag in ms) while ``send`` runs ``total`` times."""
    slots = asyncio.Semaphore(concurrency)
    lags_ms: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            lags_ms.append(max(0.0, time.perf_counter() - before - TICK_S) * 1000)

    async def one(i: int) -> None:
        async with slots:
            await send(i)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - began
    done.set()
    await ticking
    return total / elapsed, lags_ms


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def main(total: int, concurrency: int, rounds: int) -> None:
    port, stop = _serve_receiver()
    url = f"json://127.0.0.1:{port}/rooms/bench"
    channel = AppriseChannel(environ={})
    try:
        await asyncio.to_thread(notify_blocking, url, "warm-up", "imports Apprise's plugins")
        title, body = compose_broadcast(_message(url, 0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise

        async def via_channel(i: int) -> None:
            await channel.send(_message(url, i))

        async def via_async_notify(i: int) -> None:
            client = apprise.Apprise()
            client.add(url)
            if not await client.async_notify(title=title, body=body):
                raise RuntimeError("async_notify failed")

        async def on_loop(i: int) -> None:
            if not notify_blocking(url, title, body):
                raise RuntimeError("notify failed")

        ways: list[tuple[str, Callable[[int], Awaitable[None]], int]] = [
            ("channel (to_thread)", via_channel, total),
            ("apprise async_notify", via_async_notify, total),
            ("notify on loop (don't)", on_loop, max(total // 4, 1)),
        ]
        results: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n, _, _ in ways}
        for _ in range(rounds):  # interleaved: a busy moment of the machine hits all three
            for name, send, count in ways:
                rate, lags_ms = await _measure(send, count, concurrency)
                results[name][0].append(rate)
                results[name][1].extend(lags_ms)
    finally:
        await channel.aclose()
        stop()
    for name, (rates, lags_ms) in results.items():
        p99 = _p(lags_ms, 0.99)
        verdict = "ok" if p99 <= STALL_CEILING_MS else "OVER"
        print(
            f"{name:24s} {sorted(rates)[len(rates) // 2]:6.0f} posts/s  loop lag p50"
            f" {_p(lags_ms, 0.5):5.1f} ms  p99 {p99:6.1f} ms  max {max(lags_ms):6.1f} ms"
            f"  (ceiling p99 {STALL_CEILING_MS:.0f} ms: {verdict})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.posts, args.concurrency, args.rounds))
