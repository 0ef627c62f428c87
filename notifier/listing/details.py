"""What the lines around one time say about its session, and the labelled lines that say it
outright (``Venue: …``, ``Organized by: …``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifier.listing.labels import read_label
from notifier.listing.marks import Mark
from notifier.listing.patterns import (
    bare_url,
    clean_title,
    is_online,
    join_target,
    says_online,
    squash,
)

MAX_ROOM = 80


@dataclass
class Details:
    """What the lines around one time say about its session."""

    title: str | None = None
    organizer: str | None = None
    room: str | None = None
    online: bool = False
    links: list[tuple[int, str]] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    notes: list[tuple[int, int]] = field(default_factory=list)
    continuing: str | None = None


def labelled(mark: Mark, details: Details) -> bool:
    label = read_label(mark.text)
    if label is None or not label.value:
        return False
    if label.kind == "title" and details.title is None:
        details.title = clean_title(label.value)
    elif label.kind == "room" and details.room is None:
        details.room = squash(label.value)
    elif label.kind == "organizer" and details.organizer is None:
        details.organizer = clean_title(label.value)
    elif label.kind == "mode":
        details.online = details.online or is_online(label.value)
    elif label.kind == "join":
        details.links.append((mark.line.number, label.value))
    else:
        return label.kind in ("day", "time")
    return True


def link_line(mark: Mark, details: Details) -> bool:
    """A line that is only a link (``Click here to join``) or an address."""
    line = mark.line
    if len(line.links) == 1 and squash(line.links[0][0]) == squash(line.text):
        target = join_target(*line.links[0])
        if target is not None:
            details.links.append((line.number, target))
        return True
    url = bare_url(line.text)
    if url is not None:
        details.links.append((line.number, url))
        return True
    return False


def online_from_text(details: Details) -> bool:
    return details.online or (details.room is None and says_online(" ".join(details.description)))
