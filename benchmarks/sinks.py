"""The loopback peers every send benchmark talks to, each in a process of its own.

Run: python -m benchmarks.sinks smtp|http|stamp [PATH]
Prints ``port <n>`` once listening, then serves until SIGTERM. The SMTP sink is aiosmtpd
accepting and discarding every message; the HTTP receiver is aiohttp answering 204 after
reading the body; ``stamp`` is the SMTP sink writing one line per recipient to PATH as each
message arrives, ``<time.time()> <address>``: the clock the due instants are given in (UTC).
Both sides of a comparison (ours and the raw library) use the same peer, and it runs apart
from the measured process so the two never share a GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from typing import Any, TextIO

from aiohttp import web
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

HOST = "127.0.0.1"


class _Discard:
    """Accepts every message and keeps nothing: the sink must not grow over 100,000 mails."""

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 accepted"


class _Stamp:
    """Accepts every message and writes when it arrived, per recipient, line-buffered."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        arrived = time.time()  # the whole message is in: the send is done
        self._out.write("".join(f"{arrived:.6f} {rcpt}\n" for rcpt in envelope.rcpt_tos))
        return "250 2.0.0 accepted"


async def _serve(kind: str, path: str) -> None:
    with contextlib.ExitStack() as files:
        await _serve_until_stopped(kind, files, path)


async def _serve_until_stopped(kind: str, files: contextlib.ExitStack, path: str) -> None:
    loop = asyncio.get_running_loop()
    runner: web.AppRunner | None = None
    if kind in ("smtp", "stamp"):
        handler: object = _Discard()
        if kind == "stamp":
            handler = _Stamp(files.enter_context(open(path, "a", buffering=1)))  # noqa: SIM115
        server = await loop.create_server(lambda: SmtpServer(handler), HOST, 0, backlog=1024)
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
    if kind not in ("smtp", "http", "stamp") or (kind == "stamp") != (len(sys.argv) == 3):
        sys.exit("usage: python -m benchmarks.sinks smtp|http|stamp PATH")
    asyncio.run(_serve(kind, sys.argv[-1]))


if __name__ == "__main__":
    main()
