"""A table row's columns: title, organizer, room, links, by the table's headers or, without
headers, by position (the title first, the room last)."""

from __future__ import annotations

from notifier.listing.assemble import Draft
from notifier.listing.details import MAX_ROOM, Details, labelled
from notifier.listing.lines import Line
from notifier.listing.marks import ROOM_WORDS, SKIP_WORDS, TIME_WORDS, Mark
from notifier.listing.patterns import (
    bare_url,
    split_organizer,
    squash,
)


def read_row(draft: Draft, details: Details) -> None:
    roles = _roles(draft.headers)
    texts: list[tuple[str, str]] = []
    for column, text in draft.slot.cells:
        role = roles.get(column, "title") if roles else "title"
        if not text or role in ("time", "skip"):
            continue
        if bare_url(text):
            details.links.append((draft.mark.line.number, text))
            continue
        texts.append((role, text))
    titles = [t for r, t in texts if r == "title"]
    rooms = [t for r, t in texts if r == "room"]
    if not roles and len(titles) >= 2 and len(titles[-1]) <= MAX_ROOM:
        rooms.append(titles.pop())
    if titles:
        first, *more = titles[0].split("\n")
        details.title, organizer = split_organizer(first)
        details.organizer = details.organizer or organizer
        for text in more:
            if not labelled(Mark(-1, Line(draft.mark.line.number, text), "text"), details):
                details.description.append(text)
        details.description += titles[1:]
    if rooms:
        details.room = details.room or squash(rooms[0])


def _roles(headers: tuple[str, ...]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for column, header in enumerate(headers):
        word = header.casefold().strip()
        if word in TIME_WORDS:
            roles[column] = "time"
        elif word in ROOM_WORDS:
            roles[column] = "room"
        elif word in SKIP_WORDS or word in ("date", "day", "dates", "fecha"):
            roles[column] = "skip"
    return roles
