"""A broadcast through ``notifier run``: the organizer's room gets the reminder exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.support.daemon import EVENT_ID, EVENT_NAME, Workspace
from tests.support.events import event_yaml, soon, write_atomically
from tests.support.smtp import SmtpServer
from tests.support.webhooks import Receiver

ROOM_KEY = "room-key-from-the-environment-7f3a9c"  # a test value, not a secret
BROADCAST_OFFSET = timedelta(minutes=5)


def test_a_broadcast_reaches_the_room_once_and_participants_only_at_their_offsets(
    workspace: Workspace, smtp: SmtpServer, receiver: Receiver
) -> None:
    """The Slack-style room gets its own 5-minute reminder (its key read from the environment),
    through the same claims and log as everyone; the participant, who asked for 10m only,
    gets nothing at 5m; a second run sends nothing again."""
    start = soon(4) + BROADCAST_OFFSET
    text = event_yaml({"talk": start}, event_id=EVENT_ID, name=EVENT_NAME, reminders=["10m"])
    text += (
        "broadcasts:\n"
        "  - name: side-room\n"
        f'    url: "json://127.0.0.1:{receiver.port}/rooms/${{ROOM_KEY}}"\n'
        "    reminders: [5m]\n"
    )
    write_atomically(workspace.config_file, text)
    workspace.env["ROOM_KEY"] = ROOM_KEY
    added = workspace.notifier("register", "add", EVENT_ID, "--email", "ada@example.org")
    assert added.returncode == 0, added.stderr

    first = workspace.start("--until-idle")
    assert first.wait() == 0, first.log_text()
    second = workspace.start("--until-idle", name="again")
    assert second.wait() == 0, second.log_text()

    (post,) = receiver.requests
    assert post.path_qs == f"/rooms/{ROOM_KEY}"
    assert post.document["title"] == "Side event talk (starts in 5m)"
    assert smtp.handler.received == []  # the 10m reminder was already past: skipped, not sent
    sent = [e for e in first.log_entries() if e["event"] == "reminder_sent"]
    assert [(e["channel"], e["delivery"].rsplit("/", 2)[1:]) for e in sent] == [
        ("apprise", ["broadcast:side-room", "apprise"])
    ]
    assert ROOM_KEY not in first.log_text() + second.log_text()
    deliveries = workspace.notifier("deliveries", EVENT_ID, "--json")
    assert deliveries.returncode == 0, deliveries.stderr
    records = json.loads(deliveries.stdout)
    by_channel = {(r["channel"], r["status"]) for r in records}
    assert ("apprise", "sent") in by_channel
    assert ROOM_KEY not in deliveries.stdout
