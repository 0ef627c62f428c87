"""`notifier run` with its store on a real three-master Redis Cluster.

Jobs (APScheduler's two keys under one hash tag), registrations, claims and the delivery log
all live on the cluster; two replicas fire the same reminder and it is sent once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from notifier.records import Delivery
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Workspace
from tests.support.events import soon
from tests.support.smtp import SmtpServer

START_IN = timedelta(minutes=5)
DUE_IN_S = 6.0  # both replicas are up and have synced the job before it comes due


def _deliveries(url: str) -> list[Delivery]:
    async def read() -> list[Delivery]:
        store = await open_store(url)
        try:
            return await store.list_deliveries(EVENT_ID)
        finally:
            await store.aclose()

    return asyncio.run(read())


def test_two_replicas_on_a_redis_cluster_send_the_reminder_once(
    workspace: Workspace, smtp: SmtpServer, redis_cluster_url: str
) -> None:
    """The daemon works against a cluster end to end, and the claim still lets one replica send.

    No NOTIFIER_REDIS_ALLOW_VOLATILE: every master runs with AOF, and the start-up check of
    each master's persistence must pass on its own."""
    workspace.env["NOTIFIER_STORE_URL"] = redis_cluster_url
    start = soon(DUE_IN_S) + START_IN
    workspace.write_event(start, [START_IN])
    done = workspace.notifier(
        "register", "add", EVENT_ID, "--email", "ada@example.org", "--tz", "Asia/Tokyo"
    )
    assert done.returncode == 0, done.stderr
    replicas = [workspace.start("--until-idle", name=f"replica-{n}") for n in range(2)]
    for replica in replicas:
        assert replica.wait() == 0, replica.log_text()
    assert [r.rcpt_tos for r in smtp.handler.received] == [["ada@example.org"]]
    (delivery,) = _deliveries(redis_cluster_url)
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert sum(replica.count("reminder_sent") for replica in replicas) == 1
