"""A Redis that forgets is detected (#12, item 5): refused at start when it keeps no AOF, and a
store that comes back empty or from an older snapshot fails /readyz, logs, sets a metric and
gets its jobs rebuilt at once. Real redis-server processes and ``notifier run`` processes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from structlog.testing import capture_logs

from notifier.service import open_service
from notifier.settings import Settings
from tests.support.daemon import Workspace, http_json, metrics_text
from tests.support.events import redis_service_settings
from tests.support.ports import HOST
from tests.support.redis import RedisServer
from tests.support.waiting import wait_until

JOBS_KEY = "notifier:apscheduler.jobs"
IN_AN_HOUR = timedelta(hours=1)


def _settings(tmp_path: Path, store_url: str) -> Settings:
    # the scenario: a trial Redis (allowed volatile) that then forgets; the test runs the checks
    return redis_service_settings(
        tmp_path, store_url, reminders=(IN_AN_HOUR,), reconcile_interval_s=3600
    )


def _job_count(url: str) -> int:
    with Redis.from_url(url) as redis:
        return int(redis.hlen(JOBS_KEY))


async def test_redis_restarted_empty_is_detected_reported_and_jobs_rebuilt(
    tmp_path: Path, start_redis_server: Callable[..., RedisServer]
) -> None:
    """A Redis restarted without persistence forgot every registration while /readyz said 200."""
    server = start_redis_server()
    async with open_service(_settings(tmp_path, server.url)) as service:
        assert _job_count(server.url) == 1
        assert (await service.readiness())["store_data_intact"]
        server.kill()
        server.start()  # no AOF, no snapshot: empty
        assert _job_count(server.url) == 0
        with capture_logs() as logs:
            await service.check_store()
        lost = [e for e in logs if e["event"] == "store_data_lost"]
        assert lost, logs
        assert lost[0]["how"] == "came back empty"
        assert lost[0]["log_level"] == "error"
        checks = await service.readiness()
        assert checks["store_data_intact"] is False
        assert checks["store"], "the store answers: the check names the loss, not an outage"
        assert b"notifier_store_data_lost 1.0" in service.deps.metrics.render()
        assert _job_count(server.url) == 1, "jobs are rebuilt from the event files at once"
        await service.check_store()
        assert (await service.readiness())["store_data_intact"] is False, "stays until restart"


async def test_redis_back_from_an_older_snapshot_is_detected_as_rolled_back(
    tmp_path: Path, start_redis_server: Callable[..., RedisServer]
) -> None:
    """A Redis restarted from an older RDB snapshot sent 500 reminders a second time."""
    server = start_redis_server()
    async with open_service(_settings(tmp_path, server.url)) as service:
        assert server.command("SAVE") == "+OK"  # the snapshot the server comes back from
        await service.check_store()
        await service.check_store()
        server.kill()
        server.start()
        with capture_logs() as logs:
            await service.check_store()
        lost = [e for e in logs if e["event"] == "store_data_lost"]
        assert lost, logs
        assert lost[0]["how"] == "rolled back to an older state"
        assert (await service.readiness())["store_data_intact"] is False


def test_a_volatile_redis_is_refused_at_start_unless_allowed(
    fault_workspace: Workspace, start_redis_server: Callable[..., RedisServer]
) -> None:
    """A Redis without AOF loses every registration on restart: the service must say so."""
    server = start_redis_server()  # --appendonly no
    fault_workspace.env["NOTIFIER_STORE_URL"] = server.url
    fault_workspace.write_event(datetime.now(UTC) + 2 * IN_AN_HOUR, [IN_AN_HOUR])
    refused = fault_workspace.notifier("run", "--until-idle")
    assert refused.returncode != 0
    assert "appendonly" in refused.stderr
    assert "NOTIFIER_REDIS_ALLOW_VOLATILE" in refused.stderr

    persistent = start_redis_server("--appendonly", "yes")
    fault_workspace.env["NOTIFIER_STORE_URL"] = persistent.url
    daemon = fault_workspace.start()
    daemon.wait_for("service_ready")
    assert daemon.count("store_not_persistent") == 0


def test_a_running_daemon_reports_a_redis_that_came_back_empty(
    fault_workspace: Workspace, start_redis_server: Callable[..., RedisServer]
) -> None:
    """The whole path as ops see it: log line, /readyz 503 naming the check, metric, jobs."""
    server = start_redis_server()
    fault_workspace.env["NOTIFIER_STORE_URL"] = server.url
    fault_workspace.env["NOTIFIER_REDIS_ALLOW_VOLATILE"] = "true"
    port = fault_workspace.use_http_port()
    fault_workspace.write_event(datetime.now(UTC) + 2 * IN_AN_HOUR, [IN_AN_HOUR])
    daemon = fault_workspace.start()
    daemon.wait_for("service_ready")
    readyz = f"http://{HOST}:{port}/readyz"
    wait_until(lambda: http_json("GET", readyz)[0] == 200, what=daemon.log_text)
    server.kill()
    server.start()
    daemon.wait_for("store_data_lost")

    def not_ready() -> dict[str, Any] | None:
        status, body = http_json("GET", readyz)
        return body if status == 503 else None

    body = wait_until(not_ready, what=daemon.log_text)
    assert body["checks"]["store_data_intact"] is False, body
    assert "notifier_store_data_lost 1.0" in metrics_text(port)
    wait_until(lambda: _job_count(server.url) == 1, what=daemon.log_text)
