"""Events and sessions after validation: exact instants, exact reminder offsets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in a config file, with where it is."""

    source: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


Titles = tuple[tuple[str, str], ...]  # (language, text) pairs: hashable, unlike a dict


def title_in(titles: Titles, language: str, default: str) -> str:
    """The organizer's title for ``language``, or ``default`` (the title as written)."""
    return next((text for lang, text in titles if lang == language), default)


@dataclass(frozen=True)
class MessageTemplate:
    """An organizer's template for one message (``reminder`` or ``confirmation``) in one
    language. ``*_line`` is the YAML line of each string and ``*_offset`` how many lines
    its text starts below it (1 for a ``|`` block), so a template error points into the file.
    """

    kind: str
    language: str
    subject: str
    text: str
    html: str | None
    source: str
    lines: tuple[tuple[str, int], ...] = ()  # (field, file line of the template's first line)

    def line_of(self, field: str, template_line: int) -> int:
        """The file line of ``template_line`` (1-based) of ``field``."""
        first = next((line for name, line in self.lines if name == field), 0)
        return first + template_line - 1 if first else 0


@dataclass(frozen=True)
class Session:
    """A session with its instants; ``start`` and ``end`` are aware, in the venue's zone."""

    id: str
    title: str
    when: str
    start: datetime
    end: datetime | None
    zone: str
    reminders: tuple[timedelta, ...]
    channels: tuple[str, ...]
    kind: str = "session"
    description: str | None = None
    join_url: str | None = None
    room: str | None = None
    venue: str | None = None
    mode: str | None = None
    organizer: str | None = None
    cancelled: bool = False
    line: int = 0
    titles: Titles = ()

    def title_in(self, language: str) -> str:
        return title_in(self.titles, language, self.title)

    @property
    def start_utc(self) -> datetime:
        """The start in UTC: compare and subtract these, never the local values (a fold's two
        wall times compare equal in one zone, and local subtraction is wall-clock arithmetic)."""
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime | None:
        return self.end.astimezone(UTC) if self.end is not None else None


@dataclass(frozen=True)
class Broadcast:
    """A chat room the organizer posts every reminder to (``broadcasts:`` in the file).

    ``url`` is the Apprise URL as written: its secrets are ``${NAME}`` references, resolved
    from the environment only right before a send, so no secret is ever held here.
    """

    name: str
    url: str
    reminders: tuple[timedelta, ...]
    sessions: tuple[str, ...] | None = None  # None: every session
    line: int = 0  # where ``url`` is written, for problems found outside the file (its env)
    column: int = 0

    def covers(self, session_id: str, offset: timedelta) -> bool:
        return offset in self.reminders and (self.sessions is None or session_id in self.sessions)


@dataclass(frozen=True)
class Event:
    """A validated event file."""

    id: str
    name: str
    zone: str
    source: str
    sessions: tuple[Session, ...]
    year: int | None = None
    dates: tuple[date, date] | None = None
    venue: str | None = None
    # reminder offset -> how late it may still go out after downtime (see notifier.jobs.policy)
    lateness: tuple[tuple[timedelta, timedelta], ...] = ()
    broadcasts: tuple[Broadcast, ...] = ()
    titles: Titles = ()
    language: str | None = None  # the default for readers whose language is not known
    templates: tuple[MessageTemplate, ...] = ()

    def name_in(self, language: str) -> str:
        return title_in(self.titles, language, self.name)

    def template(self, kind: str, language: str) -> MessageTemplate | None:
        """The organizer's ``kind`` template for ``language``, if they wrote one."""
        return next((t for t in self.templates if t.kind == kind and t.language == language), None)


@dataclass(frozen=True)
class Loaded:
    """What loading one file gave: the event if it had no errors, and every problem."""

    source: str
    event: Event | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")
