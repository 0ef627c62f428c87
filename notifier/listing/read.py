"""Read a listing into session candidates and report lines: lines → times → sessions.

Each candidate keeps the listing's own text for its time (``when``) and day heading
(``day``); nothing is resolved here but the structure.
"""

from __future__ import annotations

from notifier.listing.assemble import Assembly, Draft, assemble
from notifier.listing.attach import Details, online_from_text, read_details
from notifier.listing.heading import Facts, read_facts
from notifier.listing.html import read_html
from notifier.listing.lines import Line, looks_like_html, read_text
from notifier.listing.marks import Mark
from notifier.listing.model import Candidate, Found, ReportLine, Tick, note, unplaced
from notifier.listing.patterns import is_online, is_title_like, web_address
from notifier.listing.prose import sentence_sessions
from notifier.listing.report import report_loose, shorten
from notifier.listing.scan import scan


def read_listing(raw: str, tick: Tick | None = None) -> tuple[Found, Facts]:
    """Every session candidate in ``raw`` (listing order), and the event-wide facts."""
    lines, page_name = read_html(raw) if looks_like_html(raw) else (read_text(raw), None)
    marks = scan(lines, tick)
    assembly = assemble(marks)
    found = Found()
    details = [read_details(draft) for draft in assembly.drafts]
    _name_untitled_groups(assembly.drafts, details, marks)
    for draft, detail in zip(assembly.drafts, details, strict=True):
        _candidate(draft, detail, assembly, found)
    first = assembly.drafts[0].mark.line.number if assembly.drafts else None
    facts = read_facts(lines, first, page_name)
    skip = {facts.heading.line} if facts.heading else set()
    if not found.candidates:
        # no programme: read sessions told in sentences (a press note, a guide's deadline)
        told = sentence_sessions(assembly.loose)
        found.candidates += told
        skip |= {candidate.line for candidate in told}
        found.report += [
            note(c.line, f'"{c.when}" read from a sentence as "{c.title}"; check the title')
            for c in told
        ]
    found.report += report_loose(assembly.loose, skip)
    found.candidates.sort(key=lambda candidate: candidate.line)
    return found, facts


def _candidate(draft: Draft, details: Details, assembly: Assembly, found: Found) -> None:
    line = draft.mark.line.number
    for number, anchor in details.notes:
        found.report.append(
            note(
                number,
                f"a time in the description of the session at line {anchor}; not a "
                "session of its own",
            )
        )
    title = details.title or details.organizer
    if not title:
        found.report.append(
            unplaced(line, f'the session at "{draft.slot.when}": no title found near it')
        )
        return
    online = details.online or is_online(assembly.event_room) or online_from_text(details)
    found.candidates.append(
        Candidate(
            line=line,
            title=title,
            when=draft.slot.when,
            day=None if draft.slot.dated else draft.day,
            day_line=None if draft.slot.dated else draft.day_line,
            description="\n\n".join(_description(details)) or None,
            room=details.room,
            online=online,
            organizer=details.organizer if details.title else None,
            join_url=_join_url(details, found.report),
            dated=draft.slot.dated,
        )
    )


def _description(details: Details) -> list[str]:
    texts = [" ".join(text.split()) for text in details.description if text.strip()]
    while texts and texts[-1].endswith(":"):
        texts.pop()  # "GI-TOC will also participate in the following event:" heads the next
    return texts


def _join_url(details: Details, report: list[ReportLine]) -> str | None:
    for number, target in details.links[:1]:
        url = web_address(target)
        if url is None:
            report.append(
                note(
                    number,
                    f'the join link points to "{target}", not a web address; join_url left out',
                )
            )
        return url
    return None


def _name_untitled_groups(drafts: list[Draft], details: list[Details], marks: list[Mark]) -> None:
    """A list or table where no time has a title of its own (every row a "Break", a series of
    webinars) is named by the heading above it."""
    groups: dict[int, list[int]] = {}
    for i, draft in enumerate(drafts):
        groups.setdefault(draft.group, []).append(i)
    for members in groups.values():
        if any(details[i].title or details[i].organizer for i in members):
            continue
        heading = _heading_above(drafts[members[0]].mark, marks)
        for i in members:
            details[i].title = heading


def _heading_above(mark: Mark, marks: list[Mark]) -> str | None:
    for previous in reversed(marks[: mark.index]):
        if previous.kind == "heading" or (
            previous.kind == "text" and is_title_like(previous.text, 120)
        ):
            return " ".join(previous.text.split())
    return None


__all__ = ["Line", "read_listing", "shorten"]
