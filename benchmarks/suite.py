"""The benchmark suite: every row of issue #15's table, ours beside the raw library, one run.

Run: python -m benchmarks [--quick] [--sizes 1000,10000,100000] [--json PATH] [--plot PATH]

For each N and store (Redis, SQLite) and channel (email, webhook) it seeds N registrations, runs
one real fan-out (:mod:`benchmarks.fanout`) and, in the same run, the raw library against the same
peer with the same connection count (:mod:`benchmarks.ceilings`): aiosmtplib with the SMTP pool
size, aiohttp with the send concurrency. Every measured side is a process of its own, and so are
the SMTP sink and the HTTP receiver (:mod:`benchmarks.sinks`) and a private redis-server, all
ended when the suite ends. Then the CLI cold start, time-expression and parser rows run their
own scripts. Two rows run the daemon itself (``notifier run``, a process of its own, against
the suite's stores): due instant → first send over many reminders against raw timers
(:mod:`benchmarks.due`), and SIGTERM → exit with a large fan-out in flight
(:mod:`benchmarks.sigterm`). Figures only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks import due, sigterm
from notifier.settings import Settings
from tests.support.processes import Children
from tests.support.redis import RedisServer, find_redis_server

ROOT = Path(__file__).resolve().parent.parent
QUICK_SIZES = (500,)
QUICK_DUE = 50  # reminders in the due row with --quick (200 otherwise)
QUICK_SIGTERM = 2_000  # registrations in the SIGTERM row with --quick
ROWS = ("send", "due", "sigterm", "scripts")
DEFAULT_SIZES = (1_000, 10_000)
CHILD_TIMEOUT_S = 3600.0
_DEFAULTS = Settings.model_fields
SMTP_CONNECTIONS = int(_DEFAULTS["smtp_pool_size"].default)  # what ours opens by default
HTTP_IN_FLIGHT = int(_DEFAULTS["send_concurrency"].default)


@dataclass(frozen=True)
class Row:
    channel: str  # email or webhook
    store: str  # redis or sqlite
    n: int
    ours_per_s: float
    ours_cpu_ms: float
    ours_rss_mib: float
    first_send_s: float | None
    sent: int
    ceiling_per_s: float
    ceiling_cpu_ms: float
    ceiling_rss_mib: float
    # webhook rows: the channel's own HTTP/1.1 client alone (ceilings http1), beside aiohttp's
    transport_per_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours_per_s / self.ceiling_per_s if self.ceiling_per_s else 0.0

    def line(self) -> str:
        library = (
            f"aiosmtplib x{SMTP_CONNECTIONS}"
            if self.channel == "email"
            else (f"aiohttp x{HTTP_IN_FLIGHT}")
        )
        first = f"{self.first_send_s:5.2f} s" if self.first_send_s is not None else "  n/a  "
        return (
            f"{self.channel:<7} {self.store:<6} {self.n:>7,}  ours {self.ours_per_s:7,.0f}/s "
            f"{self.ours_cpu_ms:5.2f} ms CPU {self.ours_rss_mib:5.0f} MiB first {first}  |  "
            f"{library:<14} {self.ceiling_per_s:7,.0f}/s {self.ceiling_cpu_ms:5.2f} ms CPU "
            f"{self.ceiling_rss_mib:4.0f} MiB  |  ratio {self.ratio:4.2f}"
            + (
                ""
                if self.transport_per_s is None
                else f"  |  own client alone {self.transport_per_s:7,.0f}/s"
            )
            + ("" if self.sent == self.n else f"  (sent {self.sent} of {self.n})")
        )


class Suite:
    """The peers and the redis-server of one run; :meth:`close` ends every child."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.children = Children()
        self.smtp_port = self._sink("smtp")
        self.http_port = self._sink("http")
        self.redis = RedisServer(find_redis_server(), folder, self.children)
        self.redis.start()

    def close(self) -> None:
        self.redis.stop()
        self.children.end_all()

    def _sink(self, kind: str) -> int:
        process = self.children.popen(
            [sys.executable, "-m", "benchmarks.sinks", kind], stdout=subprocess.PIPE, cwd=ROOT
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("port "):
            raise RuntimeError(f"the {kind} sink did not start: {line!r}")
        return int(line.split()[1])

    def child(self, *argv: str) -> dict[str, Any]:
        """Run one measured process; its last stdout line is its JSON result."""
        done = self.children.run([sys.executable, "-m", *argv], timeout_s=CHILD_TIMEOUT_S, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed:\n{done.stderr.decode()[-3000:]}")
        return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))

    def store_url(self, store: str, tag: str) -> str:
        if store == "redis":
            self.redis.command("FLUSHALL")
            return self.redis.url
        path = self.folder / f"{tag}.db"
        for stale in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            stale.unlink(missing_ok=True)  # each run seeds a fresh file (--repeats above 1)
        return f"sqlite:///{path}"

    def fanout(self, channel: str, store: str, n: int, ceiling: dict[str, Any]) -> Row:
        url = self.store_url(store, f"{channel}-{n}")
        common = ["--store", url, "--channel", channel, "-n", str(n)]
        common += ["--smtp-port", str(self.smtp_port)]
        common += ["--webhook-url", f"http://127.0.0.1:{self.http_port}/hook"]
        self.child("benchmarks.fanout", "seed", *common)
        ours = self.child("benchmarks.fanout", "run", *common)
        return Row(
            channel,
            store,
            n,
            ours["per_s"],
            ours["cpu_ms"],
            ours["rss_mib"],
            ours["first_send_s"],
            ours["sent"],
            ceiling["per_s"],
            ceiling["cpu_ms"],
            ceiling["rss_mib"],
        )

    def ceiling(self, channel: str, n: int, kind: str | None = None) -> dict[str, Any]:
        """The raw library's run (``kind``: ``http1`` for the webhook channel's own client)."""
        if channel == "email":
            where = ["smtp", "--port", str(self.smtp_port), "--connections", str(SMTP_CONNECTIONS)]
        else:
            where = [kind or "http", "--port", str(self.http_port)]
            where += ["--connections", str(HTTP_IN_FLIGHT)]
        return self.child("benchmarks.ceilings", *where, "-n", str(n))


