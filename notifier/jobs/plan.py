"""The reminder plan: every reminder a config asks for, walked once, here.

``notifier schedule`` (the preview), the scheduler's jobs (:func:`notifier.jobs.sync.desired_jobs`)
and the catch-up pass all read :func:`reminders_of`, so the preview shows exactly what the
service will do. Pure: ``now`` comes in. A reminder offset is an exact duration before the
session's instant, so "1d before" across a DST change is not the same wall-clock time; the
preview flags such reminders, and those already in the past.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from notifier.events import Event, Session
from notifier.events.model import Broadcast
from notifier.jobs.policy import allowed_lateness
from notifier.records import ReminderRef
from notifier.times import format_duration
from notifier.times.zones import zone_label


@dataclass(frozen=True)
class Reminder:
    """One reminder the config asks for: a session of an event, ``offset`` before it."""

    event: Event
    session: Session
    offset: timedelta

    @property
    def send_at_utc(self) -> datetime:
        # exact: subtracting from an aware local datetime would shift the wall clock instead
        return self.session.start_utc - self.offset

    @property
    def offset_s(self) -> int:
        return int(self.offset.total_seconds())

    @property
    def ref(self) -> ReminderRef:
        """What its delivery keys carry: the session's instant, so a move makes new keys."""
        return ReminderRef(self.event.id, self.session.id, self.session.start_utc, self.offset_s)

    @property
    def job_id(self) -> str:
        """Its scheduler job: stable when the session moves (the job is rewritten in place)."""
        return f"{self.event.id}/{self.session.id}/{self.offset_s}"

    @property
    def lateness(self) -> timedelta:
        """How late it may still go out (the event's setting for this offset, or the default)."""
        return allowed_lateness(self.event, self.offset)


def reminders_of(events: Iterable[Event]) -> list[Reminder]:
    """Every reminder of every session that is not cancelled, sorted by send time: the
    participants' offsets and its broadcast targets' (one job per offset, whoever gets it)."""
    found = [
        Reminder(event, session, offset)
        for event in events
        for session in event.sessions
        if not session.cancelled
        for offset in offsets_of(event, session)
    ]
    found.sort(key=lambda r: (r.send_at_utc, r.event.id, r.session.id, -r.offset_s))
    return found


def offsets_of(event: Event, session: Session) -> tuple[timedelta, ...]:
    """Every offset before ``session`` at which someone is told: participants or a broadcast."""
    extra = (o for b in event.broadcasts for o in b.reminders if b.covers(session.id, o))
    return tuple(sorted(set(session.reminders).union(extra), reverse=True))


def for_participants(session: Session, offset: timedelta) -> bool:
    """Whether the reminder ``offset`` before ``session`` goes to its registrations (it may
    exist for a broadcast target only)."""
    return offset in session.reminders


def broadcasts_of(event: Event, session: Session, offset: timedelta) -> tuple[Broadcast, ...]:
    """The broadcast targets that post the reminder ``offset`` before ``session``."""
    return tuple(b for b in event.broadcasts if b.covers(session.id, offset))


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder as the preview shows it: ``dst_notes`` say what a reader should know."""

    reminder: Reminder
    past: bool
    dst_notes: tuple[str, ...]

    @property
    def event_id(self) -> str:
        return self.reminder.event.id

    @property
    def session(self) -> Session:
        return self.reminder.session

    @property
    def offset(self) -> timedelta:
        return self.reminder.offset

    @property
    def send_at_utc(self) -> datetime:
        return self.reminder.send_at_utc

    @property
    def flags(self) -> tuple[str, ...]:
        return (("past",) if self.past else ()) + (("dst-shift",) if self.dst_notes else ())


def plan_reminders(
    events: Iterable[Event], now: datetime, viewer: tzinfo | None = None
) -> list[PlannedReminder]:
    """:func:`reminders_of`, each flagged ``past`` or ``dst-shift`` (venue or viewer zone)."""
    planned = []
    for reminder in reminders_of(events):
        zones = _zones(reminder.session, viewer)
        notes = tuple(note for tz in zones if (note := _dst_note(reminder, tz)))
        planned.append(PlannedReminder(reminder, reminder.send_at_utc < now, notes))
    return planned


def _zones(session: Session, viewer: tzinfo | None) -> list[tzinfo]:
    venue = session.start.tzinfo
    zones: list[tzinfo] = [venue] if venue is not None else []
    if viewer is not None and (venue is None or zone_label(viewer) != zone_label(venue)):
        zones.append(viewer)
    return zones


def _dst_note(reminder: Reminder, tz: tzinfo) -> str | None:
    """Why the offset before the session is not the same wall-clock time in ``tz``, if it isn't."""
    start_local = reminder.session.start.astimezone(tz)
    send_local = reminder.send_at_utc.astimezone(tz)
    shift = (start_local.utcoffset() or timedelta(0)) - (send_local.utcoffset() or timedelta(0))
    if not shift:
        return None
    naive = start_local.replace(tzinfo=None) - reminder.offset
    return (
        f"{format_duration(reminder.offset)} before crosses a clock change in {zone_label(tz)}: "
        f"sent at {send_local:%H:%M} {send_local.tzname()}, not {naive:%H:%M}"
    )
