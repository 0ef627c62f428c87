"""`notifier run` as a real process: register, fire, deliver over SMTP, restart, edit, break."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from babel.dates import format_date, format_time
from redis import Redis

from tests.support.daemon import (
    EVENT_ID,
    EVENT_NAME,
    Workspace,
    http_json,
    http_status,
    metrics_text,
    refuses_connections,
)
from tests.support.events import event_yaml, soon, write_atomically
from tests.support.mail import link_in, part_bytes, plain_text
from tests.support.smtp import PASSWORD, SmtpServer
from tests.support.waiting import wait_until

START_IN = timedelta(minutes=5)
NOT_YET = 3600.0  # seconds: a reminder that cannot come due while the test runs
# a reminder due this long after an edit is still ahead when the running daemon has synced it
# and been stopped (the daemon answers an edit, and SIGTERM, within a second or two when loaded)
DUE_AFTER_EDIT_S = 10.0
JOBS_KEY = "notifier:apscheduler.jobs"  # APScheduler's RedisJobStore hash, one field a job
ZoneTokyo = ZoneInfo("Asia/Tokyo")
ZoneVienna = ZoneInfo("Europe/Vienna")


def _setup(workspace: Workspace, due_in_s: float, **register: str) -> tuple[datetime, datetime]:
    """Write the event (session START_IN from now, reminder due in ``due_in_s``) and register."""
    due = soon(due_in_s)
    start = due + START_IN
    workspace.write_event(start, [START_IN])
    _register(workspace, **register)
    return start, due


def _tokyo_time(moment: datetime) -> str:
    """``4:10 PM JST``: CLDR's English time (the registration's language) in Tokyo."""
    return f"{format_time(moment.astimezone(ZoneTokyo), 'short', locale='en')} JST"


def _register(workspace: Workspace, **register: str) -> None:
    args = ["register", "add", "e2e", "--email", "ada@example.org", "--tz", "Asia/Tokyo"]
    for key, value in register.items():
        args += [f"--{key}", value]
    done = workspace.notifier(*args)
    assert done.returncode == 0, done.stderr


def test_reminder_is_delivered_over_smtp_with_both_zones_link_and_calendar(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """The product's main job, end to end, through STARTTLS and AUTH."""
    start, due = _setup(workspace, due_in_s=4)
    daemon = workspace.start("--until-idle")
    assert daemon.wait() == 0, daemon.log_text()
    (received,) = smtp.handler.received
    message = received.message
    print(f"\ndue -> accepted by SMTP: {(received.at - due.timestamp()) * 1e3:.0f} ms")
    assert received.tls
    assert message["To"] == "ada@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http")
    text = plain_text(message)
    tokyo, vienna = start.astimezone(ZoneTokyo), start.astimezone(ZoneVienna)
    # CLDR's English (the registration's language): 4:10 PM
    assert f"{format_time(tokyo, 'short', locale='en')} JST (UTC+09:00)" in text
    assert f"{format_time(vienna, 'short', locale='en')} {vienna.tzname()}" in text
    assert "https://events.example.org/e2e/talk" in text
    calendar = icalendar.Calendar.from_ical(part_bytes(message, "text/calendar"))
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.decoded("DTSTART").astimezone(UTC) == start
    assert PASSWORD not in daemon.log_text()