def send_rows(
    suite: Suite,
    sizes: tuple[int, ...],
    stores: tuple[str, ...],
    repeats: int,
    channels: tuple[str, ...] = ("email", "webhook"),
) -> list[Row]:
    """Each row the median of ``repeats`` runs, ceiling and ours alternating (A B A B …), so
    a busy neighbour on a shared machine slows both alike."""
    rows = []
    print("fan-out of one reminder to N registrations; ceiling: the raw library, same peer;")
    print(f"medians of {repeats} run(s), ours and the ceiling alternating")
    for n in sizes:
        for channel in channels:
            runs: dict[str, list[Row]] = {store: [] for store in stores}
            for _ in range(repeats):
                for store in stores:
                    ceiling = suite.ceiling(channel, n)
                    row = suite.fanout(channel, store, n, ceiling)
                    if channel == "webhook":
                        alone = suite.ceiling(channel, n, "http1")["per_s"]
                        row = replace(row, transport_per_s=alone)
                    runs[store].append(row)
            for store in stores:
                row = _median(runs[store])
                print(row.line(), flush=True)
                rows.append(row)
    return rows


_FIGURES = [
    "ours_per_s",
    "ours_cpu_ms",
    "ours_rss_mib",
    "ceiling_per_s",
    "ceiling_cpu_ms",
    "ceiling_rss_mib",
]


def _median(runs: list[Row]) -> Row:
    """Each figure's median over the runs (first send: over the runs that had one)."""
    firsts = [r.first_send_s for r in runs if r.first_send_s is not None]
    numbers = {name: statistics.median(getattr(r, name) for r in runs) for name in _FIGURES}
    alone = [r.transport_per_s for r in runs if r.transport_per_s is not None]
    numbers["transport_per_s"] = statistics.median(alone) if alone else None
    return replace(
        runs[0],
        first_send_s=statistics.median(firsts) if firsts else None,
        sent=min(r.sent for r in runs),
        **numbers,
    )


