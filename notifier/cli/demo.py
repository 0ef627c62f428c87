"""``notifier demo``: a real reminder, delivered within about a minute, on the embedded default.

Writes a one-session event under ``<data_dir>/demo/`` starting a few minutes from now, with one
reminder due ``lead`` from now; registers a demo participant in ``timezone``; runs the service
until that reminder is delivered (the outbox file, or the SMTP server if one is configured).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from notifier.configfiles import load_config_files
from notifier.registrations import RegistrationInput, build_registration
from notifier.service import run_service
from notifier.settings import Settings
from notifier.store import open_store
from notifier.times import format_duration, format_moment, load_zone

DEMO_EVENT = "notifier-demo"
DEMO_ZONE = "Europe/Vienna"
DEMO_ADDRESS = "participant@example.org"
DEMO_OFFSET = timedelta(minutes=2)  # the session starts two minutes after its reminder


def demo_event_yaml(start_utc: datetime, offset: timedelta) -> str:
    """The demo event: one hybrid session at ``start_utc`` (written in venue time), one reminder."""
    local = start_utc.astimezone(load_zone(DEMO_ZONE))
    return (
        f"# Written by `notifier demo`; safe to delete.\n"
        f"id: {DEMO_EVENT}\n"
        f'name: "notifier quick-start demo"\n'
        f"zone: {DEMO_ZONE}\n"
        f'venue: "Vienna International Centre"\n'
        f"reminders: [{format_duration(offset)}]\n"
        f"channels: [email]\n"
        f"sessions:\n"
        f"  - id: demo-session\n"
        f'    title: "Demo side event: what a reminder looks like"\n'
        f'    when: "{local:%Y-%m-%dT%H:%M:%S}[{DEMO_ZONE}]"\n'
        f'    join_url: "https://events.example.org/demo/join"\n'
        f'    room: "M3"\n'
        f"    mode: hybrid\n"
    )


async def run_demo(
    settings: Settings, *, timezone: str, lead: timedelta, echo: Callable[[str], None]
) -> list[Path]:
    """Run the demo; returns the outbox files it produced (empty if nothing was delivered)."""
    now = datetime.now(UTC).replace(microsecond=0)
    offset = DEMO_OFFSET
    start = now + lead + offset
    folder = settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo.yaml").write_text(demo_event_yaml(start, offset), encoding="utf-8")
    # no HTTP API for the demo: it exits once the reminder is out, and port 8000 may be taken
    demo_settings = settings.model_copy(update={"config": [folder], "http_port": 0})
    config = load_config_files([folder], today=now.date())
    (event,) = config.events
    store = await open_store(settings.resolved_store_url)
    try:
        given = RegistrationInput(email=DEMO_ADDRESS, timezone=timezone, attendance="undecided")
        await store.add_registration(build_registration(event, given, now))
    finally:
        await store.aclose()
    viewer = load_zone(timezone)
    echo(f"demo event: {folder / 'demo.yaml'}")
    echo(
        f"session starts {format_moment(start, viewer)}; venue time "
        f"{format_moment(start, load_zone(DEMO_ZONE))}"
    )
    echo(
        f"reminder ({format_duration(offset)} before) is due at "
        f"{format_moment(start - offset, viewer)}, {int(lead.total_seconds())} s from now; "
        "running the service until it is delivered…"
    )
    outbox = settings.resolved_outbox_dir
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    await run_service(demo_settings, until_idle=True)
    produced = sorted(set(outbox.glob("*.eml")) - before) if outbox.exists() else []
    for path in produced:
        echo(f"reminder delivered: {path}")
    if settings.resolved_email_backend == "smtp":
        echo(f"reminder sent over SMTP to {DEMO_ADDRESS} via {settings.smtp_host}")
        return [Path(str(settings.smtp_host))]
    return produced
