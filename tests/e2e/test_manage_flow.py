"""`notifier run` as a real process: a participant changes their mind on the manage page.

Register over HTTP, confirm, take the manage and feed links from the confirmation email, leave
one session for another and change zone and language with a real form POST, see the feed
follow (SEQUENCE up), then get the moved session's reminder in the new zone and language.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from notifier import i18n
from tests.support.calendars import Entry, read_twice
from tests.support.daemon import EVENT_ID, EVENT_NAME, Workspace, http_json, http_status, http_text
from tests.support.events import event_yaml, soon, write_atomically
from tests.support.mail import link_in, plain_text
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until

START_IN = timedelta(minutes=5)
NOT_YET = 3600.0  # seconds: nothing comes due while the participant changes things
HOST = "127.0.0.1"


def _write(workspace: Workspace, talk: datetime, panel: datetime) -> None:
    text = event_yaml(
        {"talk": talk, "panel": panel}, event_id=EVENT_ID, name=EVENT_NAME, reminders=[START_IN]
    )
    write_atomically(workspace.config_file, text)


def _feed(url: str) -> dict[str, Entry]:
    status, text = http_text("GET", url)
    assert status == 200, text
    return {uid.split("@")[0].split(".")[1]: entry for uid, entry in read_twice(text).items()}


def test_a_participant_moves_to_another_session_and_zone_and_the_reminder_follows(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """The whole manage flow through the running service, its store and its mailer."""
    port = workspace.use_http_port()
    base = f"http://{HOST}:{port}"
    talk, panel = soon(NOT_YET) + START_IN, soon(NOT_YET) + START_IN + timedelta(hours=1)
    _write(workspace, talk, panel)
    daemon = workspace.start()
    daemon.wait_for("http_listening")
    body = {"email": "grace@example.org", "timezone": "Asia/Tokyo", "sessions": ["talk"]}
    assert http_json("POST", f"{base}/api/v1/events/{EVENT_ID}/registrations", body)[0] == 202
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    confirmation = smtp.handler.received[0].message
    assert http_status("POST", link_in(confirmation, "confirm")) == 200
    manage = link_in(confirmation, "manage")
    found = re.search(rf"webcal://{HOST}:{port}/calendar/\S+\.ics", plain_text(confirmation))
    assert found is not None, plain_text(confirmation)
    feed = "http://" + found.group(0).removeprefix("webcal://")

    before = _feed(feed)
    assert {name: e.status for name, e in before.items()} == {"talk": "CONFIRMED"}
    form = {"timezone": "Africa/Cairo", "language": "fr", "attendance": "online"}
    form["reminder_offsets_s"] = str(int(START_IN.total_seconds()))  # ticked, as a browser sends
    status, page = http_text("POST", manage, {**form, "sessions": ["panel"]})
    assert status == 200, page
    after = _feed(feed)
    assert (after["talk"].status, after["panel"].status) == ("CANCELLED", "CONFIRMED")
    assert after["talk"].sequence == before["talk"].sequence + 1

    moved = soon(3) + START_IN  # the panel moves up: its reminder is due in 3 s
    daemon.edit_config(lambda: _write(workspace, talk, moved), until="config_reloaded")
    wait_until(lambda: len(smtp.handler.received) == 2, what=daemon.log_text)
    assert _feed(feed)["panel"].start == moved
    assert daemon.stop() == 0
    reminder = smtp.handler.received[1].message
    assert reminder["To"] == "grace@example.org"
    assert "Side event panel" in reminder["Subject"]
    # registered in English; the language chosen on the manage page is the next reminder's
    assert "Confirm your reminders" in confirmation["Subject"]
    french = i18n.gettext_for("fr")
    subject = french("Reminder: %(title)s — %(status)s")
    assert subject != "Reminder: %(title)s — %(status)s"
    assert reminder["Subject"].startswith(subject.split("%(title)s")[0])
    cairo = moved.astimezone(ZoneInfo("Africa/Cairo"))
    text = plain_text(reminder)
    assert french("Your time (%(zone)s)") % {"zone": "Africa/Cairo"} + ": " in text
    assert "Your time" not in text
    assert f"{cairo:%H:%M}" in text
    assert french("Change your time zone, sessions or reminders:") + " " + manage in text