def script_rows(quick: bool) -> None:
    """The rows other issues measure with their own scripts, run here in the same run."""
    runs = "3" if quick else "9"
    for script in (
        ["bench_compose", "--messages", "300" if quick else "2000"],
        ["bench_cli", "--runs", runs],
        ["bench_times", *(["--quick"] if quick else [])],
        ["bench_parse", "--rounds", "5" if quick else "20"],
    ):
        print(f"-- benchmarks/{script[0]}.py", flush=True)
        argv = [sys.executable, "-m", f"benchmarks.{script[0]}", *script[1:]]
        subprocess.run(argv, check=True, cwd=ROOT)


def due_rows(
    suite: Suite, stores: tuple[str, ...], n: int, per_second: int
) -> list[dict[str, Any]]:
    print(f"due instant -> first send at the sink, {n} reminders, {per_second} due each second;")
    print("ceiling: loop.call_at timers at the same instants, each sending with aiosmtplib")
    rows = []
    for store in stores:
        row = due.measure(suite.store_url(store, "due"), n, per_second)
        print(due.line(row), flush=True)
        rows.append(row)
    return rows


def sigterm_rows(suite: Suite, stores: tuple[str, ...], n: int) -> list[dict[str, Any]]:
    print(f"SIGTERM -> exit of notifier run, {sigterm.AFTER_FIRST_S} s after its first send;")
    print("target: within the drain time; what was not attempted handed back (no record)")
    rows = []
    for store in stores:
        row = sigterm.measure(suite.store_url(store, f"sigterm-{n}"), n)
        print(sigterm.line(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"N={QUICK_SIZES[0]} only (CI)")
    parser.add_argument("--sizes", help="comma-separated N, e.g. 1000,10000,100000")
    parser.add_argument("--stores", default="redis,sqlite")
    parser.add_argument("--channels", default="email,webhook")
    parser.add_argument("--repeats", type=int, help="runs per row (default 3; 1 with --quick)")
    parser.add_argument("--rows", default=",".join(ROWS), help="which: send,due,sigterm,scripts")
    parser.add_argument("--due", type=int, help=f"reminders in the due row (200; {QUICK_DUE})")
    parser.add_argument("--due-per-second", type=int, default=10, help="due on the same second")
    parser.add_argument(
        "--sigterm-size", type=int, help=f"N of the SIGTERM row (largest size; {QUICK_SIGTERM})"
    )
    parser.add_argument("--json", type=Path, help="write the rows here (send, due, sigterm)")
    parser.add_argument("--plot", type=Path, help="draw throughput against N (PNG)")
    args = parser.parse_args()
    sizes: tuple[int, ...] = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.sizes:
        sizes = tuple(int(size) for size in args.sizes.split(","))
    stores = tuple(args.stores.split(","))
    wanted = set(args.rows.split(","))
    results: dict[str, list[Any]] = {"send": [], "due": [], "sigterm": []}
    with tempfile.TemporaryDirectory(prefix="notifier-bench-") as folder:
        suite = Suite(Path(folder))
        try:
            if "send" in wanted:
                repeats = args.repeats or (1 if args.quick else 3)
                channels = tuple(args.channels.split(","))
                results["send"] = send_rows(suite, sizes, stores, repeats, channels)
            if "due" in wanted:
                n = args.due or (QUICK_DUE if args.quick else 200)
                results["due"] = due_rows(suite, stores, n, args.due_per_second)
            if "sigterm" in wanted:
                n = args.sigterm_size or (QUICK_SIGTERM if args.quick else max(sizes))
                results["sigterm"] = sigterm_rows(suite, stores, n)
        finally:
            suite.close()
    rows: list[Row] = results["send"]
    if args.json:
        results["send"] = [asdict(row) for row in rows]
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.plot:
        from benchmarks.plot import plot  # matplotlib: the bench extra, only when asked

        plot(rows, args.plot)
    if "scripts" in wanted:
        script_rows(args.quick)
