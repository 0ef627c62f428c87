"""Due instant → first send: how late each of N reminders reaches the SMTP sink (issue #15).

Run: python -m benchmarks.due [--store URL] [-n 200] [--per-second 10]
     python -m benchmarks.due ceiling --port P --first-due T -n N --per-second K (a child)

Ours: N events of one session each, one registration each (so each fan-out reads one
registration, whatever N), and one reminder per session, due at whole seconds a few seconds
ahead (``--per-second`` of them on each second: the event file's grain, and sessions that
start together). A real ``notifier run`` (:mod:`benchmarks.daemon`: APScheduler's thread, the
loop hand-over, the store's claims, the SMTP pool) sends them to a sink that stamps each
message's arrival with ``time.time()``. Ceiling: a process with nothing but ``loop.call_at``
timers at the same instants, each sending one message of the same size with aiosmtplib over
already open connections (as many as our SMTP pool) to the same kind of sink. Lateness: the
sink's stamp minus the due instant, per reminder; p50, p99 and the largest for both, and the
daemon's CPU per reminder (/proc, from just before the first due instant). Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosmtplib

from benchmarks.ceilings import HOST, SENDER, sample_message
from benchmarks.daemon import ROOT, Stage, cpu_s, whole_seconds_ahead
from benchmarks.seeding import fill
from notifier.channels.compose import compose_email
from notifier.records import Registration
from notifier.settings import Settings
from tests.support.processes import Children, end_process
from tests.support.waiting import ConditionTimeout, wait_until

REMINDER_S = 60  # each reminder: this long before its session
LEAD_S = 8.0  # the first due instant after the daemon is started: its start-up fits in it
CEILING_LEAD_S = 2.0
CPU_FROM_S = 0.5  # the daemon's CPU is counted from this long before the first due instant
EXIT_GRACE_S = 120.0  # after the last due instant, for the daemon to send them all; to exit
SMTP_CONNECTIONS = int(Settings.model_fields["smtp_pool_size"].default)


@dataclass(frozen=True)
class Lateness:
    """Milliseconds from due instant to arrival at the sink, per reminder that arrived."""

    ms: list[float]
    missing: int
    cpu_ms: float | None = None  # the sender's CPU per reminder, from the first due instant

    def quantile(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def figures(self) -> dict[str, float | None]:
        """p50, p99 and the largest (None if nothing arrived), never-arrived, CPU per reminder."""
        return {
            "p50_ms": statistics.median(self.ms) if self.ms else None,
            "p99_ms": self.quantile(0.99) if self.ms else None,
            "max_ms": max(self.ms, default=None),
            "missing": self.missing,
            "cpu_ms": self.cpu_ms,
        }


def due_instants(first_due: datetime, n: int, per_second: int) -> list[datetime]:
    return [first_due + timedelta(seconds=i // per_second) for i in range(n)]


def address(i: int) -> str:
    return f"p{i:05d}@example.org"


def lateness(dues: list[datetime], received: dict[str, float]) -> Lateness:
    found = [
        (received[address(i)] - due.timestamp()) * 1000
        for i, due in enumerate(dues)
        if address(i) in received
    ]
    return Lateness(found, len(dues) - len(found))


def event_id(i: int) -> str:
    return f"due{i:05d}"


async def _seed(url: str, n: int) -> None:
    now = datetime.now(UTC)
    await fill(
        url,
        [
            Registration(f"r{i:05d}", event_id(i), "Asia/Tokyo", now, email=address(i))
            for i in range(n)
        ],
    )


def ours(
    folder: Path,
    store_url: str,
    n: int,
    per_second: int,
    children: Children,
    settings: dict[str, str] | None = None,
) -> Lateness:
    """The real daemon sends N reminders due from a few seconds after it is started
    (``settings``: more of its settings, e.g. ``prepare_ahead_s="0"`` to compare)."""
    stage = Stage(folder, store_url, children)
    asyncio.run(_seed(store_url, n))
    dues = due_instants(whole_seconds_ahead(LEAD_S), n, per_second)
    reminder = timedelta(seconds=REMINDER_S)
    for i, due in enumerate(dues):
        stage.write_event({"talk": due + reminder}, REMINDER_S, event_id(i))
    # not --until-idle: its idle check loads every job from the job store five times a
    # second, under the scheduler's lock; the service in production never does that
    daemon = stage.start(**(settings or {}))
    before_s = dues[0].timestamp() - CPU_FROM_S - time.time()
    wait_until(lambda: time.time() >= dues[0].timestamp() - CPU_FROM_S, timeout_s=before_s + 60)
    cpu_began = cpu_s(daemon.pid)  # start-up done: from here the CPU is the reminders'
    deadline_s = (dues[-1] - datetime.now(UTC)).total_seconds() + EXIT_GRACE_S
    try:
        wait_until(
            lambda: stage.count_received() >= n or daemon.poll() is not None,
            timeout_s=deadline_s,
            poll_s=0.1,
        )
    except ConditionTimeout:
        print(
            f"  {n - stage.count_received()} reminders not sent in {deadline_s:.0f} s",
            file=sys.stderr,
        )
    cpu_ms = (cpu_s(daemon.pid) - cpu_began) * 1000 / n
    end_process(daemon, grace_s=EXIT_GRACE_S)
    ready = _logged_at(stage.log, "service_ready")
    if ready is None or ready > dues[0]:
        print(f"  the daemon was ready at {ready}, after the first due instant", file=sys.stderr)
    return replace(lateness(dues, stage.received()), cpu_ms=cpu_ms)


def _logged_at(log: Path, event: str) -> datetime | None:
    for line in log.read_text("utf-8", errors="replace").splitlines():
        if line.startswith("{") and f'"event":"{event}"' in line:
            return datetime.fromisoformat(json.loads(line)["timestamp"])
    return None


def ceiling(folder: Path, n: int, per_second: int, children: Children) -> Lateness:
    """Raw timers and aiosmtplib, same instants pattern, same kind of sink."""
    stage = Stage(folder, "", children)
    first_due = whole_seconds_ahead(CEILING_LEAD_S)
    argv = ["ceiling", "--port", str(stage.smtp_port), "--first-due", str(first_due.timestamp())]
    argv += ["-n", str(n), "--per-second", str(per_second)]
    done = children.run([sys.executable, "-m", "benchmarks.due", *argv], cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"the due ceiling failed:\n{done.stderr.decode()[-3000:]}")
    return lateness(due_instants(first_due, n, per_second), stage.received())


async def _raw_timers(port: int, first_due: datetime, n: int, per_second: int) -> None:
    data = compose_email(
        sample_message(), sender=SENDER, public_base_url="https://reminders.example.org"
    ).as_bytes()
    pool: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
    for _ in range(SMTP_CONNECTIONS):
        client = aiosmtplib.SMTP(hostname=HOST, port=port, start_tls=False)
        await client.connect()
        pool.put_nowait(client)
    loop = asyncio.get_running_loop()
    sends: list[asyncio.Task[None]] = []

    async def send(i: int) -> None:
        client = await pool.get()
        try:
            await client.sendmail(SENDER, [address(i)], data)
        finally:
            pool.put_nowait(client)

    def fire(i: int) -> None:
        sends.append(asyncio.create_task(send(i)))

    for i, due in enumerate(due_instants(first_due, n, per_second)):
        loop.call_at(loop.time() + due.timestamp() - time.time(), fire, i)
    while len(sends) < n:
        await asyncio.sleep(0.05)
    await asyncio.gather(*sends)
    for _ in range(SMTP_CONNECTIONS):
        await (await pool.get()).quit()


def measure(
    store_url: str, n: int, per_second: int, settings: dict[str, str] | None = None
) -> dict[str, Any]:
    """Both sides, the ceiling first; the figures as the suite prints and stores them."""
    with tempfile.TemporaryDirectory(prefix="notifier-due-") as folder, Children() as children:
        raw = ceiling(Path(folder) / "ceiling", n, per_second, children)
        ours_ = ours(Path(folder) / "ours", store_url, n, per_second, children, settings)
    return {
        "n": n,
        "per_second": per_second,
        "store": store_url.split(":", 1)[0],
        "ours": ours_.figures(),
        "ceiling": raw.figures(),
    }


def line(row: dict[str, Any]) -> str:
    ours_, raw = row["ours"], row["ceiling"]
    above = None if None in (ours_["p99_ms"], raw["p99_ms"]) else ours_["p99_ms"] - raw["p99_ms"]
    missing = f"  ({ours_['missing']} never arrived)" if ours_["missing"] else ""
    return (
        f"due->send {row['store']:<6} {row['n']:>4} reminders ({row['per_second']}/s)  "
        f"ours p50 {_ms(ours_['p50_ms'])} p99 {_ms(ours_['p99_ms'])} max {_ms(ours_['max_ms'])}, "
        f"CPU {_ms(ours_['cpu_ms'])} each  |  timer+aiosmtplib p50 {_ms(raw['p50_ms'])} "
        f"p99 {_ms(raw['p99_ms'])}  |  p99 above ceiling {_ms(above, '+')}" + missing
    )


def _ms(value: float | None, sign: str = "") -> str:
    return "n/a" if value is None else f"{value:{sign}6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", choices=("row", "ceiling"), default="row")
    parser.add_argument("--store", help="store URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--per-second", type=int, default=10)
    parser.add_argument("--port", type=int)
    parser.add_argument("--first-due", type=float)
    parser.add_argument(
        "--prepare-ahead-s", help="the daemon's NOTIFIER_PREPARE_AHEAD_S (0: off; default 2)"
    )
    args = parser.parse_args()
    if args.step == "ceiling":
        first_due = datetime.fromtimestamp(args.first_due, UTC)
        asyncio.run(_raw_timers(args.port, first_due, args.n, args.per_second))
        return
    with tempfile.TemporaryDirectory(prefix="notifier-due-db-") as folder:
        url = args.store or f"sqlite:///{folder}/notifier.db"
        more = {} if args.prepare_ahead_s is None else {"prepare_ahead_s": args.prepare_ahead_s}
        print(line(measure(url, args.n, args.per_second, more)), flush=True)


if __name__ == "__main__":
    main()
