"""The lines after a time: labelled lines, join links, the title when the line of the time
has none (below the organizers' logo lines on the GI-TOC pages), and the description."""

from __future__ import annotations

import re

from notifier.listing.assemble import Draft
from notifier.listing.details import Details, labelled, link_line
from notifier.listing.labels import read_label
from notifier.listing.lines import Line
from notifier.listing.marks import Mark, has_letters
from notifier.listing.patterns import (
    bare_url,
    clean_title,
    is_room_line,
    is_title_like,
    squash,
)

_LOGO_WORDS = 5
_LABEL_WORDS = re.compile(r"[A-Za-z][A-Za-z-]*(?: [A-Za-z][A-Za-z-]*){0,2}")


def read_body(draft: Draft, details: Details) -> None:
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
    return not has_letters(mark.text) or labelled(mark, details) or link_line(mark, details)


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
        labelled(
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
