"""What an organizer's editor shows for each key of an event file: a description and examples.

Kept beside the models rather than in them so that the models stay the short list of keys and
types they are; :mod:`notifier.events.schema` puts these into the JSON Schema, and "missing
key" errors take their example from here. A key without an entry still appears in the schema,
with its type only. Write for organizers: what the key is for and what to type.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class KeyDoc(NamedTuple):
    description: str
    examples: tuple[Any, ...] = ()


_OFFSETS = "Exact durations before each session: 1d, 1h, 10m, 1h30m, 2w, 90s"

# model class name -> key -> its doc (the class names are the schema's $defs names)
KEY_DOCS: dict[str, dict[str, KeyDoc]] = {
    "EventSpec": {
        "id": KeyDoc(
            "Unique across all files: lowercase letters, digits and hyphens.", ("ccpcj-32-gitoc",)
        ),
        "name": KeyDoc("Shown in reminders.", ("CCPCJ side events",)),
        "zone": KeyDoc(
            "The venue's IANA time zone; settles CET, IST, CST, BST and times written "
            "without a zone.",
            ("Europe/Vienna",),
        ),
        "year": KeyDoc("Year for dates written without one.", (2023,)),
        "dates": KeyDoc("First and last day; a session outside them is a warning."),
        "venue": KeyDoc("Default venue name for those on site.", ("Vienna International Centre",)),
        "reminders": KeyDoc(f"{_OFFSETS}.", (["1d", "1h", "10m"],)),
        "channels": KeyDoc("How participants are reminded by default.", (["email", "webhook"],)),
        "lateness": KeyDoc(
            "Per reminder offset, how late it may still go out after downtime.",
            ({"1d": "12h", "10m": "5m"},),
        ),
        "sessions": KeyDoc("The sessions (or deadlines), at least one."),
    },
    "SessionSpec": {
        "id": KeyDoc(
            "Unique in the file: lowercase letters, digits and hyphens.",
            ("human-smuggling-central-med",),
        ),
        "title": KeyDoc("Shown in every reminder.", ("Opening session",)),
        "when": KeyDoc(
            "The time as the listing writes it, or ISO 8601 (see docs/times.md).",
            ("Tuesday 23 May 09:10-10:00 CEST", "2027-03-13T09:00[Europe/Vienna]"),
        ),
        "description": KeyDoc("A longer text for the reminder."),
        "day": KeyDoc(
            "A day heading or ISO date giving the date for a time-only `when`.",
            ("MONDAY, 14 OCTOBER", "2024-10-14"),
        ),
        "zone": KeyDoc("IANA time zone, if not the event's.", ("Asia/Tokyo",)),
        "join_url": KeyDoc(
            "The link online participants click: the full https:// address.",
            ("https://events.example.org/ccpcj-32/opening",),
        ),
        "room": KeyDoc("Room for those on site.", ("CR3",)),
        "venue": KeyDoc("Venue name, if not the event's."),
        "mode": KeyDoc("How people attend.", ("hybrid",)),
        "organizer": KeyDoc("Who runs the session."),
        "kind": KeyDoc("A deadline is one moment, not a range.", ("deadline",)),
        "reminders": KeyDoc(f"{_OFFSETS}; overrides the event's.", (["1h"],)),
        "channels": KeyDoc("Overrides the event's channels.", (["email"],)),
        "cancelled": KeyDoc("true: listed, never announced.", (True,)),
    },
    "DateSpan": {
        "start": KeyDoc("First day, year-month-day.", ("2023-05-23",)),
        "end": KeyDoc("Last day, year-month-day.", ("2023-05-26",)),
    },
}


def key_example(model_name: str, key: str) -> str | None:
    """The first example of ``key`` as an organizer types it, if it is plain text."""
    doc = KEY_DOCS.get(model_name, {}).get(key)
    example = doc.examples[0] if doc and doc.examples else None
    return example if isinstance(example, str) else None
