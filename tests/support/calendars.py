"""A calendar file's entries as two independent readers see them: vobject and ics (ics-py).

Neither shares code with icalendar, which writes our files; a feed passes only if both read
the same UIDs, instants, statuses and SEQUENCE numbers out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ics
import vobject


@dataclass(frozen=True)
class Entry:
    """One VEVENT: what a subscribed calendar keys, places and shows."""

    uid: str
    start: datetime
    end: datetime | None
    status: str
    sequence: int
    summary: str


def read_with_vobject(text: str) -> dict[str, Entry]:
    found = {}
    for event in vobject.readOne(text).vevent_list:
        contents = event.contents
        end = contents["dtend"][0].value if "dtend" in contents else None
        found[event.uid.value] = Entry(
            event.uid.value,
            event.dtstart.value,
            end,
            event.status.value,
            int(event.sequence.value),
            event.summary.value,
        )
    return found


def read_with_ics(text: str) -> dict[str, Entry]:
    found = {}
    for event in ics.Calendar(text).events:
        # ics 0.7 keeps SEQUENCE among the lines it does not model
        (sequence,) = (line.value for line in event.extra if line.name == "SEQUENCE")
        end = event.end.datetime if event.has_end() else None
        found[event.uid] = Entry(
            event.uid, event.begin.datetime, end, event.status, int(sequence), event.name
        )
    return found


def read_twice(text: str) -> dict[str, Entry]:
    """The entries, after checking that both readers agree on every one of them."""
    by_vobject, by_ics = read_with_vobject(text), read_with_ics(text)
    assert by_vobject == by_ics, (by_vobject, by_ics)
    return by_vobject
