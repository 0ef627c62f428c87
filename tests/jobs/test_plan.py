"""Planning reminders: exact offsets, sorted, flagged across clock changes and in the past."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.events import Event, load_event
from notifier.jobs import plan_reminders

TODAY = date(2026, 11, 25)


def _event(sessions: str, zone: str = "Europe/Vienna", reminders: str = "[1d, 1h, 10m]") -> Event:
    text = f"id: demo\nname: Demo\nzone: {zone}\nyear: 2023\nreminders: {reminders}\n"
    loaded = load_event(text + "sessions:\n" + sessions, "demo.yaml", today=TODAY)
    assert loaded.event is not None, [str(p) for p in loaded.problems]
    return loaded.event


ONE = "  - id: a\n    title: A\n    when: 23 May 09:10 CEST\n"


def test_each_offset_is_an_exact_duration_before_the_session() -> None:
    """ "1h before" means 3,600 seconds, whatever the wall clock does."""
    planned = plan_reminders([_event(ONE)], now=datetime(2023, 1, 1, tzinfo=UTC))
    assert [r.send_at_utc for r in planned] == [
        datetime(2023, 5, 22, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 6, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 7, 0, tzinfo=UTC),
    ]
    assert all(r.flags == () for r in planned)


def test_reminders_are_sorted_by_send_time_across_sessions() -> None:
    """An operator reads the schedule top to bottom as it will happen."""
    sessions = ONE + "  - id: b\n    title: B\n    when: 22 May 20:00 CEST\n"
    planned = plan_reminders([_event(sessions)], now=datetime(2023, 1, 1, tzinfo=UTC))
    assert planned == sorted(planned, key=lambda r: r.send_at_utc)
    assert [r.session.id for r in planned][:2] == ["b", "a"]


def test_cancelled_sessions_get_no_reminders() -> None:
    """A cancelled session must not be announced."""
    sessions = ONE + "  - id: b\n    title: B\n    when: 24 May 9:00 CEST\n    cancelled: true\n"
    planned = plan_reminders([_event(sessions)], now=datetime(2023, 1, 1, tzinfo=UTC))
    assert {r.session.id for r in planned} == {"a"}


def test_reminder_already_past_is_flagged() -> None:
    """Previewing a schedule late must show what can no longer be sent."""
    planned = plan_reminders([_event(ONE)], now=datetime(2023, 5, 23, 6, 30, tzinfo=UTC))
    assert [r.flags for r in planned] == [("past",), ("past",), ()]


def test_one_day_before_a_session_after_spring_forward_is_flagged_in_the_venue_zone() -> None:
    """Vienna moved to CEST on 26 March 2023: 24 h before 26 March 09:00 CEST is 08:00 CET."""
    sessions = "  - id: a\n    title: A\n    when: 26 March 09:00\n"
    planned = plan_reminders(
        [_event(sessions, reminders="[1d]")], now=datetime(2023, 1, 1, tzinfo=UTC)
    )
    (reminder,) = planned
    assert reminder.send_at_utc == datetime(2023, 3, 25, 7, 0, tzinfo=UTC)
    assert reminder.flags == ("dst-shift",)
    assert "Europe/Vienna" in reminder.dst_notes[0]
    assert "08:00" in reminder.dst_notes[0]


def test_clock_change_in_the_viewers_zone_is_flagged_too() -> None:
    """New York moved on 12 March 2023; a Tokyo session 1d later shifts for a New York reader."""
    sessions = "  - id: a\n    title: A\n    when: 12 March 2023 23:00\n"
    event = _event(sessions, zone="Asia/Tokyo", reminders="[1d]")
    now = datetime(2023, 1, 1, tzinfo=UTC)
    (plain,) = plan_reminders([event], now)
    (viewed,) = plan_reminders([event], now, ZoneInfo("America/New_York"))
    assert plain.flags == ()
    assert viewed.flags == ("dst-shift",)
    assert "America/New_York" in viewed.dst_notes[0]


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=365 * 24 * 60),
    offsets=st.lists(
        st.integers(min_value=1, max_value=60 * 24 * 14), min_size=1, max_size=4, unique=True
    ),
)
def test_no_reminder_is_planned_after_its_session(minutes: int, offsets: list[int]) -> None:
    """A reminder after the start is useless; every positive offset sends strictly before."""
    start = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    reminders = "[" + ", ".join(f"{m}m" for m in offsets) + "]"
    when = start.strftime("%Y-%m-%dT%H:%MZ")
    event = _event(f"  - id: a\n    title: A\n    when: {when}\n", reminders=reminders)
    planned = plan_reminders([event], now=start)
    assert len(planned) == len(offsets)
    assert all(r.send_at_utc < r.session.start for r in planned)
