"""Abuse against the running service: `notifier run` as a process, its HTTP API on loopback, a
real SMTP server counting every message and a real webhook receiver counting every POST."""

from __future__ import annotations

from datetime import timedelta

from tests.support.daemon import Workspace, http_json
from tests.support.events import soon
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until
from tests.support.webhooks import Receiver

START_IN = timedelta(minutes=5)
NOT_YET = 3600.0  # seconds: a reminder that cannot come due while the test runs
POSTS = 30


def test_the_running_service_mails_one_victim_once_and_limits_the_client(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """One client posting a victim's address 30 times: one mail, then 429s past the limit."""
    port = workspace.use_http_port()
    workspace.write_event(soon(NOT_YET) + START_IN, [START_IN])
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    url = f"http://127.0.0.1:{port}/api/v1/events/e2e/registrations"
    body = {"email": "victim@example.org", "timezone": "UTC"}
    statuses = [http_json("POST", url, body)[0] for _ in range(POSTS)]
    limit = 20  # NOTIFIER_PUBLIC_POST_LIMIT's default
    assert statuses == [202] * limit + [429] * (POSTS - limit)
    # every accepted request has been judged (mailed or throttled) before counting the mail
    daemon.wait_for("confirmation_throttled", count=limit - 1)
    assert len(smtp.handler.received) == 1
    assert daemon.stop() == 0


def test_a_webhook_starts_only_after_its_receiver_echoes_and_gets_the_secret_it_was_sent(
    workspace: Workspace, smtp: SmtpServer, receiver: Receiver
) -> None:
    """The receiver consents, learns its secret from the challenge, and verifies the reminder."""
    workspace.env["NOTIFIER_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # the receiver's loopback
    port = workspace.use_http_port()
    workspace.write_event(soon(NOT_YET) + START_IN, [START_IN], channels=("email", "webhook"))
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    url = f"http://127.0.0.1:{port}/api/v1/events/e2e/registrations"
    status, answer = http_json("POST", url, {"webhook_url": receiver.url(), "timezone": "UTC"})
    assert (status, answer["status"]) == (202, "accepted")
    assert "webhook_secret" not in answer
    [asked] = receiver.verifications()
    secret = asked.document["webhook_secret"]
    daemon.wait_for("webhook_verified")
    start = soon(3) + START_IN  # the session moves up: its reminder is due in 3 s
    daemon.edit_config(
        lambda: workspace.write_event(start, [START_IN], channels=("email", "webhook")),
        until="config_reloaded",
    )
    reminders = wait_until(
        lambda: [r for r in receiver.requests if r.document.get("type") == "reminder"],
        what=daemon.log_text,
    )
    assert daemon.stop() == 0
    payload = reminders[0].verified(secret=secret)  # standardwebhooks, with the echoed secret
    assert payload["session"]["start_utc"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert smtp.handler.received == []  # nothing to any email address
