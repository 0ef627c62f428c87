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

import re
from dataclasses import dataclass, field

from notifier.listing.assemble import Draft, needs_title
from notifier.listing.labels import read_label
from notifier.listing.lines import Line
from notifier.listing.patterns import (
    bare_url,
    clean_title,
    is_online,
    is_prose,
    is_room_line,
    is_title_like,
    join_target,
    names_a_room,
    no_room,
    room_at_start,
    says_online,
    sentence_inside,
    split_organizer,
    squash,
)
from notifier.listing.scan import ROOM_WORDS, SKIP_WORDS, TIME_WORDS, Mark, has_letters

_MAX_ROOM = 80
_LOGO_WORDS = 5
_LABEL_WORDS = re.compile(r"[A-Za-z][A-Za-z-]*(?: [A-Za-z][A-Za-z-]*){0,2}")


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


def read_details(draft: Draft) -> Details:
    """Everything but the time, from the lead, the row or line, the body and the line above."""
    details = Details()
    for mark in draft.lead:
        _labelled(mark, details)
    if draft.is_row:
        _row(draft, details)
    else:
        _inline(draft, details)
        _body(draft, details)
    _links(draft.mark.line, details)
    if details.room is None and draft.room_heading is not None:
        details.room = draft.room_heading
    if details.room is not None and is_online(details.room):
        details.room, details.online = None, True
    if details.room is not None and no_room(details.room):
        details.room = None
    return details


def _labelled(mark: Mark, details: Details) -> bool:
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


def _row(draft: Draft, details: Details) -> None:
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
    if not roles and len(titles) >= 2 and len(titles[-1]) <= _MAX_ROOM:
        rooms.append(titles.pop())
    if titles:
        first, *more = titles[0].split("\n")
        details.title, organizer = split_organizer(first)
        details.organizer = details.organizer or organizer
        for text in more:
            if not _labelled(Mark(-1, Line(draft.mark.line.number, text), "text"), details):
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


def _inline(draft: Draft, details: Details) -> None:
    rest = draft.slot.rest.strip()
    aside = draft.slot.aside
    if aside and is_title_like(aside, _MAX_ROOM):
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
    if (
        (tail or names_a_room(head))
        and is_title_like(head, _MAX_ROOM)
        and not sentence_inside(head)
    ):
        details.room = details.room or squash(head)
        text = tail
    if has_letters(text):
        details.description.append(text)


def _titled_rest(rest: str, details: Details) -> None:
    """``TITLE Organized by X. Conference Room M2 Prose…`` after the time on one line."""
    title, organizer = split_organizer(rest)
    named, at, place = title.partition(" @ ")
    if at and is_title_like(place, _MAX_ROOM) and has_letters(named):
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


def _body(draft: Draft, details: Details) -> None:
    heads: list[list[Mark]] = []
    seen_prose = False
    previous: Mark | None = None
    for mark in draft.body:
        if _continues(previous, mark, details) or _aside(mark, details):
            previous = mark
            continue
        if mark.kind == "time-text":
            details.notes.append((mark.line.number, draft.mark.line.number))
        if not seen_prose and mark.kind == "text" and _head_like(mark.text):
            joined = previous is not None and previous.index == mark.index - 1 and heads
            if joined:
                heads[-1].append(mark)
            else:
                heads.append([mark])
        else:
            seen_prose = True
            details.description.append(mark.text)
        previous = mark
    _heads(heads, draft, details)


def _aside(mark: Mark, details: Details) -> bool:
    """A line that is no title: a separator, a known label, a link, a room's name."""
    if mark.kind == "text" and is_room_line(mark.text):
        details.room = details.room or squash(mark.text).rstrip(" .")
        return True
    return not has_letters(mark.text) or _labelled(mark, details) or _link_line(mark, details)


def _head_like(text: str) -> bool:
    """A title-like line that is not ``Chair: …`` (a label we do not know)."""
    label, colon, _ = text.partition(":")
    unknown_label = colon and _LABEL_WORDS.fullmatch(label.strip()) is not None
    return is_title_like(text) and not unknown_label


def _continues(previous: Mark | None, mark: Mark, details: Details) -> bool:
    """``Organized by: A, B,`` then ``C, D`` on the next lines: one organizer list."""
    if previous is None or previous.index != mark.index - 1 or mark.kind != "text":
        return False
    if read_label(mark.text) is not None:
        return False
    waiting = read_label(previous.text)
    if waiting is not None and not waiting.value and waiting.kind in ("room", "organizer"):
        # "Venue:" alone on its line, the value on the next
        _labelled(
            Mark(mark.index, Line(mark.line.number, f"{waiting.label}: {mark.text}"), "text"),
            details,
        )
        return True
    if previous.text.rstrip().endswith(","):
        details.continuing = _continuing_kind(previous)
    if details.continuing == "organizer" and details.organizer:
        details.organizer = f"{details.organizer} {clean_title(mark.text)}"
        return True
    if details.continuing == "other" and details.description:
        details.description[-1] = f"{details.description[-1]} {mark.text.strip()}"
        return True
    return False


def _continuing_kind(previous: Mark) -> str | None:
    label = read_label(previous.text)
    if label is not None:
        return "organizer" if label.kind == "organizer" else None
    return "other" if ":" in previous.text else None


def _heads(heads: list[list[Mark]], draft: Draft, details: Details) -> None:
    """Short lines after the time: its title, unless the line gave one. Paragraphs of one line
    each are logo lines of organizers, then the title (the GI-TOC layout); a paragraph of
    several lines is a title and its subtitle."""
    lines = [mark for group in heads for mark in group]
    if not lines:
        return
    if details.title is not None or draft.leading:
        details.description[:0] = [m.text for m in lines]
        return
    if _logo_lines(heads, draft):
        details.title = clean_title(heads[-1][0].text)
        organizers = ", ".join(clean_title(g[0].text) for g in heads[:-1])
        details.organizer = details.organizer or organizers or None
        return
    details.title = clean_title(lines[0].text)
    details.description[:0] = [m.text for m in lines[1:]]


def _logo_lines(heads: list[list[Mark]], draft: Draft) -> bool:
    """After a join link, short one-line paragraphs (organizers' logos) above a longer title."""
    if len(heads) < 2 or any(len(group) != 1 for group in heads):
        return False
    first = draft.body[0] if draft.body else None
    if first is None or not (first.line.links or bare_url(first.text)):
        return False
    words = [len(group[0].text.split()) for group in heads]
    return all(count <= _LOGO_WORDS for count in words[:-1]) and words[-1] > max(words[:-1])


def _link_line(mark: Mark, details: Details) -> bool:
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


def _links(line: Line, details: Details) -> None:
    for label, target in line.links:
        found = join_target(label, target)
        if found is not None:
            details.links.append((line.number, found))


def online_from_text(details: Details) -> bool:
    return details.online or (details.room is None and says_online(" ".join(details.description)))
