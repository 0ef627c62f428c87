"""Sessions told in sentences, for a page with no programme at all (a press note, a guide):
"… will open the session at 9 a.m. on Monday, 3 March", "submit a Position Paper by 11:59
p.m. ET on 1 March 2025".

Only when the structural reading found no session: a programme's own sentences ("the rooms
open at 8:30 a.m.") stay notes. Each clock in a sentence is a session on the date written
with it, or on the sentence's (or the previous sentence's) date; its title is its clause
without the time, so the organizer sees where it came from; ``by``/``no later than``/
``deadline`` before the time makes it a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from notifier.listing.assemble import date_part
from notifier.listing.marks import Mark, has_clock, has_date
from notifier.listing.model import Candidate
from notifier.listing.patterns import clean_title, squash
from notifier.times import Found, find_times
from notifier.times.vocab import MONTHS

_SENTENCE_END = re.compile(r"(?P<word>[\w.]*)[.!?][)\]”\"’]*\s+(?=[A-Z“\"])")
_ABBREVIATIONS = frozenset({"mr", "ms", "mrs", "dr", "st", "no", "h.e", "a.m", "p.m", "prof"})
_CLAUSES = re.compile(r",\s+and\s+|;\s+|,\s+while\s+|,\s+followed by\s+")
_DEADLINE = re.compile(r"\b(?:by|no later than|deadline|before|until)\s*:?\s*$", re.IGNORECASE)
_DANGLING = re.compile(
    r"\b(?:at|on|from|by|no later than|that day|the same day|until|before|starting)\s*[,.]?\s*$"
    r"|^\s*(?:at|on|from|and|that day|the same day)\b",
    re.IGNORECASE,
)
_MAX_TITLE = 160
_RELATIVE = re.compile(
    r"\s*(?:on\s+)?the\s+(?:day|evening|night)\s+(?:before|after)\b|"
    r"\s*(?:on\s+)?the\s+(?:previous|following|next)\s+day\b",
    re.I,
)
# "All three town halls will be from 6 to 8 p.m.": one time for the dates listed before it
_SHARED = re.compile(
    r"^\s*(?:all|each|every|both)(?:\s+(?:of\s+)?(?:the|these|two|three|four|five|six))?\s+"
    r"|\s+(?:will\s+(?:be|run|take\s+place)|are|run|take\s+place)\s*$",
    re.IGNORECASE,
)
_MIN_WORDS = 3
_AND = re.compile(r",?\s+and\s+(?:at\s+)?")
_LEADING_YEAR = re.compile(r"(?:19|20)\d\d\s+(?:at\s+)?")
_HOLE = re.compile(r"\s+(?:at|on|from|by)\s*(?=[,.;]|\s*$)|\s+(?:at|on)\s+(?:at|on)\s+")


@dataclass
class _Told:
    """What the sentences so far said: the day in force, the dates listed since the last time."""

    day: str | None = None
    listed: dict[str, str] = field(default_factory=dict)
    found: list[Candidate] = field(default_factory=list)


def sentence_sessions(marks: Iterable[Mark]) -> list[Candidate]:
    """A candidate for each clock in the running text of ``marks``, in order."""
    told = _Told()
    for mark in marks:
        if mark.kind != "time-text":
            continue
        for sentence in split_sentences(squash(mark.text)):
            _sentence(sentence, mark.line.number, told)
    return told.found


def _sentence(sentence: str, line: int, told: _Told) -> None:
    spans = find_times(sentence)
    dates = [s for s in spans if not has_clock(s.text)]
    if dates:
        told.day = dates[0].text
    for span in dates:
        told.listed.setdefault(_date_key(span.text), span.text)
    for start, when in _clock_parts(sentence, spans):
        end = start + len(when)
        if _RELATIVE.match(sentence[end:]):
            continue  # "by 5 p.m. the day before the town hall": no date of its own
        title = _title(_around(sentence, start, end))
        if not title:
            continue
        own_date = has_date(when)
        days = [told.day] if own_date or not _SHARED.search(sentence) else []
        if not days:
            days = list(told.listed.values()) if len(told.listed) > 1 else [told.day]
            title = _title(_SHARED.sub("", title)) or title
        for day in days:
            told.found.append(
                Candidate(
                    line=line,
                    title=title,
                    when=when,
                    day=None if own_date else day,
                    day_line=None if own_date else line,
                    description=sentence,
                    dated=own_date,
                    deadline=_DEADLINE.search(sentence[:start]) is not None,
                )
            )
        told.listed = {}
        if own_date:
            told.day = date_part(when)


def _date_key(text: str) -> str:
    """``Tuesday, Nov. 29th`` and ``November 29`` are one date: month's first letters and day."""
    words = re.findall(r"[A-Za-z]+|\d+", text)
    months = [w[:3].lower() for w in words if w.lower() in MONTHS]
    days = [w for w in words if w.isdigit() and len(w) <= 2]
    return f"{months[:1]}{days[:1]}"


def _clock_parts(sentence: str, spans: list[Found]) -> list[tuple[int, str]]:
    """Each clock of the sentence with its offset: "9 a.m. on Tuesday, 4 March, and at 3 p.m."
    is two times; a year before "at 3 p.m. on Thursday, 6 March" belongs to the sentence."""
    parts: list[tuple[int, str]] = []
    for span in spans:
        if not has_clock(span.text):
            continue
        offset = span.start
        for piece in _AND.split(span.text):
            at = sentence.index(piece, offset)
            offset = at + len(piece)
            lead = _LEADING_YEAR.match(piece)
            if lead is not None and has_date(piece[lead.end() :]):
                at, piece = at + lead.end(), piece[lead.end() :]
            if has_clock(piece):
                parts.append((at, piece))
    return parts


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; "p.m. ET", "Mr. Pinheiro" and "H.E. Mr." do not end one."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        word = match["word"].lower()
        if word in _ABBREVIATIONS or len(word.strip(".")) == 1:
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _around(sentence: str, start: int, end: int) -> str:
    """The words of the time's clause before it ("… will open the session at"), or after it
    when it opens the clause ("at 3 p.m. that day the dialogue … will take place")."""
    clause_start, clause_end = _clause_bounds(sentence, start, end)
    before = sentence[clause_start:start]
    words = re.findall(r"[^\W\d_]{2,}", before)
    return before if len(words) >= _MIN_WORDS else sentence[end:clause_end]


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    clause = _clause(sentence, start, end)
    begin = sentence.index(clause)
    return begin, begin + len(clause)


def _clause(sentence: str, start: int, end: int) -> str:
    bounds = [0, *(m.end() for m in _CLAUSES.finditer(sentence)), len(sentence)]
    begin = max(b for b in bounds if b <= start)
    stop = min((m.start() for m in _CLAUSES.finditer(sentence) if m.start() >= end), default=None)
    return sentence[begin : stop if stop is not None else len(sentence)]


def _title(text: str) -> str:
    title = _HOLE.sub(" ", squash(text)).rstrip(" .")
    title = re.sub(r"\s+,", ",", squash(title))
    for _ in range(3):
        title = _DANGLING.sub("", title).strip(" ,")
    title = clean_title(title)
    if len(title) > _MAX_TITLE:
        title = title[:_MAX_TITLE].rsplit(" ", 1)[0] + "…"
    return title[:1].upper() + title[1:] if title else ""
