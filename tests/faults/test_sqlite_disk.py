"""The embedded SQLite store on a full disk and in a read-only folder (#12): never a silent loss.

Before, a full disk at the due instant lost all 292 deliveries with no record at all. Here
``notifier run`` keeps its data folder on a small real tmpfs (tests/support/mounts.py) that the
test fills to the last byte before the reminder falls due: the fan-out must pause and say so
(``store_retry``), and send everything once the space is back. A data folder that is read-only
at start is refused with a message naming the file (exit 1, nothing sent); started again on a
writable folder, the catch-up pass sends the missed reminder within its lateness.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notifier.records import Delivery
from notifier.store import open_store
from tests.support.daemon import EVENT_ID, Workspace
from tests.support.events import soon
from tests.support.fanout import registration
from tests.support.faults import REPORT, Tally
from tests.support.mounts import fill, read_only, small_tmpfs
from tests.support.processes import Children
from tests.support.smtp import SmtpServer, start_smtp_server
from tests.support.waiting import wait_until

START_IN = timedelta(minutes=5)  # the session starts 5 min after the reminder is due
DISK_KIB = 16 * 1024
SETTLE_S = 600.0  # a deadline for 2,000 mails on a loaded 2-core machine, not a measurement


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


def _settings(smtp: SmtpServer) -> dict[str, str]:
    return {
        "NOTIFIER_SMTP_HOST": smtp.host,
        "NOTIFIER_SMTP_PORT": str(smtp.port),
        "NOTIFIER_SMTP_TLS": "none",
        "NOTIFIER_SMTP_FROM": "Reminders <reminders@example.org>",
        "NOTIFIER_SIGNING_SECRET": "faults-signing-secret-of-32-bytes-or-more",
        "NOTIFIER_RECONCILE_INTERVAL_S": "0.5",
    }


def _db_url(workspace: Workspace) -> str:
    return f"sqlite:///{workspace.root / 'data' / 'notifier.db'}"


def _register(workspace: Workspace, names: list[str]) -> None:
    async def add() -> None:
        store = await open_store(_db_url(workspace))
        try:
            for name in names:
                await store.add_registration(registration(name, event_id=EVENT_ID))
        finally:
            await store.aclose()

    asyncio.run(add())


def _deliveries(workspace: Workspace) -> list[Delivery]:
    async def read() -> list[Delivery]:
        store = await open_store(_db_url(workspace))
        try:
            return await store.list_deliveries(EVENT_ID)
        finally:
            await store.aclose()

    return asyncio.run(read())


def _settled(workspace: Workspace, people: int) -> bool:
    log = _deliveries(workspace)
    return len(log) == people and all(d.status != "claimed" for d in log)


def _count(smtp: SmtpServer, workspace: Workspace, names: list[str]) -> Tally:
    copies = smtp.handler.recipients
    log = {d.registration_id: d.status for d in _deliveries(workspace)}
    return Tally(
        expected=len(names),
        once=sum(copies[f"{n}@example.org"] == 1 for n in names),
        duplicates=sum(max(0, copies[f"{n}@example.org"] - 1) for n in names),
        lost=sum(
            copies[f"{n}@example.org"] == 0 and log.get(n, "claimed") == "claimed" for n in names
        ),
        wrong_log=sum((copies[f"{n}@example.org"] > 0) != (log.get(n) == "sent") for n in names),
        statuses=Counter(log.values()),
    )


def _truncate_wal(db: Path) -> bool:
    """Checkpoint the WAL into the database and cut it to 0 bytes, so that from now on every
    write needs fresh blocks (a WAL it could reuse would hide the full disk for a while).
    False while the daemon's connection keeps the WAL busy."""
    conn = sqlite3.connect(db)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    return not busy


def test_a_full_disk_at_the_due_instant_pauses_the_fanout_until_space_is_back(
    tmp_path: Path, smtp: SmtpServer, fault_people: int
) -> None:
    """292 of 292 lost with no record (#12): a full disk must cost time, never a reminder."""
    names = [f"p{i:04d}" for i in range(fault_people)]
    with small_tmpfs(tmp_path / "data", DISK_KIB), Children() as children:
        workspace = Workspace.create(tmp_path, _settings(smtp), children)
        _register(workspace, names)
        due = soon(20)  # time to start and to fill the disk first, on a loaded machine
        workspace.write_event(due + START_IN, [START_IN])
        daemon = workspace.start(name="full-disk")
        daemon.wait_for("service_ready")
        wait_until(lambda: _truncate_wal(workspace.root / "data" / "notifier.db"))
        filler = workspace.root / "data" / "filler"
        fill(filler)
        assert datetime.now(UTC) < due, "the disk was filled too late for the scenario"
        wait_until(lambda: datetime.now(UTC) > due, timeout_s=30)
        # the fan-out (or the job store under it) meets the full disk, says so and waits
        daemon.wait_for("store_retry", count=5)
        mailed_while_full = len(smtp.handler.received)
        filler.unlink()
        wait_until(
            lambda: _settled(workspace, len(names)),
            timeout_s=SETTLE_S,
            poll_s=0.5,
            what=daemon.log_text,
        )
        assert daemon.stop() == 0
        result = REPORT.add(_count(smtp, workspace, names))

    assert "database or disk is full" in daemon.log_text()
    assert mailed_while_full < len(names)
    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert result.once == len(names), result
    assert result.statuses == {"sent": len(names)}


def test_a_read_only_data_folder_is_refused_at_start_and_the_reminder_sent_once_writable(
    tmp_path: Path, smtp: SmtpServer, fault_people: int
) -> None:
    """A service that ran on a read-only store would look alive and record nothing."""
    names = [f"p{i:04d}" for i in range(fault_people)]
    with Children() as children:
        workspace = Workspace.create(tmp_path, _settings(smtp), children)
        (workspace.root / "data").mkdir()
        due = soon(3)
        workspace.write_event(due + START_IN, [START_IN])
        _register(workspace, names)
        with read_only(workspace.root / "data"):
            refused = workspace.start(name="read-only")
            code = refused.wait()
        wait_until(lambda: datetime.now(UTC) > due, timeout_s=30)  # missed while refused
        writable = workspace.start(name="writable")
        wait_until(
            lambda: _settled(workspace, len(names)),
            timeout_s=SETTLE_S,
            poll_s=0.5,
            what=writable.log_text,
        )
        assert writable.stop() == 0
        result = REPORT.add(_count(smtp, workspace, names))

    assert code == 1
    assert "notifier.db: unable to open database file" in refused.log_text()
    assert "service_ready" not in refused.log_text()
    assert (result.lost, result.duplicates, result.wrong_log) == (0, 0, 0), result
    assert result.once == len(names), result
    assert result.statuses == {"sent": len(names)}
