"""Event files for tests: YAML as organizers write it, built from instants, and loaded back.

Sessions are given as aware instants and written as Vienna wall time with the zone named
(``2031-05-20T09:10:00[Europe/Vienna]``), so the file says exactly one instant whatever zone the
test runs in; the loader has to turn it back into that instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from notifier.events import Event, load_event
from notifier.settings import Settings

EVENT_ID = "vienna-side-events"
EVENT_NAME = "Side events at the Vienna crime congress"
VENUE_ZONE_NAME = "Europe/Vienna"
VENUE_ZONE = ZoneInfo(VENUE_ZONE_NAME)


def reminder_text(offset: str | timedelta) -> str:
    """A reminder offset as the file spells it: ``10m`` as given, a timedelta in seconds."""
    return offset if isinstance(offset, str) else f"{int(offset.total_seconds())}s"


def event_yaml(
    sessions: Mapping[str, datetime],
    *,
    reminders: Sequence[str | timedelta] = ("10m",),
    event_id: str = EVENT_ID,
    name: str = EVENT_NAME,
    channels: Sequence[str] | None = None,
) -> str:
    """An event in Vienna with one session per ``sessions`` entry, written as venue wall time."""
    lines = [
        f"id: {event_id}",
        f"name: {name}",
        f"zone: {VENUE_ZONE_NAME}",
        "venue: Vienna International Centre",
        f"reminders: [{', '.join(reminder_text(r) for r in reminders)}]",
    ]
    if channels is not None:
        lines.append(f"channels: [{', '.join(channels)}]")
    lines.append("sessions:")
    for session_id, start in sessions.items():
        local = start.astimezone(VENUE_ZONE)
        lines += [
            f"  - id: {session_id}",
            f"    title: Side event {session_id}",
            f'    when: "{local:%Y-%m-%dT%H:%M:%S}[{VENUE_ZONE_NAME}]"',
            f'    join_url: "https://events.example.org/{event_id}/{session_id}"',
            "    room: M3",
        ]
    return "\n".join(lines) + "\n"


def load_test_event(text: str, today: date | None = None) -> Event:
    """The event as the config loader builds it; the test fails on any config problem."""
    loaded = load_event(text, "side-events.yaml", today=today)
    assert loaded.event is not None, [str(p) for p in loaded.problems]
    return loaded.event


def write_atomically(path: Path, text: str) -> None:
    """Save as editors do (write aside, rename), so a watcher never sees half a file."""
    aside = path.with_name(f".{path.name}.swp")
    aside.write_text(text, encoding="utf-8")
    aside.replace(path)


def soon(seconds: float) -> datetime:
    """Whole seconds from now (UTC): a reminder time for a real process's real clock."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def redis_service_settings(
    folder: Path, store_url: str, *, reminders: Sequence[str | timedelta] = ("10m",), **more: Any
) -> Settings:
    """Settings for an in-process service on the tests' Redis (no AOF: allowed volatile), with
    one session two hours ahead in ``folder/config`` and the outbox for email."""
    config = folder / "config"
    config.mkdir(exist_ok=True)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    (config / "e.yaml").write_text(event_yaml({"talk": start}, reminders=reminders), "utf-8")
    return Settings(
        _env_file=None,
        config=[config],
        data_dir=folder / "data",
        store_url=store_url,
        redis_allow_volatile=True,
        email_backend="file",
        signing_secret=SecretStr("s" * 48),
        http_port=0,
        **more,
    )
