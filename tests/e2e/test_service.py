"""`notifier run` as a real process: register, fire, deliver over SMTP, restart, edit, break."""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from tests.e2e.conftest import (
    SmtpServer,
    Workspace,
    event_yaml,
    free_port,
    http_json,
    soon,
    wait_until,
    write_atomically,
)

START_IN = timedelta(minutes=5)
ZoneTokyo = ZoneInfo("Asia/Tokyo")
ZoneVienna = ZoneInfo("Europe/Vienna")


def _setup(workspace: Workspace, due_in_s: float, **register: str) -> tuple[datetime, datetime]:
    """Write the event (session START_IN from now, reminder due in ``due_in_s``) and register."""
    due = soon(due_in_s)
    start = due + START_IN
    workspace.config_file.write_text(event_yaml(start, [START_IN]), encoding="utf-8")
    args = ["register", "add", "e2e", "--email", "ada@example.org", "--tz", "Asia/Tokyo"]
    for key, value in register.items():
        args += [f"--{key}", value]
    done = workspace.notifier(*args)
    assert done.returncode == 0, done.stderr
    return start, due


def test_reminder_is_delivered_over_smtp_with_both_zones_link_and_calendar(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """The product's main job, end to end, through STARTTLS and AUTH."""
    start, due = _setup(workspace, due_in_s=4)
    daemon = workspace.start("--until-idle")
    assert daemon.process.wait(timeout=60) == 0, daemon.log_text()
    (received,) = smtp.handler.received
    message = received.message
    print(f"\ndue -> accepted by SMTP: {(received.at - due.timestamp()) * 1e3:.0f} ms")
    assert message["To"] == "ada@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http")
    text = message.get_body(("plain",)).get_content()
    tokyo, vienna = start.astimezone(ZoneTokyo), start.astimezone(ZoneVienna)
    assert f"{tokyo:%H:%M} JST (UTC+09:00)" in text
    assert f"{vienna:%H:%M} {vienna.tzname()}" in text
    assert "https://events.example.org/e2e/join" in text
    ics = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.decoded("DTSTART").astimezone(UTC) == start
    assert "smtp-pa55" not in daemon.log_text()


