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
