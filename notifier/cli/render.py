"""Text and JSON for ``validate`` and ``schedule``: file summaries, sessions, reminders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from notifier.configfiles import ConfigSet
from notifier.events import Event, Loaded, Session
from notifier.jobs import PlannedReminder
from notifier.times import format_duration, format_moment, format_range, utc_z
from notifier.times.zones import zone_label


def summary_line(loaded: Loaded) -> str:
    """``path: ok, event X, 7 sessions (23 May 2023 – 26 May 2023), 21 reminders, 0 warnings``."""
    event = loaded.event
    if event is None:
        return f"{loaded.source}: {len(loaded.errors)} error(s), {len(loaded.warnings)} warning(s)"
    venue = ZoneInfo(event.zone)
    starts = [s.start_utc for s in event.sessions]
    first, last = min(starts).astimezone(venue), max(starts).astimezone(venue)
    reminders = sum(len(s.reminders) for s in event.sessions if not s.cancelled)
    cancelled = sum(1 for s in event.sessions if s.cancelled)
    extra = f", {cancelled} cancelled" if cancelled else ""
    return (
        f"{loaded.source}: ok, event {event.id}, {_count(len(event.sessions), 'session')}{extra} "
        f"({first:%d %b %Y} – {last:%d %b %Y}, {event.zone}), {_count(reminders, 'reminder')}, "
        f"{_count(len(loaded.warnings), 'warning')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def session_lines(events: Iterable[Event], viewer: tzinfo) -> list[str]:
    lines = []
    for event in events:
        lines.append(f"{event.name} [{event.id}], venue zone {event.zone}")
        for session in sorted(event.sessions, key=lambda s: s.start_utc):
            lines.append(_session_line(session, viewer))
    return lines


def _session_line(session: Session, viewer: tzinfo) -> str:
    here = format_range(session.start, session.end, viewer)
    venue = format_range(session.start, session.end, session.start.tzinfo or viewer)
    status = "  CANCELLED, no reminders" if session.cancelled else ""
    same = zone_label(viewer) == session.zone
    where = "" if same else f"  (venue: {venue})"
    return f"  {session.id:<40} {here}{where}{status}\n    {session.title}"


def reminder_lines(planned: Sequence[PlannedReminder], viewer: tzinfo) -> list[str]:
    header = (
        f"{'send at (' + zone_label(viewer) + ')':<34} {'send at (UTC)':<21} {'before':<7} session"
    )
    lines = [header]
    for reminder in planned:
        flags = f"  [{', '.join(reminder.flags)}]" if reminder.flags else ""
        lines.append(
            f"{format_moment(reminder.send_at_utc, viewer):<34} {utc_z(reminder.send_at_utc):<21} "
            f"{format_duration(reminder.offset):<7} {reminder.event_id}/{reminder.session.id}"
            f"{flags}"
        )
        lines.extend(f"{'':<34} {note}" for note in reminder.dst_notes)
    return lines


def schedule_json(
    config: ConfigSet, planned: Sequence[PlannedReminder], viewer: tzinfo
) -> dict[str, Any]:
    return {
        "viewer_zone": zone_label(viewer),
        "sessions": [
            {
                "event": event.id,
                "session": s.id,
                "title": s.title,
                "zone": s.zone,
                "start_utc": utc_z(s.start_utc),
                "end_utc": utc_z(s.end) if s.end else None,
                "start_local": s.start.astimezone(viewer).isoformat(timespec="minutes"),
                "cancelled": s.cancelled,
            }
            for event in config.events
            for s in sorted(event.sessions, key=lambda s: s.start_utc)
        ],
        "reminders": [
            {
                "event": r.event_id,
                "session": r.session.id,
                "job_id": r.reminder.job_id,  # the scheduler job `notifier run` keeps for it
                "offset": format_duration(r.offset),
                "send_at_utc": utc_z(r.send_at_utc),
                "send_at_local": r.send_at_utc.astimezone(viewer).isoformat(timespec="minutes"),
                "session_start_utc": utc_z(r.session.start_utc),
                "flags": list(r.flags),
                "notes": list(r.dst_notes),
            }
            for r in planned
        ],
    }
