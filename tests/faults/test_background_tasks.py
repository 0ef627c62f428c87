"""Nothing dies silently (#12, item 8): the scheduler thread survives a job another replica
removed first, the catch-up loop survives a Redis outage and /readyz shows its stale beat, a
crashed task is started again, and a host whose clock is off refuses readiness."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from structlog.testing import capture_logs

from notifier.jobs.scheduler import REMINDER_FUNC, make_jobstore, make_scheduler
from notifier.service import open_service
from notifier.service.health import supervise
from tests.support.daemon import Workspace, http_json, metrics_text
from tests.support.events import redis_service_settings
from tests.support.ports import HOST
from tests.support.redis import RedisServer
from tests.support.waiting import until, wait_until

FAST_BY = timedelta(seconds=150)


class OtherReplica(BaseExecutor):  # type: ignore[misc]  # APScheduler ships no type hints
    """Runs a job as a second replica would: it takes the job out of the shared store first,
    so the scheduler's own removal right after finds nothing (JobLookupError)."""

    def __init__(self, remove: Callable[[str], None]) -> None:
        super().__init__()
        self._remove = remove
        self.ran: list[str] = []

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        self._remove(job.id)
        self.ran.append(job.id)
        self._run_job_success(job.id, [])


async def test_scheduler_thread_survives_a_one_off_job_removed_by_another_replica(
    start_redis_server: Callable[..., RedisServer],
) -> None:
    """Replicas firing the same one-off jobs killed the scheduler thread; /readyz stayed 200."""
    server = start_redis_server()
    jobstore = make_jobstore(server.url)
    fired: list[dict[str, Any]] = []
    beats: list[float] = []
    scheduler = make_scheduler(
        jobstore, asyncio.get_running_loop(), fired.append, beat=lambda: beats.append(1.0)
    )
    replica = OtherReplica(jobstore.remove_job)
    scheduler.add_executor(replica, "replica")
    scheduler.start()
    try:
        soon = datetime.now(UTC) + timedelta(milliseconds=200)
        scheduler.add_job(REMINDER_FUNC, "date", run_date=soon, id="shared", executor="replica")
        with capture_logs() as logs:
            await until(lambda: replica.ran == ["shared"])
            await until(lambda: any(e["event"] == "job_already_removed" for e in logs))
        thread = scheduler._thread
        assert isinstance(thread, threading.Thread)
        assert thread.is_alive()
        beats.clear()
        later = datetime.now(UTC) + timedelta(milliseconds=200)
        scheduler.add_job(REMINDER_FUNC, "date", run_date=later, id="next", kwargs={"n": 2})
        await until(lambda: fired == [{"n": 2}])  # the same thread goes on firing jobs
        await until(lambda: beats)
    finally:
        await asyncio.to_thread(scheduler.shutdown, wait=True)
        jobstore.shutdown()


def test_catch_up_loop_survives_a_redis_outage_and_readyz_shows_its_stale_beat(
    fault_workspace: Workspace, start_redis_server: Callable[..., RedisServer]
) -> None:
    """Redis down over a catch-up tick ended the loop, with nothing logged and /readyz 200."""
    server = start_redis_server("--appendonly", "yes")  # persistent: it comes back whole
    fault_workspace.env["NOTIFIER_STORE_URL"] = server.url
    port = fault_workspace.use_http_port()
    fault_workspace.write_event(datetime.now(UTC) + timedelta(hours=2), [timedelta(hours=1)])
    daemon = fault_workspace.start()
    daemon.wait_for("service_ready")
    readyz = f"http://{HOST}:{port}/readyz"
    wait_until(lambda: http_json("GET", readyz)[0] == 200, what=daemon.log_text)
    assert re.search(
        r'notifier_task_last_beat_seconds\{task="catch_up"\} 1\.\d+e\+09', metrics_text(port)
    )

    server.stop()
    daemon.wait_for("reconcile_failed", count=2)
    body = wait_until(
        lambda: (
            (answer := http_json("GET", readyz)[1])["checks"].get("task_catch_up") is False
            and answer
        ),
        timeout_s=40,
        what=daemon.log_text,
    )
    assert body["status"] == "not_ready"
    server.start()
    wait_until(lambda: http_json("GET", readyz)[0] == 200, timeout_s=40, what=daemon.log_text)
    assert daemon.process.poll() is None
    assert daemon.count("store_data_lost") == 0, "an AOF Redis comes back with its data"


async def test_a_crashed_background_task_is_logged_and_started_again() -> None:
    """A task that raised was gone for good, and nothing said so."""
    stop = asyncio.Event()
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("boom")
        await stop.wait()

    with capture_logs() as logs:
        task = asyncio.create_task(supervise("flaky", flaky, stop))
        await until(lambda: len(runs) == 2)
        stop.set()
        await task
    crashed = [e for e in logs if e["event"] == "background_task_crashed"]
    assert crashed[0]["task"] == "flaky"
    assert "boom" in crashed[0]["error"]


async def test_a_host_clock_off_by_150_s_refuses_readiness_and_due_times_follow_redis(
    tmp_path: Path, start_redis_server: Callable[..., RedisServer]
) -> None:
    """One replica 150 s fast recorded 300 deliveries `skipped` 40 s before the due time."""
    server = start_redis_server()
    settings = redis_service_settings(tmp_path, server.url)
    with capture_logs() as logs:
        async with open_service(
            settings, local_clock=lambda: datetime.now(UTC) + FAST_BY
        ) as service:
            checks = await service.readiness()
            now = service.deps.clock()
    assert checks["clock_skew"] is False
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5), "the service reads Redis time"
    skewed = [e for e in logs if e["event"] == "clock_skewed"]
    assert 145 < skewed[0]["skew_s"] < 155


async def test_a_job_fired_by_a_fast_host_clock_waits_for_the_store_due_time(
    tmp_path: Path, start_redis_server: Callable[..., RedisServer]
) -> None:
    """APScheduler wakes on the host's clock: 150 s fast, its jobs fired 150 s early."""
    server = start_redis_server()
    settings = redis_service_settings(tmp_path, server.url)
    async with open_service(settings, local_clock=lambda: datetime.now(UTC) + FAST_BY) as service:
        (job,) = await asyncio.to_thread(service.scheduler.get_jobs)
        with capture_logs() as logs:
            service.on_job_fired(dict(job.kwargs))
        assert not service.in_flight, "sent 150 s before the store's clock says it is due"
        (early,) = [e for e in logs if e["event"] == "job_fired_early"]
        assert 145 < early["deferred_s"] < 155