def test_reminder_survives_a_restart_between_scheduling_and_firing(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """Jobs and registrations live in Redis; a stopped process loses nothing and sends once."""
    workspace.env["NOTIFIER_STORE_URL"] = redis_url
    _setup(workspace, due_in_s=6)
    first = workspace.start(name="first")
    first.wait_for("service_ready")
    assert first.stop(signal.SIGTERM) == 0
    assert smtp.handler.received == []
    second = workspace.start("--until-idle", name="second")
    assert second.process.wait(timeout=60) == 0, second.log_text()
    assert len(smtp.handler.received) == 1


def test_killed_process_restarted_sends_the_reminder_once(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """SIGKILL (no clean shutdown) and a restart: the reminder still comes, exactly once."""
    workspace.env["NOTIFIER_STORE_URL"] = redis_url
    _setup(workspace, due_in_s=3)
    first = workspace.start(name="first")
    wait_until(lambda: len(smtp.handler.received) == 1)
    first.stop(signal.SIGKILL)
    second = workspace.start("--until-idle", name="second")
    assert second.process.wait(timeout=60) == 0, second.log_text()
    assert len(smtp.handler.received) == 1


def test_moving_a_session_while_running_announces_the_new_time(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Organizers edit the file under a running service; the moved time is what is sent."""
    old_start, _ = _setup(workspace, due_in_s=40)
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    new_start = soon(4) + 2 * START_IN  # ten minutes later than before, reminder due in 4 s
    write_atomically(workspace.config_file, event_yaml(new_start, [2 * START_IN]))
    daemon.wait_for("config_reloaded")
    wait_until(lambda: len(smtp.handler.received) == 1)
    assert daemon.stop() == 0
    text = smtp.handler.received[0].message.get_body(("plain",)).get_content()
    assert f"{new_start.astimezone(ZoneTokyo):%H:%M} JST" in text
    assert f"{old_start.astimezone(ZoneTokyo):%H:%M} JST" not in text


def test_breaking_the_config_while_running_keeps_the_old_schedule(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """A bad edit is logged and ignored; the last good config keeps sending."""
    _setup(workspace, due_in_s=5)
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    write_atomically(workspace.config_file, "id: e2e\nsessions: [oops\n")
    daemon.wait_for("config_reload_refused")
    wait_until(lambda: len(smtp.handler.received) == 1)
    assert daemon.stop() == 0
    assert "yaml-syntax" in daemon.log_text()


def test_smtp_451_twice_then_250_delivers_once_with_attempts_recorded(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Transient refusals are retried with backoff; the log shows every attempt."""
    smtp.handler.script = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
    _setup(workspace, due_in_s=3)
    daemon = workspace.start("--until-idle")
    assert daemon.process.wait(timeout=60) == 0, daemon.log_text()
    assert len(smtp.handler.received) == 1
    assert smtp.handler.data_commands == 3
    shown = workspace.notifier("deliveries", "e2e", "--json")
    (record,) = json.loads(shown.stdout)
    assert (record["status"], record["attempts"]) == ("sent", 3)


def test_demo_writes_a_reminder_file_on_the_embedded_default(workspace: Workspace) -> None:
    """The README's first command: no Redis, no SMTP server, a real reminder file."""
    for name in (
        "NOTIFIER_SMTP_HOST",
        "NOTIFIER_SMTP_PORT",
        "NOTIFIER_SMTP_USERNAME",
        "NOTIFIER_SMTP_PASSWORD",
        "NOTIFIER_SIGNING_SECRET",
    ):
        workspace.env.pop(name)
    done = workspace.notifier("demo", "--lead-s", "10", timeout_s=90)
    assert done.returncode == 0, done.stderr
    line = next(li for li in done.stdout.splitlines() if li.startswith("reminder delivered: "))
    path = workspace.root / line.removeprefix("reminder delivered: ")
    assert path.suffix == ".eml"
    assert "Subject: Reminder: Demo side event" in path.read_text(encoding="utf-8")


def test_sigterm_during_a_send_lets_it_finish_and_exits_zero(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Ops stop and upgrade the service; an in-flight reminder must not be lost or doubled."""
    smtp.handler.delay_s = 2.0
    _setup(workspace, due_in_s=3)
    daemon = workspace.start()
    wait_until(lambda: smtp.handler.data_commands == 1)
    assert daemon.stop(signal.SIGTERM) == 0, daemon.log_text()
    assert len(smtp.handler.received) == 1
    shown = workspace.notifier("deliveries", "e2e", "--json")
    assert [r["status"] for r in json.loads(shown.stdout)] == ["sent"]
    daemon.wait_for("in_flight_drained")


def test_participant_registers_over_http_confirms_and_gets_the_reminder(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """The public API in the running service: double opt-in, then the reminder."""
    port = free_port()
    workspace.env["NOTIFIER_HTTP_PORT"] = str(port)
    workspace.env["NOTIFIER_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    due = soon(8)
    workspace.config_file.write_text(event_yaml(due + START_IN, [START_IN]), encoding="utf-8")
    daemon = workspace.start()
    daemon.wait_for("http_listening")
    base = f"http://127.0.0.1:{port}"
    assert http_json("GET", f"{base}/readyz")[0] == 200
    status, body = http_json(
        "POST",
        f"{base}/api/v1/events/e2e/registrations",
        {"email": "grace@example.org", "timezone": "Asia/Tokyo"},
    )
    assert (status, body["status"]) == (202, "accepted")
    wait_until(lambda: len(smtp.handler.received) == 1)
    confirmation = smtp.handler.received[0].message.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/confirm/\S+)", confirmation)[1]  # type: ignore[index]
    assert urllib.request.urlopen(link, timeout=10).status == 200  # noqa: S310 - our own test URL
    assert len(smtp.handler.received) == 1  # opening the link only asks; the button confirms
    pressed = urllib.request.Request(link, data=b"", method="POST")  # noqa: S310
    assert urllib.request.urlopen(pressed, timeout=10).status == 200  # noqa: S310
    wait_until(lambda: len(smtp.handler.received) == 2)
    assert daemon.stop() == 0
    reminder = smtp.handler.received[1].message
    assert reminder["To"] == "grace@example.org"
    assert reminder["Subject"].startswith("Reminder: ")


def test_metrics_move_and_delivery_log_lines_are_json_without_addresses(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Ops watch /metrics and parse logs; neither may leak a participant's address."""
    port = free_port()
    workspace.env["NOTIFIER_HTTP_PORT"] = str(port)
    _setup(workspace, due_in_s=4)
    daemon = workspace.start()
    daemon.wait_for("http_listening")
    before = metrics_text(port)
    assert 'notifier_deliveries_total{channel="email",outcome="sent"}' not in before
    assert "notifier_jobs_scheduled 1.0" in before
    wait_until(lambda: len(smtp.handler.received) == 1)
    daemon.wait_for("reminder_fanout_done")
    after = metrics_text(port)
    assert daemon.stop() == 0
    assert 'notifier_deliveries_total{channel="email",outcome="sent"} 1.0' in after
    assert 'notifier_reminders_fired_total{status="done"} 1.0' in after
    assert "notifier_reminder_lateness_seconds_count 1.0" in after
    assert 'notifier_registrations{event="e2e"} 1.0' in after
    lines = [json.loads(line) for line in daemon.log_text().splitlines() if line.startswith("{")]
    (sent,) = [entry for entry in lines if entry["event"] == "reminder_sent"]
    assert sent["outcome"] == "sent"
    assert sent["event_id"] == "e2e"
    assert sent["session_id"] == "talk"
    assert sent["delivery"].startswith("e2e/talk/")
    assert "ada@example.org" not in daemon.log_text()


def metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())
