"""Sessions around their times: walk the scanned lines, keep the day heading, the table's
column headers, the lines after each time (its body) and the line before it.

A day heading, a heading, a ``Event:``/``Title:`` line or the next time ends a body. A row
carries its own columns and takes no body. Whether a section writes its titles before the
times (a summary list, a calendar) or after them (a block per session) is decided for the
whole section at once, so one row never lends its title to another
(:mod:`notifier.listing.attach` then reads each session's details).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notifier.listing.labels import read_label
from notifier.listing.marks import Mark, Slot, has_letters
from notifier.listing.patterns import is_room_line, is_title_like, names_a_room
from notifier.times.lex import Token, tokenize
from notifier.times.vocab import MONTHS, WEEKDAYS


@dataclass
class Draft:
    """A session being read: its time, day, section and the lines around it."""

    mark: Mark
    slot: Slot
    group: int
    day: str | None
    day_line: int | None
    headers: tuple[str, ...]
    lead: list[Mark] = field(default_factory=list)
    body: list[Mark] = field(default_factory=list)
    before: Mark | None = None
    room_heading: str | None = None
    leading: bool = False

    @property
    def is_row(self) -> bool:
        return bool(self.mark.line.cells)


@dataclass
class _State:
    day: str | None = None
    day_line: int | None = None
    group: int = 0
    headers: tuple[str, ...] = ()
    current: Draft | None = None
    lead: list[Mark] = field(default_factory=list)
    room: str | None = None
    room_holds: bool = False


@dataclass
class Assembly:
    """Every draft session, the marks no session used, and what the whole page says."""

    drafts: list[Draft] = field(default_factory=list)
    loose: list[Mark] = field(default_factory=list)
    event_online: bool = False
    event_room: str | None = None


def assemble(marks: list[Mark]) -> Assembly:
    """Drafts in listing order."""
    out = Assembly()
    state = _State()
    for mark in marks:
        _step(mark, marks, state, out)
    _decide_leading(out.drafts, marks)
    return out


def _step(mark: Mark, marks: list[Mark], state: _State, out: Assembly) -> None:
    kind = mark.kind
    if kind == "blank":
        return
    if kind in ("day", "heading", "header", "timeless-row", "page-header"):
        _boundary(mark, state, out)
    elif kind == "anchor":
        _anchor(mark, marks, state, out)
    else:
        _text(mark, state, out)


def _boundary(mark: Mark, state: _State, out: Assembly) -> None:
    state.current = None
    if mark.kind == "day":
        state.day, state.day_line = mark.day, mark.line.number
        state.group += 1
        if any(mark.headers[1:]):  # "| Monday, Nov. 4 | Location | Code |" also names columns
            state.headers = mark.headers
        # a room heading just above a day heading ("Room XX", then the day) is that day's
        state.room = state.room if state.room_holds else None
        state.room_holds = False
    elif mark.kind == "heading":
        state.group += 1
        out.loose.append(mark)
    elif mark.kind == "header":
        state.headers = mark.headers
    else:
        out.loose.append(mark)


def _anchor(mark: Mark, marks: list[Mark], state: _State, out: Assembly) -> None:
    state.room_holds = False
    for slot in mark.slots:
        draft = Draft(
            mark,
            slot,
            state.group,
            slot.day or state.day,
            mark.line.number if slot.day else state.day_line,
            state.headers,
            lead=state.lead,
            before=_before(mark, marks),
            room_heading=state.room,
        )
        out.drafts.append(draft)
        state.lead = []
        if slot.dated:
            # the sessions after a dated one, with only a time, are on its day
            state.day, state.day_line = date_part(slot.when), mark.line.number
    state.current = None if mark.line.cells else out.drafts[-1]


def date_part(when: str) -> str:
    """``4 September 2020`` of ``4 September 2020, 15:00-17:00``; ``Tuesday, 4 March`` of
    ``9 a.m. on Tuesday, 4 March``."""
    tokens = tokenize(when)
    dated = [
        t
        for i, t in enumerate(tokens)
        if t.kind in ("ordinal", "year", "isodate", "numdate", "dashdate")
        or (t.kind == "word" and (t.text.lower() in MONTHS or t.text.lower() in WEEKDAYS))
        or (t.bare_number and _beside_month(tokens, i))
    ]
    if not dated:
        return when
    return when[dated[0].column : dated[-1].column + len(dated[-1].text)]


def _beside_month(tokens: list[Token], i: int) -> bool:
    near = (tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens))
    return any(t.kind == "word" and t.text.lower() in MONTHS for t in near)


def _text(mark: Mark, state: _State, out: Assembly) -> None:
    label = read_label(mark.text)
    if label is not None and label.kind == "title":
        state.current = None
        state.lead.append(mark)
        return
    if state.current is not None:
        state.current.body.append(mark)
        return
    if label is not None and label.kind in ("room", "mode") and not out.drafts:
        out.event_room = label.value
        return
    if mark.kind == "text" and names_a_room(mark.text) and not state.lead:
        state.room, state.room_holds = mark.text, True
    out.loose.append(mark)


def _before(mark: Mark, marks: list[Mark]) -> Mark | None:
    """The line just above a time, if it could be its title: a title-like line, or a heading
    (``<h3>Title</h3>``, even above ``Date:`` and ``Venue:`` lines of its block)."""
    skipped = False
    for previous in reversed(marks[: mark.index]):
        if previous.kind == "blank" or (previous.kind == "text" and not has_letters(previous.text)):
            continue
        if previous.kind == "heading":
            return previous
        if previous.kind == "day" or (previous.kind == "text" and _block_label(previous.text)):
            skipped = True
            continue
        if not skipped and previous.kind == "text" and is_title_like(previous.text):
            return None if read_label(previous.text) else previous
        return None
    return None


def _block_label(text: str) -> bool:
    label = read_label(text)
    return label is not None and label.kind in ("day", "room", "organizer", "mode", "join")


def _decide_leading(drafts: list[Draft], marks: list[Mark]) -> None:
    """Titles lead in a section when every time without a title of its own has a title-like
    line just above it, and the last one is not followed by one (it would be its title)."""
    groups: dict[int, list[Draft]] = {}
    for draft in drafts:
        groups.setdefault(draft.group, []).append(draft)
    for members in groups.values():
        open_ = [d for d in members if not d.is_row and needs_title(d)]
        if not open_ or any(d.before is None for d in open_):
            continue
        if _trailing_title(open_[-1]) is not None:
            continue
        used = {d.before.index for d in open_ if d.before is not None}
        for draft in members:
            draft.body = [m for m in draft.body if m.index not in used]
        for draft in open_:
            draft.leading = True


def needs_title(draft: Draft) -> bool:
    """No ``Event:`` line and no title after the time on its own line."""
    if any(read_label(m.text) for m in draft.lead):
        return False
    rest = draft.slot.rest.strip()
    return not has_letters(rest) or rest[:1] in "-–—" or len(rest) > 250


def _trailing_title(draft: Draft) -> Mark | None:
    """The first title-like line after the time, before any sentence."""
    for mark in draft.body:
        if mark.kind in ("blank",) or not has_letters(mark.text):
            continue
        if read_label(mark.text) is not None or is_room_line(mark.text):
            continue
        return mark if is_title_like(mark.text) and mark.kind == "text" else None
    return None
