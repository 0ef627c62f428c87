"""Our side of the send benchmarks: one real fan-out, in a process of its own.

Run: python -m benchmarks.fanout seed|run --store URL --channel email|webhook -n N
     [--smtp-port P] [--webhook-url URL]

``seed`` registers N participants for one session (six zones, three attendance modes: 18
variants) in its own process, so ``run``'s peak RSS is the fan-out's alone. ``run`` builds the
store, channels and deps from :class:`~notifier.settings.Settings` as the service root does, calls
:func:`notifier.jobs.fanout.run_fanout` at the reminder's due instant, and prints one JSON line:
messages/s, CPU ms per message, peak RSS, and how long after the due instant the first delivery
was recorded. Logging is configured as the daemon's (JSON on stderr, which the suite discards).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks.rss import peak_rss_mib
from benchmarks.seeding import fill
from notifier.channels import make_channels
from notifier.events import Event, Session
from notifier.jobs.fanout import FanoutDeps, RetryPolicy, run_fanout
from notifier.logs import configure_logging
from notifier.memory import settle_memory
from notifier.metrics import make_metrics
from notifier.records import Attendance, Registration, ReminderRef
from notifier.settings import Settings
from notifier.store import open_store

EVENT_ID = "bench"
ZONES = ("Asia/Tokyo", "Europe/Vienna", "America/New_York", "Europe/Paris", "UTC", "Asia/Kolkata")
ATTENDANCE: tuple[Attendance, ...] = ("online", "onsite", "undecided")
OFFSET = timedelta(hours=1)
SECRET = "benchmark-signing-secret-of-at-least-32-bytes"  # noqa: S105  # signs bench links only
FIRST_SEND_POLL_S = 0.002


def settings(store_url: str, smtp_port: int) -> Settings:
    """The service's settings for this run: SMTP to the sink, loopback webhooks allowed."""
    return Settings(
        store_url=store_url,
        email_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port or 25,
        smtp_tls="none",  # loopback sink; TLS would measure the handshake library instead
        public_base_url="https://reminders.example.org",  # type: ignore[arg-type]  # pydantic
        signing_secret=SECRET,  # type: ignore[arg-type]  # pydantic reads a str
        webhook_allowed_networks=["127.0.0.0/8"],
        http_port=0,
    )


def event_and_session(start_utc: datetime) -> tuple[Event, Session]:
    vienna = ZoneInfo("Europe/Vienna")
    session = Session(
        id="talk",
        title="The dynamics of human smuggling on routes to the Central Mediterranean",
        when="bench",
        start=start_utc.astimezone(vienna),
        end=(start_utc + timedelta(minutes=50)).astimezone(vienna),
        zone="Europe/Vienna",
        reminders=(OFFSET,),
        channels=("email", "webhook"),
        description="Latest research on smuggling routes to the Central Mediterranean.",
        join_url="https://events.example.org/ccpcj-32/talk",
        room="Board Room B",
        venue="Vienna International Centre",
    )
    event = Event(
        id=EVENT_ID,
        name="The Global Initiative at the 32nd CCPCJ",
        zone="Europe/Vienna",
        source="benchmarks",
        sessions=(session,),
    )
    return event, session


def registration(i: int, channel: str, webhook_url: str) -> Registration:
    return Registration(
        id=f"r{i:07d}",
        event_id=EVENT_ID,
        timezone=ZONES[i % len(ZONES)],
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
        email=f"participant{i}@example.org" if channel == "email" else None,
        webhook_url=f"{webhook_url}/r{i}" if channel == "webhook" else None,
        attendance=ATTENDANCE[(i // len(ZONES)) % len(ATTENDANCE)],
    )


async def seed(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    people = [registration(i, args.channel, args.webhook_url) for i in range(args.n)]
    await fill(args.store, people)  # in bulk: 100,000 through add_registration took minutes
    print(json.dumps({"n": args.n, "seed_s": time.perf_counter() - began}), flush=True)


async def run(args: argparse.Namespace) -> None:
    configure_logging("info", "json")
    config = settings(args.store, args.smtp_port)
    store = await open_store(config.resolved_store_url)
    await store.ping()  # as `notifier run` does at start: its fan-outs find the store connected
    channels = make_channels(config, SECRET)
    metrics = make_metrics()
    deps = FanoutDeps(
        store=store,
        channels=channels,
        signing_secret=SECRET,
        public_base_url=str(config.public_base_url),
        concurrency=asyncio.Semaphore(config.send_concurrency),
        retry=RetryPolicy(config.max_attempts, config.retry_base_s, config.retry_max_s),
        lease_s=config.claim_lease_s,
        clock=lambda: datetime.now(UTC),
        stopping=asyncio.Event(),
        metrics=metrics,
    )
    due_utc = datetime.now(UTC)
    event, session = event_and_session(due_utc + OFFSET)
    ref = ReminderRef(EVENT_ID, session.id, session.start_utc, int(OFFSET.total_seconds()))
    sent = metrics.deliveries.labels(args.channel, "sent")
    settle_memory()  # as `notifier run` does once started
    try:
        began, cpu_began = time.perf_counter(), time.process_time()
        fanout = asyncio.create_task(run_fanout(deps, event, session, ref))
        first_s = await _first_send(fanout, lambda: sent._value.get() > 0, began)
        counts: Counter[str] = await fanout
        elapsed_s, cpu_s = time.perf_counter() - began, time.process_time() - cpu_began
    finally:
        for channel in channels.values():
            await channel.aclose()
        await store.aclose()
    result = {
        "n": args.n,
        "sent": counts.get("sent", 0),
        "outcomes": dict(counts),
        "per_s": counts.get("sent", 0) / elapsed_s,
        "cpu_ms": cpu_s * 1000 / max(1, args.n),
        "rss_mib": peak_rss_mib(),
        "first_send_s": first_s,
    }
    print(json.dumps(result), flush=True)


async def _first_send(
    fanout: asyncio.Task[Counter[str]], done: object, began: float
) -> float | None:
    """Seconds from the due instant to the first delivery recorded ``sent`` (metrics)."""
    while not fanout.done():
        if done():  # type: ignore[operator]
            return time.perf_counter() - began
        await asyncio.sleep(FIRST_SEND_POLL_S)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("seed", "run"))
    parser.add_argument("--store", required=True)
    parser.add_argument("--channel", choices=("email", "webhook"), required=True)
    parser.add_argument("-n", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--webhook-url", default="http://127.0.0.1:9/hook")
    args = parser.parse_args()
    asyncio.run(seed(args) if args.step == "seed" else run(args))


if __name__ == "__main__":
    main()
