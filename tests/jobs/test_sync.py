"""The job set follows the config: added, moved, removed, and untouched when unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from notifier.events import Event, load_event
from notifier.jobs import plan_reminders
from notifier.jobs.scheduler import REMINDER_FUNC
from notifier.jobs.sync import apply_jobs, desired_jobs, ref_from_kwargs

NOW = datetime(2023, 5, 1, tzinfo=UTC)


def _event(sessions: str) -> Event:
    text = "id: demo\nname: Demo\nzone: Europe/Vienna\nyear: 2023\nreminders: [1d, 1h]\n"
    loaded = load_event(text + "sessions:\n" + sessions, "demo.yaml", today=date(2023, 5, 1))
    assert loaded.event is not None, [str(p) for p in loaded.problems]
    return loaded.event


TWO = (
    "  - id: a\n    title: A\n    when: 23 May 09:10 CEST\n"
    "  - id: b\n    title: B\n    when: 24 May 08:00 CEST\n"
)


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    """A real APScheduler 3 scheduler with its in-memory store, started paused."""
    sched = BackgroundScheduler(timezone=UTC)
    sched.start(paused=True)
    yield sched
    sched.shutdown(wait=False)


def test_one_job_per_session_and_offset_with_its_instant() -> None:
    """Each reminder is its own job, due exactly offset before the session's instant."""
    jobs = desired_jobs([_event(TWO)], NOW)
    assert sorted(jobs) == ["demo/a/3600", "demo/a/86400", "demo/b/3600", "demo/b/86400"]
    assert jobs["demo/a/3600"].run_at_utc == datetime(2023, 5, 23, 6, 10, tzinfo=UTC)
    ref = ref_from_kwargs(jobs["demo/a/3600"].kwargs)
    assert ref.start_utc == datetime(2023, 5, 23, 7, 10, tzinfo=UTC)
    assert jobs["demo/a/3600"].grace_s == 15 * 60  # a quarter of the hour by default


def test_past_reminders_and_cancelled_sessions_get_no_job() -> None:
    """Past ones are the reconcile pass's; cancelled sessions are never announced."""
    cancelled = TWO.replace(
        "B\n    when: 24 May 08:00 CEST\n", "B\n    when: 24 May 08:00 CEST\n    cancelled: true\n"
    )
    jobs = desired_jobs([_event(cancelled)], datetime(2023, 5, 22, 8, 0, tzinfo=UTC))
    assert sorted(jobs) == ["demo/a/3600"]


def test_unchanged_config_writes_nothing(scheduler: BackgroundScheduler) -> None:
    """A reload that changes nothing must not touch the job store (replicas reload often)."""
    desired = desired_jobs([_event(TWO)], NOW)
    first = apply_jobs(scheduler, desired)
    again = apply_jobs(scheduler, desired_jobs([_event(TWO)], NOW))
    assert (first.added, first.writes) == (4, 4)
    assert (again.writes, again.unchanged) == (0, 4)


def test_moved_session_reschedules_its_jobs_with_the_new_instant(
    scheduler: BackgroundScheduler,
) -> None:
    """Moving a session must re-arm its reminders for the new time, under a new key."""
    apply_jobs(scheduler, desired_jobs([_event(TWO)], NOW))
    moved = TWO.replace("23 May 09:10", "23 May 11:00")
    result = apply_jobs(scheduler, desired_jobs([_event(moved)], NOW))
    assert (result.updated, result.added, result.removed) == (2, 0, 0)
    job = scheduler.get_job("demo/a/3600")
    assert job.next_run_time == datetime(2023, 5, 23, 8, 0, tzinfo=UTC)
    assert ref_from_kwargs(job.kwargs).key == "demo/a/20230523T090000Z/3600"
    assert job.func_ref == REMINDER_FUNC


def test_removed_session_loses_its_jobs(scheduler: BackgroundScheduler) -> None:
    """A session taken out of the config must not be announced."""
    apply_jobs(scheduler, desired_jobs([_event(TWO)], NOW))
    only_a = TWO.split("  - id: b")[0]
    result = apply_jobs(scheduler, desired_jobs([_event(only_a)], NOW))
    assert result.removed == 2
    assert sorted(job.id for job in scheduler.get_jobs()) == ["demo/a/3600", "demo/a/86400"]


def test_schedule_preview_shows_exactly_the_jobs_the_service_keeps() -> None:
    """`notifier schedule` is trusted as the plan: its future rows must be run's jobs, no more."""
    cancelled = TWO + "  - id: c\n    title: C\n    when: 25 May 08:00 CEST\n    cancelled: true\n"
    now = datetime(2023, 5, 22, 8, 0, tzinfo=UTC)  # a's 1d reminder is past, the rest ahead
    events = [_event(cancelled)]
    preview = plan_reminders(events, now)
    jobs = desired_jobs(events, now)
    upcoming = {(r.reminder.job_id, r.send_at_utc) for r in preview if not r.past}
    assert upcoming == {(job_id, spec.run_at_utc) for job_id, spec in jobs.items()}
    assert [r.reminder.job_id for r in preview if r.past] == ["demo/a/86400"]
    assert not any("/c/" in job_id for job_id in jobs)
