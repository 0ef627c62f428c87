"""A participant's own settings, as the manage page and ``PATCH /api/v1/registrations/…`` change
them: checked here once, so the form and the JSON API refuse and store alike.

Only what the participant chose is theirs to change: zone, language, sessions, attendance and
which of the event's reminder offsets they want. The address, the confirmation and the id
stay (a manage link must not move reminders to another inbox). Reminders already sent stay
sent; the fan-out reads the registration when each reminder fires, so a change applies to
every reminder not yet sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from notifier import i18n
from notifier.errors import N_, RegistrationError
from notifier.events import Event
from notifier.records import ATTENDANCE, LANGUAGES, Attendance, Registration
from notifier.registrations import check_sessions, checked_zone


@dataclass(frozen=True)
class Wanted:
    """The settings asked for; ``sessions`` None is the whole event, ``reminder_offsets_s``
    None every reminder the event offers."""

    timezone: str
    language: str
    attendance: str
    sessions: tuple[str, ...] | None
    reminder_offsets_s: tuple[int, ...] | None


def offered_offsets(event: Event) -> tuple[timedelta, ...]:
    """Every reminder offset the event's sessions use, longest first: what can be chosen."""
    found = {o for s in event.sessions if not s.cancelled for o in s.reminders}
    return tuple(sorted(found, reverse=True))


def language_names() -> tuple[tuple[str, str], ...]:
    """``(code, name in that language)``: ``("fr", "français")``, ``("zh", "中文 (简体)")``:
    CLDR's ``Locale.display_name`` through Babel, so each reader finds their own language."""
    return tuple((code, i18n.locale(code).display_name or code) for code in LANGUAGES)


def settings_of(registration: Registration) -> Wanted:
    return Wanted(
        timezone=registration.timezone,
        language=registration.language,
        attendance=registration.attendance,
        sessions=registration.sessions,
        reminder_offsets_s=registration.reminder_offsets_s,
    )


def changed(event: Event, current: Registration, wanted: Wanted) -> Registration:
    """``current`` with ``wanted`` applied; :class:`RegistrationError` naming the field."""
    zone = checked_zone(wanted.timezone)
    if wanted.language not in LANGUAGES:
        choices = ", ".join(LANGUAGES)
        raise RegistrationError.about("language", N_("use one of %(choices)s"), choices=choices)
    attendance = _attendance(wanted.attendance)
    sessions = current.sessions
    if wanted.sessions != current.sessions:  # kept as stored: may name one cancelled since
        sessions = check_sessions(event, wanted.sessions)
    return replace(
        current,
        timezone=zone,
        language=wanted.language,
        attendance=attendance,
        sessions=sessions,
        reminder_offsets_s=_offsets(event, wanted.reminder_offsets_s),
        left_sessions=_left(event, current, sessions),
    )


def _left(event: Event, current: Registration, sessions: tuple[str, ...] | None) -> tuple[str, ...]:
    """The sessions left so far and now, less any followed again: the feed cancels these."""
    every = {s.id for s in event.sessions}
    following = every if sessions is None else set(sessions)
    was_following = {s for s in every if current.follows(s)}
    left = (set(current.left_sessions) | was_following) - following
    return tuple(sorted(left))


def _attendance(value: str) -> Attendance:
    for choice in ATTENDANCE:
        if value == choice:
            return choice
    choices = ", ".join(ATTENDANCE)
    raise RegistrationError.about("attendance", N_("use one of %(choices)s"), choices=choices)


def _offsets(event: Event, wanted: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The chosen offsets, checked against the event's; all of them is stored as None, so a
    reminder the organizer adds later reaches this participant too."""
    if wanted is None:
        return None
    if not wanted:  # a form that sent none: never read as "stop every reminder" by accident
        message = N_("choose at least one reminder; to get none, leave (unsubscribe) instead")
        raise RegistrationError.about("reminder_offsets_s", message)
    offered = [int(o.total_seconds()) for o in offered_offsets(event)]
    for offset_s in wanted:
        if offset_s not in offered:
            choices = ", ".join(str(o) for o in offered)
            message = N_("%(offset)s is not one of this event's reminders (seconds: %(choices)s)")
            params = {"offset": offset_s, "choices": choices}
            raise RegistrationError.about("reminder_offsets_s", message, **params)
    chosen = tuple(sorted(set(wanted), reverse=True))
    return None if set(chosen) == set(offered) else chosen
