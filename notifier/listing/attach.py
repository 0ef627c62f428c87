"""A draft session's details from the text nearest its time, in the page's own structure.

Title, in this order: an ``Event:``/``Title:`` line; a row's title column; the text after the
time on its line; the line above (when the section writes titles first); the first line
after it (when the section writes them after, below the join link and the organizers' logo
lines); the ``Organized by`` value; and, for a list or table where no time has a title, the
heading above it. A time without any is reported, never given another row's title. Room: a
``Venue:``/``Room:`` line, the room column (or the last column), the room heading of its
section. ``Online`` as a room means an online session with no room.
"""

from __future__ import annotations

from notifier.listing.assemble import Draft, needs_title
from notifier.listing.body import read_body
from notifier.listing.details import MAX_ROOM, Details, labelled, online_from_text
from notifier.listing.lines import Line
from notifier.listing.marks import has_letters
from notifier.listing.patterns import (
    clean_title,
    is_online,
    is_prose,
    is_title_like,
    join_target,
    names_a_room,
    no_room,
    room_at_start,
    sentence_inside,
    split_organizer,
    squash,
)
from notifier.listing.rows import read_row

__all__ = ["Details", "online_from_text", "read_details"]


def read_details(draft: Draft) -> Details:
    """Everything but the time, from the lead, the row or line, the body and the line above."""
    details = Details()
    for mark in draft.lead:
        labelled(mark, details)
    if draft.is_row:
        read_row(draft, details)
    else:
        _inline(draft, details)
        read_body(draft, details)
    _links(draft.mark.line, details)
    if details.room is None and draft.room_heading is not None:
        details.room = draft.room_heading
    if details.room is not None and is_online(details.room):
        details.room, details.online = None, True
    if details.room is not None and no_room(details.room):
        details.room = None
    return details


def _inline(draft: Draft, details: Details) -> None:
    rest = draft.slot.rest.strip()
    aside = draft.slot.aside
    if aside and is_title_like(aside, MAX_ROOM):
        details.room = details.room or aside
    if draft.leading and draft.before is not None:
        details.title = details.title or clean_title(draft.before.text)
        if rest[:1] in "-–—":
            _room_then_text(rest.lstrip("-–— "), details)
        elif has_letters(rest):
            details.description.append(rest)
        return
    if needs_title(draft) and not (has_letters(rest) and len(rest) > 250):
        if has_letters(rest):
            _room_then_text(rest.lstrip("-–— "), details)
        return
    _titled_rest(rest, details)


def _room_then_text(text: str, details: Details) -> None:
    """``Great Hall, Memorial Union - Nick Mullins is …``: a room, then the description."""
    head, _, tail = text.partition(" - ")
    if (tail or names_a_room(head)) and is_title_like(head, MAX_ROOM) and not sentence_inside(head):
        details.room = details.room or squash(head)
        text = tail
    if has_letters(text):
        details.description.append(text)


def _titled_rest(rest: str, details: Details) -> None:
    """``TITLE Organized by X. Conference Room M2 Prose…`` after the time on one line."""
    title, organizer = split_organizer(rest)
    named, at, place = title.partition(" @ ")
    if at and is_title_like(place, MAX_ROOM) and has_letters(named):
        # "Welcome Reception @ Cromdale Hall, EICC"
        title, details.room = named.strip(), details.room or place.strip()
    if details.title is None:
        details.title = title if not is_prose(title) else _first_sentence(title)
    if organizer is None:
        return
    if sentence_inside(organizer) or len(organizer) > 200:
        organizer, _, after = organizer.partition(". ")
        room = room_at_start(after)
        if room is not None:
            details.room = details.room or room
            after = after[len(room) :]
        if has_letters(after):
            details.description.append(after.strip())
    details.organizer = details.organizer or clean_title(organizer)


def _first_sentence(text: str) -> str:
    head, _, _ = text.partition(". ")
    return clean_title(head)[:200]


def _links(line: Line, details: Details) -> None:
    for label, target in line.links:
        found = join_target(label, target)
        if found is not None:
            details.links.append((line.number, found))
