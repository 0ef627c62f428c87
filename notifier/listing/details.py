"""Labelled event blocks: ``Event:``, ``Date:`` and ``Time:`` lines, then the description.

Layout (c), the Kyoto Congress page::

    Event: The global illicit economy: Trajectories of organized crime (session #46).
    Date: 11 March 2021
    Time: 14:00 – 15:30 – Japanese Standard Time (6am – 7:30am CET)
    Moderated by journalist Lindy Mtongana.
    …

The ``Date:`` value becomes the session's ``day`` and the ``Time:`` value its ``when``, each
as written, so the config re-parses to the same instants. The block ends at the next
``Event:`` or at the first line that is not a sentence (a heading of the page).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from notifier.listing.blocks import Paragraph
from notifier.listing.model import Candidate, Found, note, unplaced
from notifier.listing.patterns import is_prose, join_link, web_address

_LABEL = re.compile(r"^\s*(?P<label>event|date|time)\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_TRAILING_STOP = re.compile(r"(?<=\))\.$")


@dataclass
class _Block:
    event: Paragraph
    fields: dict[str, Paragraph] = field(default_factory=dict)
    prose: list[Paragraph] = field(default_factory=list)
    links: list[tuple[Paragraph, str]] = field(default_factory=list)


def read_detail_blocks(paragraphs: Sequence[Paragraph | None]) -> tuple[Found, set[int]]:
    """Every ``Event:`` block, and the indexes of the lines they cover."""
    found = Found()
    claimed: set[int] = set()
    flat = [piece for p in paragraphs for piece in _split_labelled(p)]
    i = 0
    while i < len(flat):
        paragraph = flat[i]
        if paragraph is None or _label(paragraph) != "event":
            i += 1
            continue
        block, i = _collect(flat, i)
        for member in (block.event, *block.fields.values(), *block.prose):
            claimed.update(member.indexes)
        claimed.update(index for link, _ in block.links for index in link.indexes)
        _add_candidate(block, found)
    return found, claimed


def _split_labelled(paragraph: Paragraph | None) -> list[Paragraph | None]:
    """``Event:``/``Date:``/``Time:`` lines written without blank lines between them, apart."""
    if paragraph is None or not any(_LABEL.match(line.text) for line in paragraph.lines[1:]):
        return [paragraph]
    pieces: list[Paragraph | None] = []
    for offset, line in enumerate(paragraph.lines):
        last = pieces[-1] if pieces else None
        if last is not None and not _LABEL.match(line.text):
            pieces[-1] = Paragraph(last.first, (*last.lines, line))
        else:
            pieces.append(Paragraph(paragraph.first + offset, (line,)))
    return pieces


def _label(paragraph: Paragraph) -> str | None:
    match = _LABEL.match(paragraph.text)
    return match["label"].lower() if match else None


def _value(paragraph: Paragraph) -> str:
    match = _LABEL.match(paragraph.text)
    return match["value"].strip() if match else paragraph.text


def _collect(flat: list[Paragraph | None], start: int) -> tuple[_Block, int]:
    event = flat[start]
    if event is None:
        raise ValueError("a block starts at an Event: paragraph")
    block = _Block(event)
    i = start + 1
    while i < len(flat) and (paragraph := flat[i]) is not None:
        label = _label(paragraph)
        if label == "event":
            break
        if label in ("date", "time") and label not in block.fields:
            block.fields[label] = paragraph
        elif (target := join_link(paragraph.text)) is not None:
            block.links.append((paragraph, target))
        elif is_prose(paragraph.text):
            block.prose.append(paragraph)
        else:
            break
        i += 1
    return block, i


def _add_candidate(block: _Block, found: Found) -> None:
    title = _TRAILING_STOP.sub("", _value(block.event))
    date = block.fields.get("date")
    when_at = block.fields.get("time") or date
    if when_at is None:
        found.report.append(
            unplaced(block.event.number, f'the event "{title}": no Date: or Time: line')
        )
        return
    join_url = None
    for paragraph, target in block.links[:1]:
        join_url = web_address(target)
        if join_url is None:
            found.report.append(
                note(paragraph.number, f'the join link points to "{target}"; join_url left out')
            )
    dated = date is not None and date is not when_at
    found.candidates.append(
        Candidate(
            line=when_at.number,
            title=title,
            when=_value(when_at),
            day=_value(date) if dated and date is not None else None,
            day_line=date.number if dated and date is not None else None,
            description="\n\n".join(p.text for p in block.prose) or None,
            join_url=join_url,
        )
    )
