"""A webhook registration gets a signed POST from the running service, verifiable by receivers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import standardwebhooks

from tests.e2e.conftest import START_IN_DEFAULT, Workspace, event_yaml, soon, wait_until


class Receiver(ThreadingHTTPServer):
    """A real HTTP server on loopback that records every POST."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[dict[str, str], bytes]] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_reminder_is_signed_and_carries_the_documented_payload(
    workspace: Workspace, receiver: Receiver
) -> None:
    """Chat bots and calendars verify the signature with standard tools and read payload v1."""
    workspace.env["NOTIFIER_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver's loopback
    due = soon(4)
    start = due + START_IN_DEFAULT
    workspace.config_file.write_text(
        event_yaml(start, [START_IN_DEFAULT], channels="[email, webhook]"), encoding="utf-8"
    )
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/reminders"
    done = workspace.notifier("register", "add", "e2e", "--webhook", url, "--tz", "Asia/Tokyo")
    assert done.returncode == 0, done.stderr
    registration_id = re.search(r"registered (\w+)", done.stdout)[1]  # type: ignore[index]
    daemon = workspace.start("--until-idle")
    assert daemon.process.wait(timeout=60) == 0, daemon.log_text()
    wait_until(lambda: len(receiver.requests) == 1)
    headers, body = receiver.requests[0]
    secret = workspace.notifier("register", "secret", registration_id).stdout.strip()
    payload = standardwebhooks.Webhook(secret).verify(body, headers)
    assert payload["version"] == "1"
    assert payload["session"]["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payload["session"]["timezone"] == "Asia/Tokyo"
    assert payload["reminder"]["offset_s"] == int(START_IN_DEFAULT.total_seconds())
    assert json.loads(body)["delivery_id"].endswith(f"/{registration_id}/webhook")
