"""What reading a listing finds: session candidates as written, and report lines.

A candidate keeps the listing's own text (``when``, ``day``): times are resolved once, by
:mod:`notifier.times`, when the draft is built, so the config re-parses to the same instants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

ReportKind = Literal["unplaced", "note"]
# tick(stage, done, total): how far a long import is, for the command line's progress bar
Tick = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Candidate:
    """One session block of the listing; ``line`` is where its time is written."""

    line: int
    title: str
    when: str
    day: str | None = None
    day_line: int | None = None
    description: str | None = None
    room: str | None = None
    online: bool = False
    organizer: str | None = None
    join_url: str | None = None
    dated: bool = False
    deadline: bool = False

    def merged_with(self, other: Candidate) -> Candidate:
        """This candidate, with what only ``other`` says (the same session listed twice)."""
        texts = [text for text in (self.description, other.description) if text]
        description = "\n\n".join(dict.fromkeys(texts))
        if other.title.casefold() != self.title.casefold():
            also = f"Also listed as: {other.title}"
            description = f"{also}\n\n{description}" if description else also
        return replace(
            self,
            description=description or None,
            room=self.room or other.room,
            online=self.online or other.online,
            organizer=self.organizer or other.organizer,
            join_url=self.join_url or other.join_url,
        )


@dataclass(frozen=True)
class ReportLine:
    """Something the importer could not place (``unplaced``), or a fact to check (``note``)."""

    line: int
    kind: ReportKind
    message: str

    def render(self, source: str) -> str:
        label = "could not place" if self.kind == "unplaced" else "note:"
        return f"{source}:{self.line}: {label} {self.message}"


def unplaced(line: int, message: str) -> ReportLine:
    return ReportLine(line, "unplaced", message)


def note(line: int, message: str) -> ReportLine:
    return ReportLine(line, "note", message)


@dataclass
class Found:
    """Every candidate and report line one reading of a listing produced, in listing order."""

    candidates: list[Candidate] = field(default_factory=list)
    report: list[ReportLine] = field(default_factory=list)

    def extend(self, other: Found) -> None:
        self.candidates.extend(other.candidates)
        self.report.extend(other.report)
