"""A real webhook receiver on loopback, in its own thread: records every POST, answers as told.

``mode`` decides the answer to a verification request: ``echo`` sends the challenge back
(``{"challenge": …}``), ``ignore`` answers 200 without it, ``refuse`` answers 403. Reminders
are answered 200. Runs in a thread with the standard library's server, so it serves the app's
event loop (TestClient's portal) and a daemon process alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["echo", "ignore", "refuse"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server saw, and how it answers next."""

    port: int = 0
    mode: Mode = "echo"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def verifications(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.document.get("type") == "webhook.verification"]

    def reminders(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.document.get("type") == "reminder"]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers), body))
            document = json.loads(body or b"{}")
            status, answer = 200, b"ok"
            if document.get("type") == "webhook.verification":
                if receiver.mode == "refuse":
                    status = 403
                elif receiver.mode == "echo":
                    answer = json.dumps({"challenge": document["challenge"]}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``received`` instead of stderr."""

    return Handler


@contextmanager
def running_receiver(mode: Mode = "echo") -> Iterator[Receiver]:
    """Serve on a free loopback port until the block ends (the thread is always stopped)."""
    receiver = Receiver(mode=mode)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
