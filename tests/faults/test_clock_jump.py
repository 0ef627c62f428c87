"""The host's wall clock jumps forward across a due instant (#12), libfaketime on ``notifier run``.

With the embedded SQLite store the local clock is the service's only clock. A step forward past
a reminder's due instant (NTP correcting a slow host, a VM resumed) means APScheduler's wait,
made on the old time, has not ended; the catch-up pass (every 0.5 s here) sees the reminder due
and decides as notifier/jobs/policy.py says: within the reminder's lateness (a quarter of its
offset: 15 min for this 1-hour reminder) it goes out, once, to everyone; past it, every
delivery is recorded ``skipped`` and nothing is sent late.

The preloaded library slows the daemon about tenfold (100 mails: 18.6 s against 1.5 s without
it, measured on the 2-core machine), so the session is an hour after the due instant and the
deadlines are long: the scenario is about the decision, not the speed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notifier.records import Delivery
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Workspace
from tests.support.events import soon
from tests.support.faketime import FakeClock
from tests.support.fanout import registration
from tests.support.faults import REPORT, Tally
from tests.support.processes import Children
from tests.support.smtp import SmtpServer, start_smtp_server
from tests.support.waiting import wait_until

OFFSET = timedelta(hours=1)  # the reminder; its lateness is 15 min
DUE_IN_S = 180  # real seconds to the due instant: the decision is made long before it comes
SETTLE_S = 600.0  # 2,000 mails under libfaketime on a loaded 2-core machine


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


def _store_call(workspace: Workspace, names: list[str] | None) -> list[Delivery]:
    """Register ``names`` (when given), then read the delivery log."""

    async def call() -> list[Delivery]:
        store = await open_store(f"sqlite:///{workspace.root / 'data' / 'notifier.db'}")
        try:
            for name in names or []:
                await store.add_registration(registration(name, event_id=EVENT_ID))
            return await store.list_deliveries(EVENT_ID)
        finally:
            await store.aclose()

    return asyncio.run(call())


@pytest.mark.parametrize(
    ("late_s", "outcome"),
    [(300, "sent"), (1200, "skipped")],
    ids=["within-lateness-sent-once", "past-lateness-skipped"],
)
def test_a_clock_jump_across_the_due_instant_sends_once_or_skips_as_the_lateness_says(
    tmp_path: Path, smtp: SmtpServer, fault_people: int, late_s: int, outcome: str
) -> None:
    """A host clock that leaps must neither drop a reminder in its window nor send one too late."""
    names = [f"p{i:04d}" for i in range(fault_people)]
    settings = {
        "NOTIFIER_SMTP_HOST": smtp.host,
        "NOTIFIER_SMTP_PORT": str(smtp.port),
        "NOTIFIER_SMTP_TLS": "none",
        "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
        "NOTIFIER_SIGNING_SECRET": "faults-signing-secret-of-32-bytes-or-more",
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
    }
    with Children() as children:
        workspace = Workspace.create(tmp_path, settings, children)
        (workspace.root / "data").mkdir()
        clock = FakeClock.create(tmp_path)
        workspace.env.update(clock.environment())
        due = soon(DUE_IN_S)
        workspace.write_event(due + OFFSET, [OFFSET])
        _store_call(workspace, names)
        daemon = workspace.start(name="clock-jump")
        daemon.wait_for("service_ready")
        assert datetime.now(UTC) < due, "the daemon started too slowly to see the jump"
        assert smtp.handler.received == []
        # the daemon's clock leaps from before the due instant to late_s past it
        clock.jump_to(int((due - datetime.now(UTC)).total_seconds()) + late_s)

        wait_until(lambda: _store_call(workspace, None), timeout_s=60, what=daemon.log_text)
        assert datetime.now(UTC) < due, "decided on the real clock, not the jumped one"

        def settled() -> bool:
            log = _store_call(workspace, None)
            return len(log) == len(names) and all(d.status == outcome for d in log)

        wait_until(settled, timeout_s=SETTLE_S, poll_s=1.0, what=daemon.log_text)
        assert daemon.stop() == 0
        log = {d.registration_id: d.status for d in _store_call(workspace, None)}

    copies = smtp.handler.recipients
    result = REPORT.add(
        Tally(
            expected=len(names),
            once=sum(copies[f"{n}@example.org"] == 1 for n in names),
            duplicates=sum(max(0, copies[f"{n}@example.org"] - 1) for n in names),
            lost=sum(
                copies[f"{n}@example.org"] == 0 and log.get(n) in (None, "claimed") for n in names
            ),
            wrong_log=sum(
                (copies[f"{n}@example.org"] > 0) != (log.get(n) == "sent") for n in names
            ),
            statuses=Counter(log.values()),
        )
    )
    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert result.statuses == {outcome: len(names)}
    assert result.once == (len(names) if outcome == "sent" else 0)
    assert daemon.count("reminder_fanout_done") + daemon.count("reminder_skipped") == 1
