"""A webhook registration gets a signed POST from the running service, verifiable by receivers."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.support.daemon import Workspace
from tests.support.events import soon
from tests.support.waiting import wait_until
from tests.support.webhooks import Receiver

START_IN = timedelta(minutes=5)


def test_webhook_reminder_is_signed_and_carries_the_documented_payload(
    workspace: Workspace, receiver: Receiver
) -> None:
    """Chat bots and calendars verify the signature with standard tools and read payload v1."""
    workspace.env["NOTIFIER_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver's loopback
    start = soon(4) + START_IN
    workspace.write_event(start, [START_IN], channels=("email", "webhook"))
    url = receiver.url(path_qs="/hooks/reminders")
    done = workspace.notifier("register", "add", "e2e", "--webhook", url, "--tz", "Asia/Tokyo")
    assert done.returncode == 0, done.stderr
    found = re.search(r"registered (\w+)", done.stdout)
    assert found is not None, done.stdout
    registration_id = found[1]
    daemon = workspace.start("--until-idle")
    assert daemon.wait() == 0, daemon.log_text()
    (request,) = wait_until(lambda: receiver.requests, what="the POST at the receiver")
    assert request.path_qs == "/hooks/reminders"
    secret = workspace.notifier("register", "secret", registration_id).stdout.strip()
    payload = request.verified(secret=secret)  # standardwebhooks: signature and timestamp
    assert payload["version"] == "1"
    assert payload["session"]["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payload["session"]["timezone"] == "Asia/Tokyo"
    assert payload["reminder"]["offset_s"] == int(START_IN.total_seconds())
    assert json.loads(request.body)["delivery_id"].endswith(f"/{registration_id}/webhook")
