"""APScheduler 3, kept off the event loop.

Two traps shape this module:

* ``RedisJobStore`` (and the SQLAlchemy store) are synchronous, and ``AsyncIOScheduler`` calls
  its job store on the event loop, so every add/remove would block it (apscheduler #972). Here
  the scheduler is a ``BackgroundScheduler`` in its own thread; the loop changes the job set
  only through ``asyncio.to_thread`` (see :mod:`notifier.jobs.sync`).
* Due jobs must run on the loop. :class:`LoopExecutor` hands each fired job's kwargs to the loop
  with ``call_soon_threadsafe``; persisted jobs name :func:`reminder_due`, which is never
  called. A one-off job leaves its store when handed over, so a crash right then loses it:
  the daemon's reconcile pass covers that (every due reminder without a fan-out record fires).
* APScheduler's pass hands due jobs over one at a time, each after the previous one's
  removal from the job store (a write, from this thread, under the loop's load): the tenth of
  ten reminders due together went out 200 ms after the first (issue #15's due → send row).
  :class:`GuardedScheduler` hands every due job to the loop first; the pass then removes them.

The scheduler thread must never die (#12): with replicas sharing one job store, a one-off job
fired by two of them is removed by the first, and APScheduler's ``_process_jobs`` lets the
second's ``JobLookupError`` end the thread. :class:`GuardedScheduler` treats that as done,
survives any other error of a pass, and beats at least every ``SCHEDULER_BEAT_S``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import structlog
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED

from notifier.jobs._cluster_jobstore import ClusterJobStore

REMINDER_FUNC = "notifier.jobs.scheduler:reminder_due"
Dispatch = Callable[[dict[str, Any]], None]
Beat = Callable[[], None]
LOOP_EXECUTOR = "default"  # the executor every reminder job names (APScheduler's default)
SCHEDULER_BEAT_S = 5.0  # the thread wakes (and beats) at least this often, jobs or none
PASS_RETRY_S = 1.0  # after a pass that failed

log = structlog.get_logger("notifier.scheduler")


def reminder_due(**kwargs: Any) -> None:
    """Marker that persisted reminder jobs point to; :class:`LoopExecutor` runs them instead."""
    raise RuntimeError("reminder jobs run through notifier's LoopExecutor, not directly")


class LoopExecutor(BaseExecutor):  # type: ignore[misc]  # APScheduler ships no type hints
    """Hands fired jobs to the asyncio loop; never runs anything in the scheduler's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, dispatch: Dispatch) -> None:
        super().__init__()
        self._loop = loop
        self._dispatch = dispatch
        self._handed: set[str] = set()  # this pass's jobs handed over ahead of it

    def hand_over(self, job: Job) -> None:
        """Dispatch ``job`` now; the pass that follows submits it without dispatching again."""
        self._handed.add(job.id)
        self._loop.call_soon_threadsafe(self._dispatch, dict(job.kwargs))

    def pass_done(self) -> None:
        self._handed.clear()

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        if job.id not in self._handed:
            self._loop.call_soon_threadsafe(self._dispatch, dict(job.kwargs))
        self._run_job_success(job.id, [])


class GuardedScheduler(BackgroundScheduler):  # type: ignore[misc]  # untyped base
    """A ``BackgroundScheduler`` whose thread survives every error of a pass, and beats."""

    def __init__(self, beat: Beat, **options: Any) -> None:
        super().__init__(**options)
        self._beat = beat

    def _process_jobs(self) -> float | None:
        executor = self._lookup_executor(LOOP_EXECUTOR)
        try:
            if isinstance(executor, LoopExecutor) and self.state != STATE_PAUSED:
                self._hand_over_due(executor)
            wait_s: float | None = super()._process_jobs()
        except Exception as exc:  # the thread ends on any exception that leaves this method
            log.error("scheduler_pass_failed", error=f"{type(exc).__name__}: {exc}"[:500])
            return PASS_RETRY_S
        finally:
            if isinstance(executor, LoopExecutor):
                executor.pass_done()
        self._beat()
        return SCHEDULER_BEAT_S if wait_s is None else min(wait_s, SCHEDULER_BEAT_S)

    def _hand_over_due(self, executor: LoopExecutor) -> None:
        """Every job due now to the loop, as the pass would (it leaves misfire grace times to
        the executor, and :class:`LoopExecutor` runs late jobs too: the fan-out judges)."""
        now = datetime.now(self.timezone)
        with self._jobstores_lock:
            for jobstore in self._jobstores.values():
                try:
                    due = jobstore.get_due_jobs(now)
                except Exception:  # the store is down: the pass meets it, logs it and waits
                    due = []
                for job in due:
                    if job.executor == LOOP_EXECUTOR and job._get_run_times(now):
                        executor.hand_over(job)

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        try:
            super().remove_job(job_id, jobstore)
        except JobLookupError:
            if threading.current_thread() is not getattr(self, "_thread", None):
                raise  # a caller on the loop asked for it: it decides
            # the thread hands a one-off job over, then removes it: another replica sharing
            # the job store did both first, and the job is done either way
            log.info("job_already_removed", job=job_id)


def make_jobstore(store_url: str, prefix: str = "notifier:") -> BaseJobStore:
    """APScheduler's own store beside ours: Redis keys under the prefix (on one server or a
    cluster: the same URL as the store's), or the SQLite file."""
    parts = urlsplit(store_url)
    if parts.scheme in ("redis+cluster", "rediss+cluster"):
        hosts = parts.netloc.rpartition("@")[2].split(",")
        return ClusterJobStore(
            [(host.rpartition(":")[0], int(host.rpartition(":")[2])) for host in hosts],
            prefix,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ssl=parts.scheme == "rediss+cluster",
        )
    if parts.scheme in ("redis", "rediss"):
        # the credentials wherever redis-py reads them for our own store: user:pw@ or ?password=
        query = dict(parse_qsl(parts.query))
        password = unquote(parts.password) if parts.password else query.get("password")
        username = unquote(parts.username) if parts.username else query.get("username")
        return RedisJobStore(
            jobs_key=f"{prefix}apscheduler.jobs",
            run_times_key=f"{prefix}apscheduler.run_times",
            db=int(parts.path.strip("/") or query.get("db") or 0),
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            username=username or None,
            password=password or None,
            ssl=parts.scheme == "rediss",
            socket_timeout=10,
        )
    return SQLAlchemyJobStore(url=store_url, tablename="notifier_apscheduler_jobs")


def make_scheduler(
    jobstore: BaseJobStore,
    loop: asyncio.AbstractEventLoop,
    dispatch: Dispatch,
    beat: Beat = lambda: None,
) -> BackgroundScheduler:
    """A scheduler in its own thread, UTC only (never the host's zone), handing jobs to ``loop``;
    ``beat`` is called from that thread after every pass."""
    return GuardedScheduler(
        beat,
        jobstores={"default": jobstore},
        executors={LOOP_EXECUTOR: LoopExecutor(loop, dispatch)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=UTC,
        daemon=True,
    )
