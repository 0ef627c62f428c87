"""The loopback peers every send benchmark talks to, each in a process of its own.

Run: python -m benchmarks.sinks smtp|http
Prints ``port <n>`` once listening, then serves until SIGTERM. The SMTP sink is aiosmtpd
accepting and discarding every message; the HTTP receiver is aiohttp answering 204 after
reading the body. Both sides of a comparison (ours and the raw library) use the same peer, and
it runs apart from the measured process so the two never share a GIL.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

HOST = "127.0.0.1"


class _Discard:
    """Accepts every message and keeps nothing: the sink must not grow over 100,000 mails."""

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 accepted"


async def _serve(kind: str) -> None:
    loop = asyncio.get_running_loop()
    runner: web.AppRunner | None = None
    if kind == "smtp":
        server = await loop.create_server(lambda: SmtpServer(_Discard()), HOST, 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
    else:

        async def accept(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/{tail:.*}", accept)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0, backlog=1024)
        await site.start()
        bound: Any = site._server  # aiohttp keeps the bound socket here; no public accessor
        port = bound.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    if runner is not None:
        await runner.cleanup()


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind not in ("smtp", "http"):
        sys.exit("usage: python -m benchmarks.sinks smtp|http")
    asyncio.run(_serve(kind))


if __name__ == "__main__":
    main()