def test_tokyo_in_japanese_and_cairo_in_arabic_get_their_reminders_in_their_language(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Issue 16 through `notifier run`: each reader's words and CLDR's date and time."""
    start, _due = _setup(workspace, due_in_s=4, language="ja")
    cairo = ["--email", "amal@example.org", "--tz", "Africa/Cairo", "--language", "ar"]
    assert workspace.notifier("register", "add", "e2e", *cairo).returncode == 0
    daemon = workspace.start("--until-idle")
    assert daemon.wait() == 0, daemon.log_text()
    mails = {r.message["To"]: r.message for r in smtp.handler.received}
    japanese, arabic = mails["ada@example.org"], mails["amal@example.org"]
    tokyo, cairo_time = start.astimezone(ZoneTokyo), start.astimezone(ZoneInfo("Africa/Cairo"))
    text = plain_text(japanese)
    assert japanese["Subject"].startswith("リマインダー：")
    assert format_date(tokyo, "full", locale="ja") in text  # 2026年12月2日水曜日
    assert f"{format_time(tokyo, 'short', locale='ja')} JST (UTC+09:00)" in text
    assert "あなたの時刻（Asia/Tokyo）" in text
    text = plain_text(arabic)
    assert arabic["Subject"].startswith("تذكير: ")
    assert format_date(cairo_time, "full", locale="ar") in text
    assert f"{format_time(cairo_time, 'short', locale='ar')} EET (UTC+02:00)" in text
    body = arabic.get_body(("html",))
    assert body is not None
    assert '<html lang="ar" dir="rtl">' in str(body.get_content())


def test_reminder_survives_a_restart_between_scheduling_and_firing(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """Jobs and registrations live in Redis; a stopped process loses nothing and sends once."""
    workspace.env["NOTIFIER_STORE_URL"] = redis_url
    workspace.env["NOTIFIER_REDIS_ALLOW_VOLATILE"] = "true"  # the test's server keeps no AOF
    _setup(workspace, due_in_s=NOT_YET)
    first = workspace.start(name="first")
    first.wait_for("service_ready")
    # scheduled by the running process, however long it took to start: due after it stops
    start = soon(DUE_AFTER_EDIT_S) + START_IN
    first.edit_config(lambda: workspace.write_event(start, [START_IN]), until="jobs_synced")
    assert first.stop(signal.SIGTERM) == 0
    assert smtp.handler.received == [], "the first process sent before it was stopped"
    with Redis.from_url(redis_url) as redis:
        assert redis.hkeys(JOBS_KEY) == [b"e2e/talk/300"]  # kept for the next process
    second = workspace.start("--until-idle", name="second")
    assert second.wait() == 0, second.log_text()
    assert len(smtp.handler.received) == 1


def test_killed_process_restarted_sends_the_reminder_once(
    workspace: Workspace, smtp: SmtpServer, redis_url: str
) -> None:
    """SIGKILL (no clean shutdown) and a restart: the reminder still comes, exactly once."""
    workspace.env["NOTIFIER_STORE_URL"] = redis_url
    workspace.env["NOTIFIER_REDIS_ALLOW_VOLATILE"] = "true"  # the test's server keeps no AOF
    _setup(workspace, due_in_s=3)
    first = workspace.start(name="first")
    wait_until(lambda: len(smtp.handler.received) == 1, what=first.log_text)
    first.stop(signal.SIGKILL)
    second = workspace.start("--until-idle", name="second")
    assert second.wait() == 0, second.log_text()
    assert len(smtp.handler.received) == 1


def test_moving_a_session_while_running_announces_the_new_time(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Organizers edit the file under a running service; the moved time is what is sent."""
    old_start, _ = _setup(workspace, due_in_s=NOT_YET)
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    new_start = soon(4) + 2 * START_IN  # a reminder ten minutes ahead, due in 4 s
    daemon.edit_config(
        lambda: workspace.write_event(new_start, [2 * START_IN]), until="config_reloaded"
    )
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    assert daemon.stop() == 0
    text = plain_text(smtp.handler.received[0].message)
    assert _tokyo_time(new_start) in text
    assert _tokyo_time(old_start) not in text


def test_an_edit_saved_while_the_service_starts_is_picked_up_once_ready(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """An edit between the start-up read and the watcher's arming was lost until the next one."""
    _setup(workspace, due_in_s=NOT_YET)
    daemon = workspace.start()
    daemon.wait_for("jobs_synced")  # the files are read; the watcher may not be armed yet
    new_start = soon(4) + 2 * START_IN  # a reminder ten minutes ahead, due in 4 s
    workspace.write_event(new_start, [2 * START_IN])  # saved once, never again
    daemon.wait_for("service_ready")
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    assert daemon.stop() == 0
    assert daemon.count("config_reloaded") >= 1


def test_breaking_the_config_while_running_keeps_the_old_schedule(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """A bad edit is logged and ignored; the last good config keeps sending."""
    start, _ = _setup(workspace, due_in_s=5)
    daemon = workspace.start()
    daemon.wait_for("service_ready")
    daemon.edit_config(
        lambda: write_atomically(workspace.config_file, "id: e2e\nsessions: [oops\n"),
        until="config_reload_refused",
    )
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    assert daemon.stop() == 0
    assert "yaml-syntax" in daemon.log_text()
    text = plain_text(smtp.handler.received[0].message)
    assert _tokyo_time(start) in text  # the good config's session


def test_smtp_451_twice_then_250_delivers_once_with_attempts_recorded(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Transient refusals are retried with backoff; the log shows every attempt."""
    smtp.handler.script("DATA", "451 4.3.0 try again later", "451 4.3.0 try again later")
    _setup(workspace, due_in_s=3)
    daemon = workspace.start("--until-idle")
    assert daemon.wait() == 0, daemon.log_text()
    assert len(smtp.handler.received) == 1
    assert smtp.handler.data_commands == 3
    shown = workspace.notifier("deliveries", "e2e", "--json")
    (record,) = json.loads(shown.stdout)
    assert (record["status"], record["attempts"]) == ("sent", 3)


def test_a_reminder_due_while_another_send_stalls_goes_out_meanwhile(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """One slow mail server answer must not hold back every later reminder (issue #15's due
    → send row: chunks were taken in batches, and a batch waited for its slowest send)."""
    smtp.handler.stall_s = 15.0  # the first DATA gets no answer this long
    smtp.handler.script("DATA", "stall")
    first_due = soon(3)
    sessions = {
        "first": first_due + START_IN,
        "second": first_due + START_IN + timedelta(seconds=2),
    }
    text = event_yaml(
        sessions, event_id=EVENT_ID, name=EVENT_NAME, reminders=[START_IN], channels=["email"]
    )
    write_atomically(workspace.config_file, text)
    _register(workspace)
    daemon = workspace.start()
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    assert smtp.handler.in_flight == 1, "the second reminder waited for the stalled send"
    assert "second" in smtp.handler.received[0].message["Subject"]


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
    port = workspace.use_http_port()  # its closing shows the daemon got SIGTERM
    smtp.handler.hold()  # the send stays in flight until the daemon is stopping
    smtp.handler.delay_s = 1.0  # then a slow server: the daemon reaches its drain meanwhile
    _setup(workspace, due_in_s=3)
    daemon = workspace.start()
    wait_until(lambda: smtp.handler.in_flight == 1, what=daemon.log_text)
    daemon.process.send_signal(signal.SIGTERM)
    wait_until(lambda: refuses_connections(port), what="the API to close after SIGTERM")
    smtp.handler.release()
    assert daemon.wait() == 0, daemon.log_text()
    assert len(smtp.handler.received) == 1
    shown = workspace.notifier("deliveries", "e2e", "--json")
    assert [r["status"] for r in json.loads(shown.stdout)] == ["sent"]
    (drained,) = [e for e in daemon.log_entries() if e["event"] == "in_flight_drained"]
    assert (drained["finished"], drained["cancelled"]) == (1, 0)


def test_participant_registers_over_http_confirms_and_gets_the_reminder(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """The public API in the running service: double opt-in, then the reminder."""
    port = workspace.use_http_port()
    # not due while the participant signs up, however slowly the daemon starts
    workspace.write_event(soon(NOT_YET) + START_IN, [START_IN])
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
    wait_until(lambda: len(smtp.handler.received) == 1, what=daemon.log_text)
    link = link_in(smtp.handler.received[0].message, "confirm")
    assert link.startswith(f"{base}/confirm/")
    assert http_status("GET", link) == 200
    assert len(smtp.handler.received) == 1  # opening the link only asks; the button confirms
    assert http_status("POST", link) == 200
    moved_up = soon(3) + START_IN  # the session moves up: its reminder is due in 3 s
    daemon.edit_config(lambda: workspace.write_event(moved_up, [START_IN]), until="config_reloaded")
    wait_until(lambda: len(smtp.handler.received) == 2, what=daemon.log_text)
    assert daemon.stop() == 0
    reminder = smtp.handler.received[1].message
    assert reminder["To"] == "grace@example.org"
    assert reminder["Subject"].startswith("Reminder: ")


def test_metrics_move_and_delivery_log_lines_are_json_without_addresses(
    workspace: Workspace, smtp: SmtpServer
) -> None:
    """Ops watch /metrics and parse logs; neither may leak a participant's address."""
    port = workspace.use_http_port()
    start = soon(4) + START_IN
    # the one-minute reminder stays scheduled through the test: exactly one job is left once
    # the first has fired, whether on time or by the start-up catch-up of a slow start
    workspace.write_event(start, [START_IN, timedelta(minutes=1)])
    _register(workspace)
    smtp.handler.hold()  # the first reminder's send waits until the metrics were read
    daemon = workspace.start()
    daemon.wait_for("http_listening")
    wait_until(lambda: smtp.handler.in_flight == 1, what=daemon.log_text)
    before = metrics_text(port)
    smtp.handler.release()
    daemon.wait_for("reminder_fanout_done")
    after = metrics_text(port)
    assert daemon.stop() == 0
    assert 'notifier_deliveries_total{channel="email",outcome="sent"}' not in before
    assert 'notifier_deliveries_total{channel="email",outcome="sent"} 1.0' in after
    assert 'notifier_reminders_fired_total{status="done"} 1.0' in after
    assert "notifier_reminder_lateness_seconds_count 1.0" in after
    assert 'notifier_registrations{event="e2e"} 1.0' in after
    assert "notifier_jobs_scheduled 1.0" in after
    entries = daemon.log_entries()
    (sent,) = [entry for entry in entries if entry["event"] == "reminder_sent"]
    assert sent["outcome"] == "sent"
    assert sent["event_id"] == "e2e"
    assert sent["session_id"] == "talk"
    assert sent["delivery"].startswith("e2e/talk/")
    assert "ada@example.org" not in daemon.log_text()
