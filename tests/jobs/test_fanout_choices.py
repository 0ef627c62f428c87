"""The fan-out follows what participants changed on their manage page before a reminder fired.

Real store (both backends), real SMTP server; the registration is changed with the store's
``update_registration``, as the manage page does, between sign-up and the reminder.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from notifier.channels import SmtpChannel
from notifier.events import Event
from notifier.jobs.fanout import run_fanout
from notifier.jobs.plan import Reminder
from notifier.records import ReminderRef
from notifier.store import Store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration
from tests.support.mail import plain_text
from tests.support.smtp import SmtpServer

START = NOW + timedelta(minutes=10)  # the talk's 10-minute reminder is due exactly at NOW


def _event() -> Event:
    """ "talk" at START and "panel" two hours later, each with a 1-day and a 10-minute reminder."""
    text = event_yaml({"talk": START, "panel": START + timedelta(hours=2)}, reminders=("1d", "10m"))
    return load_test_event(text)


def _ref(event: Event, session_id: str) -> ReminderRef:
    session = next(s for s in event.sessions if s.id == session_id)
    return Reminder(event, session, timedelta(minutes=10)).ref


async def test_a_participant_who_kept_only_the_day_before_gets_no_ten_minute_reminder(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """An opt-out of one reminder must stop that one, and only for that participant."""
    event = _event()
    await store.add_registration(registration("ada"))
    await store.add_registration(registration("bob"))
    await store.update_registration(replace(registration("bob"), reminder_offsets_s=(86_400,)))

    counts = await run_fanout(
        fanout_deps(store, smtp_channel, Clock(NOW)), event, event.sessions[0], _ref(event, "talk")
    )

    assert counts == Counter(sent=1)
    assert mail_server.handler.recipients == Counter({"ada@example.org": 1})


async def test_a_change_of_zone_and_session_changes_what_the_next_reminder_says_and_to_whom(
    store: Store, mail_server: SmtpServer, smtp_channel: SmtpChannel
) -> None:
    """Changes apply to reminders not yet sent: the new zone's time, only the new session."""
    event = _event()
    await store.add_registration(registration("ada"))  # Tokyo, following "talk"
    moved = replace(registration("ada"), timezone="Africa/Cairo", sessions=("panel",))
    await store.update_registration(moved)
    deps = fanout_deps(store, smtp_channel, Clock(NOW))

    talk = await run_fanout(deps, event, event.sessions[0], _ref(event, "talk"))
    panel_clock = Clock(START + timedelta(hours=2) - timedelta(minutes=10))
    panel_deps = fanout_deps(store, smtp_channel, panel_clock)
    panel = await run_fanout(panel_deps, event, event.sessions[1], _ref(event, "panel"))

    assert (talk, panel) == (Counter(), Counter(sent=1))
    (received,) = mail_server.handler.accepted_for("ada@example.org")
    text = plain_text(received)
    assert "Your time (Africa/Cairo)" in text
    assert "Asia/Tokyo" not in text
    assert "Side event panel" in received["Subject"]
    assert "/manage/" in text  # the way back to change them again
