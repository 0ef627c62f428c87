"""SIGTERM → exit with a fan-out in flight: how long the daemon takes, and what it hands back.

Run: python -m benchmarks.sigterm [--store URL] [-n 100000]

A real ``notifier run`` (:mod:`benchmarks.daemon`) with N registrations following one session
whose reminder comes due a few seconds after start. Once the stamping sink has the first
message, and ``--after-s`` later, the daemon gets SIGTERM; the row is the seconds from the
signal to its exit, beside the drain time it is given (``shutdown_timeout_s``), and the counts
after it: messages the sink received, deliveries the store holds ``sent``, ``claimed`` (each
must carry a lease, so the catch-up pass retakes it when it runs out) or otherwise, and how
many registrations have no delivery record (never claimed, or handed back). Peak RSS is the
daemon's ``VmHWM`` read from /proc while it runs. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.daemon import EVENT_ID, Stage, whole_seconds_ahead
from benchmarks.fanout import registration
from benchmarks.seeding import fill
from notifier.settings import Settings
from notifier.store import open_store
from tests.support.processes import Children, end_process
from tests.support.waiting import ConditionTimeout, wait_until

REMINDER_S = 600
LEAD_S = 8.0  # the due instant after the daemon is started: its start-up fits in it
AFTER_FIRST_S = 0.5  # SIGTERM this long after the first message reached the sink
FIRST_SEND_DEADLINE_S = 300.0
DRAIN_S = float(Settings.model_fields["shutdown_timeout_s"].default)
EXIT_DEADLINE_S = DRAIN_S + 60.0  # past this the row reports a hang and the process is killed


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident memory (``VmHWM``), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text("ascii")
    except OSError:
        return 0.0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


async def _seed(url: str, n: int) -> None:
    await fill(url, [registration(i, "email", "") for i in range(n)])


async def _counts(url: str, n: int, started: datetime) -> dict[str, Any]:
    """What the store holds after the exit: deliveries by status, leases, the fan-out."""
    store = await open_store(url)
    try:
        deliveries = await store.list_deliveries(EVENT_ID)
        fanouts = [await store.get_fanout(d.ref) for d in deliveries[:1]]
    finally:
        await store.aclose()
    statuses = Counter(d.status for d in deliveries)
    claimed = [d for d in deliveries if d.status == "claimed"]
    return {
        "records": dict(statuses),
        "claimed_without_lease": sum(1 for d in claimed if d.lease_until is None),
        "claimed_lease_ends_s": max(
            ((d.lease_until - started).total_seconds() for d in claimed if d.lease_until),
            default=None,
        ),
        "no_record": n - len({d.registration_id for d in deliveries}),
        "fanout": fanouts[0].status if fanouts and fanouts[0] else None,
    }


def measure(store_url: str, n: int, after_s: float = AFTER_FIRST_S) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="notifier-sigterm-") as folder, Children() as children:
        stage = Stage(Path(folder), store_url, children)
        seed_began = time.perf_counter()
        asyncio.run(_seed(store_url, n))
        seed_s = time.perf_counter() - seed_began
        due = whole_seconds_ahead(LEAD_S)
        stage.write_event({"talk": due + timedelta(seconds=REMINDER_S)}, REMINDER_S)
        daemon = stage.start()
        peak = [0.0]

        def exited() -> bool:
            peak[0] = max(peak[0], peak_rss_mib(daemon.pid))
            return daemon.poll() is not None

        def received(count: int) -> bool:
            return exited() or stage.count_received() >= count

        try:
            wait_until(lambda: received(1), timeout_s=FIRST_SEND_DEADLINE_S, poll_s=0.01)
            first_s: float | None = time.time() - due.timestamp()
            until = time.monotonic() + after_s
            wait_until(lambda: received(n) or time.monotonic() >= until, poll_s=0.01)
        except ConditionTimeout:
            first_s = None  # nothing arrived: the row says so
        at_signal = stage.count_received()
        daemon.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        try:
            wait_until(exited, timeout_s=EXIT_DEADLINE_S, poll_s=0.01)
            exit_s: float | None = time.monotonic() - signalled
        except ConditionTimeout:
            exit_s = None  # a hang: the row says so
        code = end_process(daemon)
        counts = asyncio.run(_counts(store_url, n, datetime.now(UTC)))
        return {
            "n": n,
            "store": store_url.split(":", 1)[0],
            "seed_s": seed_s,
            "first_send_s": first_s,
            "received_at_signal": at_signal,
            "exit_s": exit_s,
            "exit_code": code,
            "drain_s": DRAIN_S,
            "received": stage.count_received(),
            "peak_rss_mib": peak[0],
            **counts,
        }


def line(row: dict[str, Any]) -> str:
    records = row["records"]
    exit_s = f"{row['exit_s']:5.2f} s" if row["exit_s"] is not None else "HANG"
    first = f"{row['first_send_s']:5.2f} s" if row["first_send_s"] is not None else "none"
    return (
        f"sigterm  {row['store']:<6} {row['n']:>7,}  first send {first}, "
        f"SIGTERM at {row['received_at_signal']:,} received -> exit {exit_s} (code "
        f"{row['exit_code']}; drain time {row['drain_s']:.0f} s)  peak RSS "
        f"{row['peak_rss_mib']:.0f} MiB  |  sink {row['received']:,}, store sent "
        f"{records.get('sent', 0):,}, claimed {records.get('claimed', 0):,} (without lease "
        f"{row['claimed_without_lease']}), other {_other(records)}, no record "
        f"{row['no_record']:,}; fan-out {row['fanout']}"
    )


def _other(records: dict[str, int]) -> str:
    rest = {k: v for k, v in records.items() if k not in ("sent", "claimed")}
    return ", ".join(f"{k} {v:,}" for k, v in rest.items()) or "0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--after-s", type=float, default=AFTER_FIRST_S)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="notifier-sigterm-db-") as folder:
        url = args.store or f"sqlite:///{folder}/notifier.db"
        print(line(measure(url, args.n, args.after_s)), flush=True)


if __name__ == "__main__":
    main()
