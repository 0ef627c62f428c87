"""How late a reminder may still go out after downtime, per reminder offset.

A day-before reminder is still useful hours late; a ten-minutes-before one only minutes late.
Nothing is ever sent once the session has started, whatever the policy says.
"""

from __future__ import annotations

from datetime import timedelta

from notifier.events import Event

MIN_LATENESS = timedelta(minutes=1)
MAX_DEFAULT_LATENESS = timedelta(hours=6)


def allowed_lateness(event: Event, offset: timedelta) -> timedelta:
    """The event's setting for ``offset``, else a quarter of it, between 1 minute and 6 hours."""
    for written_offset, lateness in event.lateness:
        if written_offset == offset:
            return lateness
    return max(MIN_LATENESS, min(offset / 4, MAX_DEFAULT_LATENESS))
