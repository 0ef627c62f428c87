"""Keep APScheduler's job set equal to the config: one job per (session, reminder offset).

:func:`desired_jobs` is pure; :func:`apply_jobs` is blocking (the job stores are synchronous)
and must be called through ``asyncio.to_thread``. An unchanged config writes nothing; a moved
session's job is rewritten with its new instant, which its delivery keys carry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

from notifier.events import Event
from notifier.jobs.ahead import fire_at_utc
from notifier.jobs.plan import reminders_of
from notifier.jobs.scheduler import REMINDER_FUNC
from notifier.records import ReminderRef


@dataclass(frozen=True)
class JobSpec:
    """One reminder job as the config wants it."""

    id: str
    run_at_utc: datetime
    grace_s: int
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def writes(self) -> int:
        return self.added + self.updated + self.removed


def job_kwargs(ref: ReminderRef) -> dict[str, Any]:
    return {
        "event_id": ref.event_id,
        "session_id": ref.session_id,
        "offset_s": ref.offset_s,
        "start_utc": ref.start_utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def ref_from_kwargs(kwargs: dict[str, Any]) -> ReminderRef:
    start = datetime.strptime(kwargs["start_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return ReminderRef(kwargs["event_id"], kwargs["session_id"], start, int(kwargs["offset_s"]))


def desired_jobs(
    events: Iterable[Event], now: datetime, ahead: timedelta = timedelta(0)
) -> dict[str, JobSpec]:
    """Jobs for every planned reminder still in the future; past ones are the catch-up's.
    Each fires ``ahead`` of its due instant (prepare ahead: ``jobs/ahead.py``)."""
    return {
        reminder.job_id: JobSpec(
            reminder.job_id,
            fire_at_utc(reminder.send_at_utc, ahead),
            int(reminder.lateness.total_seconds()),
            job_kwargs(reminder.ref),
        )
        for reminder in reminders_of(events)
        if reminder.send_at_utc > now
    }


def _same(job: Any, spec: JobSpec) -> bool:
    return bool(
        job.next_run_time == spec.run_at_utc
        and job.kwargs == spec.kwargs
        and job.misfire_grace_time == spec.grace_s
    )


def apply_jobs(scheduler: BaseScheduler, desired: dict[str, JobSpec]) -> SyncResult:
    """Make the scheduler's reminder jobs equal ``desired``. Blocking: run in a thread."""
    existing = {job.id: job for job in scheduler.get_jobs() if job.func_ref == REMINDER_FUNC}
    added = updated = unchanged = 0
    for job_id, spec in desired.items():
        job = existing.get(job_id)
        if job is not None and _same(job, spec):
            unchanged += 1
            continue
        scheduler.add_job(
            REMINDER_FUNC,
            trigger="date",
            run_date=spec.run_at_utc,
            id=job_id,
            name=job_id,
            kwargs=spec.kwargs,
            misfire_grace_time=spec.grace_s,
            replace_existing=True,
        )
        if job is None:
            added += 1
        else:
            updated += 1
    stale = existing.keys() - desired.keys()
    for job_id in stale:
        # it may have fired (and left the store) between the listing and now
        with contextlib.suppress(JobLookupError):
            scheduler.remove_job(job_id)

    return SyncResult(added, updated, len(stale), unchanged)
