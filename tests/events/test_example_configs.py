"""The example configs encode the seed listings faithfully."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from notifier.configfiles import load_config_files
from notifier.events import Event

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "config" / "events"


@pytest.fixture(scope="module")
def events() -> dict[str, Event]:
    config = load_config_files([EVENTS], today=date(2026, 11, 25))
    assert config.ok, "\n".join(str(p) for p in config.problems)
    return {event.id: event for event in config.events}


def test_examples_validate_without_errors_or_warnings() -> None:
    """`notifier validate --strict config/events` must pass: the examples teach the format."""
    config = load_config_files([EVENTS], today=date(2026, 11, 25))
    assert [str(p) for p in config.problems] == []
    assert len(config.files) == 4


def test_ccpcj_has_all_seven_side_events_at_the_listed_utc_instants(
    events: dict[str, Event],
) -> None:
    """Every GI-TOC listing at the 32nd CCPCJ is there, at CEST (UTC+2) in May 2023."""
    sessions = events["ccpcj-32-gitoc"].sessions
    starts = sorted(s.start.astimezone(UTC) for s in sessions)
    assert starts == [
        datetime(2023, 5, 23, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 23, 11, 0, tzinfo=UTC),
        datetime(2023, 5, 23, 12, 10, tzinfo=UTC),
        datetime(2023, 5, 24, 6, 0, tzinfo=UTC),
        datetime(2023, 5, 25, 7, 10, tzinfo=UTC),
        datetime(2023, 5, 26, 6, 0, tzinfo=UTC),
        datetime(2023, 5, 26, 11, 0, tzinfo=UTC),
    ]
    assert all(s.end is not None and (s.end - s.start).seconds == 50 * 60 for s in sessions)


def test_kyoto_events_are_at_midnight_and_five_utc_as_their_cet_conversions_say(
    events: dict[str, Event],
) -> None:
    """9:00 JST is 00:00Z (1am CET); 14:00 JST is 05:00Z; 11:30 JST on the 12th is 02:30Z."""
    starts = sorted(s.start.astimezone(UTC) for s in events["kyoto-congress-gitoc"].sessions)
    assert starts == [
        datetime(2021, 3, 11, 0, 0, tzinfo=UTC),
        datetime(2021, 3, 11, 5, 0, tzinfo=UTC),
        datetime(2021, 3, 12, 2, 30, tzinfo=UTC),
    ]


def test_crimecop_monday_and_tuesday_side_events_are_all_there(events: dict[str, Event]) -> None:
    """14 Monday and 15 Tuesday rows; afternoon rows are p.m. in CEST (UTC+2)."""
    sessions = events["crimecop12-side-events"].sessions
    by_day = {
        d: [s for s in sessions if s.start.date() == d]
        for d in (date(2024, 10, 14), date(2024, 10, 15))
    }
    assert [len(v) for v in by_day.values()] == [14, 15]
    ministerial = next(s for s in sessions if s.when == "1.15–2.10 p.m.")
    assert ministerial.start.astimezone(UTC) == datetime(2024, 10, 14, 11, 15, tzinfo=UTC)
    assert ministerial.end is not None
    assert ministerial.end.astimezone(UTC) == datetime(2024, 10, 14, 12, 10, tzinfo=UTC)
    start_only = next(s for s in sessions if s.when == "2.10 p.m.")
    assert start_only.end is None
    morning = next(s for s in sessions if s.when == "9–9:50 a.m.")
    assert morning.start.astimezone(UTC) == datetime(2024, 10, 15, 7, 0, tzinfo=UTC)


def test_nmun_deadline_is_a_minute_before_midnight_new_york_time(
    events: dict[str, Event],
) -> None:
    """11:59 p.m. ET on 1 March 2025 is EST (UTC-5): 04:59Z on 2 March."""
    (deadline,) = events["nmun-2025-position-papers"].sessions
    assert deadline.kind == "deadline"
    assert deadline.start.astimezone(UTC) == datetime(2025, 3, 2, 4, 59, tzinfo=UTC)
    assert deadline.zone == "America/New_York"
