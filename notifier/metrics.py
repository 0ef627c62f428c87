"""Prometheus metrics of one process, in their own registry (no module-level global state).

Served as text at ``GET /metrics``. Names follow Prometheus conventions: ``_total`` counters,
base units (seconds) in histogram names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

# seconds: on time (under a second) up to the longest lateness a reminder may have (6 h)
LATENESS_BUCKETS_S = (0.1, 0.5, 1, 2, 5, 15, 60, 300, 900, 3600, 6 * 3600)
DURATION_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    jobs_scheduled: Gauge
    reminders_fired: Counter
    deliveries: Counter
    retries: Counter
    lateness_seconds: Histogram
    delivery_seconds: Histogram
    registrations: Gauge
    config_reloads: Counter
    # labelled children by label values: ``labels()`` costs a lock and a tuple check (about
    # 2 µs) and a fan-out counts every delivery and times every send
    _children: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)

    def delivered(self, channel: str, outcome: str) -> Any:
        """``deliveries.labels(channel, outcome)``, looked up once."""
        key = ("deliveries", channel, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.deliveries.labels(channel, outcome)
        return child

    def send_duration(self, channel: str) -> Any:
        """``delivery_seconds.labels(channel)``, looked up once."""
        key = ("delivery_seconds", channel)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.delivery_seconds.labels(channel)
        return child

    def render(self) -> bytes:
        """The Prometheus text exposition of everything above."""
        return generate_latest(self.registry)


def make_metrics() -> Metrics:
    """A fresh registry and its metrics: one per service (tests make their own)."""
    registry = CollectorRegistry(auto_describe=True)
    # the default collectors (process_* CPU, memory and open fds; python_info; python_gc_*),
    # which prometheus_client puts only on its global registry; ours is per service
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return Metrics(
        registry=registry,
        jobs_scheduled=Gauge(
            "notifier_jobs_scheduled",
            "Reminder jobs waiting in the scheduler.",
            registry=registry,
        ),
        reminders_fired=Counter(
            "notifier_reminders_fired",
            "Reminders that came due, by how their fan-out ended.",
            ["status"],
            registry=registry,
        ),
        deliveries=Counter(
            "notifier_deliveries",
            "Deliveries by channel and final outcome.",
            ["channel", "outcome"],
            registry=registry,
        ),
        retries=Counter(
            "notifier_delivery_retries",
            "Transient failures that were retried, by channel.",
            ["channel"],
            registry=registry,
        ),
        lateness_seconds=Histogram(
            "notifier_reminder_lateness_seconds",
            "First send attempt minus the reminder's due time.",
            buckets=LATENESS_BUCKETS_S,
            registry=registry,
        ),
        delivery_seconds=Histogram(
            "notifier_delivery_duration_seconds",
            "Time one send attempt took, by channel.",
            ["channel"],
            buckets=DURATION_BUCKETS_S,
            registry=registry,
        ),
        registrations=Gauge(
            "notifier_registrations",
            "Registrations in the store, by event.",
            ["event"],
            registry=registry,
        ),
        config_reloads=Counter(
            "notifier_config_reloads",
            "Config reloads, by result (ok or error).",
            ["result"],
            registry=registry,
        ),
    )
