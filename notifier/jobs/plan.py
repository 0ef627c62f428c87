"""Which reminders a config would send, and when: one per session and offset.

Pure: ``now`` comes in. A reminder offset is an exact duration before the session's instant,
so "1d before" across a DST change is not the same wall-clock time; such reminders are
flagged, as are reminders already in the past.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from notifier.events import Event, Session
from notifier.times import format_duration
from notifier.times.zones import zone_label


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder: ``send_at_utc`` is exact; ``notes`` say what a reader should know."""

    event_id: str
    session: Session
    offset: timedelta
    send_at_utc: datetime
    past: bool
    dst_notes: tuple[str, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        return (("past",) if self.past else ()) + (("dst-shift",) if self.dst_notes else ())


def plan_reminders(
    events: Iterable[Event], now: datetime, viewer: tzinfo | None = None
) -> list[PlannedReminder]:
    """Every reminder of every session that is not cancelled, sorted by send time."""
    planned = []
    for event in events:
        for session in event.sessions:
            if session.cancelled:
                continue
            for offset in session.reminders:
                # exact: subtracting from an aware local datetime would shift the wall clock instead
                send_at = session.start_utc - offset
                zones = _zones(session, viewer)
                notes = tuple(
                    note for tz in zones if (note := _dst_note(session, offset, send_at, tz))
                )
                planned.append(
                    PlannedReminder(event.id, session, offset, send_at, send_at < now, notes)
                )
    planned.sort(key=lambda r: (r.send_at_utc, r.event_id, r.session.id))
    return planned


def _zones(session: Session, viewer: tzinfo | None) -> list[tzinfo]:
    venue = session.start.tzinfo
    zones: list[tzinfo] = [venue] if venue is not None else []
    if viewer is not None and (venue is None or zone_label(viewer) != zone_label(venue)):
        zones.append(viewer)
    return zones


def _dst_note(session: Session, offset: timedelta, send_at: datetime, tz: tzinfo) -> str | None:
    """Why ``offset`` before the session is not the same wall-clock time in ``tz``, if it isn't."""
    start_local = session.start.astimezone(tz)
    send_local = send_at.astimezone(tz)
    shift = (start_local.utcoffset() or timedelta(0)) - (send_local.utcoffset() or timedelta(0))
    if not shift:
        return None
    naive = start_local.replace(tzinfo=None) - offset
    return (
        f"{format_duration(offset)} before crosses a clock change in {zone_label(tz)}: sent at "
        f"{send_local:%H:%M} {send_local.tzname()}, not {naive:%H:%M}"
    )
