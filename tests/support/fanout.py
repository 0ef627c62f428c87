"""What a fan-out test runs against: people registered for the Vienna side events, the deps.

Time is an injected :class:`~tests.support.clock.Clock` set to ``NOW``, a fixed instant years
ahead, so the real scheduler thread of a service under test never fires a job by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from notifier.channels import Channel
from notifier.jobs.fanout import FanoutDeps, RetryPolicy
from notifier.metrics import make_metrics
from notifier.records import ChannelName, Registration
from notifier.store.base import Store
from tests.support.events import EVENT_ID
from tests.support.reminders import PUBLIC_BASE_URL

NOW = datetime(2031, 5, 20, 7, 0, tzinfo=UTC)
SIGNING_SECRET = "test-signing-secret-of-32-bytes-or-more"  # noqa: S105  # signs test links only
FAST_RETRY = RetryPolicy(max_attempts=5, base_s=0.05, max_s=0.1)


def registration(
    name: str,
    *,
    sessions: tuple[str, ...] | None = ("talk",),
    event_id: str = EVENT_ID,
    webhook_url: str | None = None,
) -> Registration:
    """``name``@example.org in Tokyo, following ``sessions`` (None: the whole event)."""
    return Registration(
        id=name,
        event_id=event_id,
        timezone="Asia/Tokyo",
        created_at=NOW,
        email=f"{name}@example.org",
        webhook_url=webhook_url,
        sessions=sessions,
    )


def fanout_deps(
    store: Store,
    channel: Channel,
    clock: Callable[[], datetime],
    *,
    concurrency: int = 8,
    retry: RetryPolicy = FAST_RETRY,
    channel_name: ChannelName = "email",
) -> FanoutDeps:
    """One process's fan-out deps with ``channel`` as its ``channel_name`` channel."""
    return FanoutDeps(
        store=store,
        channels={channel_name: channel},
        signing_secret=SIGNING_SECRET,
        public_base_url=PUBLIC_BASE_URL,
        concurrency=asyncio.Semaphore(concurrency),
        retry=retry,
        clock=clock,
        stopping=asyncio.Event(),
        metrics=make_metrics(),
    )
