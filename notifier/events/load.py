"""Load an event config from its text, reporting every problem as ``file:line:column``.

Pure: the caller reads the file and passes ``today`` (for year guessing). The header and each
session are validated separately, so one bad session does not hide the others' problems.
"""

from __future__ import annotations

import difflib
from datetime import date, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from notifier.errors import TimeExpressionError
from notifier.events._templates import load_templates
from notifier.events._yaml import Located, Mark, Path, YamlSyntaxError, load_located
from notifier.events.broadcasts import load_broadcasts
from notifier.events.keydocs import key_example
from notifier.events.messages import organizer_words
from notifier.events.model import Broadcast, Event, Loaded, Problem, Session, Severity
from notifier.events.spec import DateSpan, EventSpec, SessionSpec
from notifier.times import TimeContext, load_zone, parse_day, parse_duration, parse_when

_M = TypeVar("_M", bound=BaseModel)


class _Report:
    """Problems of one file, placed by path through its YAML."""

    def __init__(self, source: str, located: Located | None = None) -> None:
        self.source = source
        self.located = located or Located(None)
        self.problems: list[Problem] = []
        self.partial = False

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: Path = (),
        offset: int | None = None,
    ) -> None:
        mark = self._mark(path)
        column = mark.column
        if offset is not None and mark.single_line:
            column += offset + (1 if mark.style in ('"', "'") else 0)
        self.problems.append(Problem(self.source, mark.line, column, severity, code, message))

    def add_at(self, severity: Severity, code: str, message: str, mark: Mark) -> None:
        self.problems.append(Problem(self.source, mark.line, mark.column, severity, code, message))

    def time_error(self, exc: TimeExpressionError, path: Path) -> None:
        self.add("error", exc.code, exc.message, path, exc.column)

    def _mark(self, path: Path) -> Mark:
        for depth in range(len(path), -1, -1):
            prefix = path[:depth]
            if prefix in self.located.values:
                return self.located.values[prefix]
        return Mark(1, 1)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def load_event(text: str, source: str, *, today: date | None = None) -> Loaded:
    """Validate one event file's text; ``event`` is None when anything is an error."""
    report = _Report(source)
    try:
        report.located = load_located(text)
    except YamlSyntaxError as exc:
        report.add_at("error", exc.code, _syntax_message(exc, source), exc.mark)
        return Loaded(source, None, tuple(report.problems))
    for path, mark in report.located.duplicates:
        report.add_at("error", "duplicate-key", f'"{path[-1]}" is given twice; keep one', mark)
    data = report.located.data
    if not isinstance(data, dict):
        report.add(
            "error",
            "not-a-mapping",
            "an event file is a mapping with id, name, zone "
            "and sessions; see the README's config format",
        )
        return Loaded(source, None, tuple(report.problems))
    event = _load_mapping(data, report, today)
    problems = tuple(sorted(report.problems, key=lambda p: (p.line, p.column)))
    return Loaded(source, None if report.failed else event, problems)


def _syntax_message(exc: YamlSyntaxError, source: str) -> str:
    """The words, and where PyYAML stopped when that is elsewhere (the end of the file)."""
    stopped = exc.stopped
    if stopped is not None and stopped != exc.mark and exc.detail:
        where = f"{source}:{stopped.line}:{stopped.column}"
        return f"{exc.message} (reading stopped at {where}: {exc.detail})"
    return f"{exc.message} ({exc.detail})" if exc.detail else exc.message


def _respell(
    model: type[BaseModel], data: dict[str, Any], path: Path, report: _Report
) -> dict[str, Any]:
    """``data`` with each unknown key reported, and read as the key it resembles if that one is
    absent: a misspelt ``sesions:`` or ``zne:`` must not hide the problems in its value."""
    fields = list(model.model_fields)
    result = {k: v for k, v in data.items() if k in fields}
    for key, value in data.items():
        if key in fields:
            continue
        close = difflib.get_close_matches(key, fields, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else "; remove it"
        mark = report.located.keys.get((*path, key))
        if mark is not None:
            report.add_at("error", "unknown-key", f'unknown key "{key}"{hint}', mark)
        else:
            report.add("error", "unknown-key", f'unknown key "{key}"{hint}', (*path, key))
        if close and close[0] not in data:
            result[close[0]] = value
            report.located.alias((*path, key), (*path, close[0]))
    return result


def _load_mapping(data: dict[str, Any], report: _Report, today: date | None) -> Event | None:
    data = _respell(EventSpec, data, (), report)
    if isinstance(data.get("dates"), dict):
        data["dates"] = _respell(DateSpan, data["dates"], ("dates",), report)
    header_data = {k: v for k, v in data.items() if k != "sessions"}
    header_data["sessions"] = [{"id": "x", "title": "x", "when": "x"}]  # checked one by one
    header = _validate(EventSpec, header_data, (), report)
    if header is None:
        # keep checking the sessions against what is valid in the header: every problem at once
        header = _lenient(EventSpec, header_data)
        report.partial = True
    raw_sessions = data.get("sessions")
    if not isinstance(raw_sessions, list) or not raw_sessions:
        report.add(
            "error",
            "no-sessions",
            'the event needs a "sessions" list with at least one session',
            ("sessions",) if "sessions" in data else (),
        )
        if header is not None:  # the zone, reminders and lateness are still checked
            _resolve_sessions(header, [], report, today)
            _lateness(header.lateness, report)
        return None
    raw_sessions = [
        _respell(SessionSpec, raw, ("sessions", i), report) if isinstance(raw, dict) else raw
        for i, raw in enumerate(raw_sessions)
    ]
    specs = [
        (spec, True)
        if (spec := _validate(SessionSpec, raw, ("sessions", i), report)) is not None
        else (_lenient(SessionSpec, raw), False)
        for i, raw in enumerate(raw_sessions)
    ]
    if header is None:
        return None
    sessions = _resolve_sessions(header, specs, report, today)
    lateness = _lateness(header.lateness, report)
    templates = load_templates(
        header.templates, report.located, report.source, report.problems.append
    )
    return Event(
        broadcasts=_broadcasts(header, sessions, report),
        lateness=lateness,
        titles=tuple(header.titles.items()),
        language=header.language,
        templates=templates,
        id=header.id,
        name=header.name,
        zone=header.zone,
        source=report.source,
        sessions=tuple(sessions),
        year=header.year,
        dates=(header.dates.start, header.dates.end) if header.dates else None,
        venue=header.venue,
    )


_PLACEHOLDERS: dict[str, str] = {
    "id": "invalid",
    "name": "invalid",
    "title": "invalid",
    "zone": "UTC",
}


def _lenient(model: type[_M], data: object) -> _M | None:
    """``data`` without the fields that failed (placeholders for required ones), if it helps.

    Used only to keep checking the rest of a file after an error is reported; the event of a
    file with errors is never returned.
    """
    if not isinstance(data, dict):
        return None
    lenient = dict(data)
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(lenient)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                lenient.pop(field, None)
                if field in _PLACEHOLDERS and field in model.model_fields:
                    lenient[field] = _PLACEHOLDERS[field]
    return None


def _validate(model: type[_M], raw: object, path: Path, report: _Report) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            _pydantic_problem(model, error, path, report)
        return None


def _pydantic_problem(model: type[BaseModel], error: Any, base: Path, report: _Report) -> None:
    loc: Path = (*base, *error["loc"])
    name = str(loc[-1]) if loc else ""
    field = ".".join(str(p) for p in error["loc"] if isinstance(p, str)) or _item_name(base)
    if error["type"] == "extra_forbidden":  # only where _respell did not look first
        report.add("error", "unknown-key", f'unknown key "{name}"; remove it', loc)
    elif error["type"] == "string_pattern_mismatch" and name == "id":
        report.add("error", "invalid-id", organizer_words(error, "id"), loc)
    elif error["type"] == "missing":
        report.add("error", "missing-key", _missing(model, name), loc[:-1])
    else:
        # a bad mapping key (a language code we do not write) is reported at the key itself
        key_mark = report.located.keys.get(loc[:-1]) if name == "[key]" else None
        if key_mark is not None:
            where = (
                field.removesuffix(".[key]").rpartition(".")[0] + " key"
            )  # templates.reminder key
            report.add_at("error", "invalid-value", organizer_words(error, where), key_mark)
            return
        report.add("error", "invalid-value", organizer_words(error, field), loc)


def _item_name(path: Path) -> str:
    """``session 3`` for ``("sessions", 2)``: what the organizer counts, not the index."""
    if len(path) == 2 and isinstance(path[1], int):
        return f"{str(path[0]).removesuffix('s')} {path[1] + 1}"
    return "value"


def _missing(model: type[BaseModel], name: str) -> str:
    """``missing key "zone"; add it, such as zone: Europe/Vienna`` (the editor's example)."""
    written = key_example(model.__name__, name)
    example = f", such as {name}: {written}" if written else ""
    return f'missing key "{name}"; add it{example}'


def _resolve_sessions(
    header: EventSpec,
    specs: list[tuple[SessionSpec | None, bool]],
    report: _Report,
    today: date | None,
) -> list[Session]:
    event_zone = _check_zone(header.zone, ("zone",), report)
    defaults = _offsets(header.reminders, ("reminders",), report)
    year = header.year or (header.dates.start.year if header.dates else None)
    seen: dict[str, int] = {}
    sessions = []
    for i, (spec, valid) in enumerate(specs):
        if spec is None:
            continue
        path: Path = ("sessions", i)
        if valid and spec.id in seen:
            report.add(
                "error",
                "duplicate-session",
                f'session id "{spec.id}" is already used by '
                f"session {seen[spec.id] + 1}; ids must be unique",
                (*path, "id"),
            )
        if valid:
            seen.setdefault(spec.id, i)
        session = _resolve_session(header, spec, path, report, (event_zone, year, today, defaults))
        if session is not None:
            sessions.append(session)
    return sessions


_Context = tuple[str | None, int | None, date | None, tuple[timedelta, ...]]


def _resolve_session(
    header: EventSpec, spec: SessionSpec, path: Path, report: _Report, ctx: _Context
) -> Session | None:
    event_zone, year, today, defaults = ctx
    zone = _check_zone(spec.zone, (*path, "zone"), report) if spec.zone else event_zone
    if zone is None and spec.zone:
        return None  # the bad zone is reported already
    day = None
    if spec.day is not None:
        try:
            day = parse_day(spec.day, TimeContext(year=year, today=today))
        except TimeExpressionError as exc:
            report.time_error(exc, (*path, "day"))
            return None
    try:
        resolved = parse_when(spec.when, TimeContext(zone=zone, year=year, day=day, today=today))
    except TimeExpressionError as exc:
        if not (exc.code == "missing-zone" and zone is None):  # else: bad event zone, reported
            report.time_error(exc, (*path, "when"))
        return None
    for issue in resolved.warnings:
        report.add("warning", issue.code, issue.message, (*path, "when"), issue.column)
    _check_span(header, spec, resolved.start.date(), resolved.end is not None, path, report)
    reminders = (
        _offsets(spec.reminders, (*path, "reminders"), report) if spec.reminders else defaults
    )
    return Session(
        id=spec.id,
        title=spec.title,
        when=spec.when,
        start=resolved.start,
        end=resolved.end,
        zone=resolved.zone,
        reminders=reminders,
        channels=tuple(spec.channels or header.channels),
        kind=spec.kind,
        description=spec.description,
        join_url=str(spec.join_url) if spec.join_url else None,
        room=spec.room,
        venue=spec.venue or header.venue,
        mode=spec.mode,
        organizer=spec.organizer_text,
        cancelled=spec.cancelled,
        line=report.located.values.get(path, Mark(0, 0)).line,
        titles=tuple(spec.titles.items()),
    )


def _check_span(
    header: EventSpec, spec: SessionSpec, day: date, has_end: bool, path: Path, report: _Report
) -> None:
    if spec.kind == "deadline" and has_end:
        report.add(
            "error",
            "deadline-range",
            'a deadline has one time, not a range; write only its moment, or use kind "session"',
            (*path, "when"),
        )
    dates = header.dates
    if dates is not None and not dates.start <= day <= dates.end:
        report.add(
            "warning",
            "outside-event-dates",
            f"{day.isoformat()} is outside the "
            f"event's dates ({dates.start.isoformat()} to {dates.end.isoformat()}); "
            "check the date or the event's dates",
            (*path, "when"),
        )


def _lateness(written: dict[str, str], report: _Report) -> tuple[tuple[timedelta, timedelta], ...]:
    """``{1d: 6h, 10m: 2m}``: for each reminder offset, how late it may still be sent."""
    pairs = []
    for key, value in written.items():
        path: Path = ("lateness", key)
        try:
            pairs.append((parse_duration(key), parse_duration(value)))
        except TimeExpressionError as exc:
            report.add("error", exc.code, f"lateness {key}: {exc.message}", path)
    return tuple(pairs)


def _broadcasts(
    header: EventSpec, sessions: list[Session], report: _Report
) -> tuple[Broadcast, ...]:
    """``broadcasts:`` (notifier.events.broadcasts); offsets as the reminders' are written."""
    defaults = _offsets(header.reminders, ("reminders",), report) if header.broadcasts else ()

    def where(path: Path) -> tuple[int, int]:
        mark = report.located.values.get(path, Mark(0, 0))
        return mark.line, mark.column + (1 if mark.style in ('"', "'") else 0)

    return load_broadcasts(
        header.broadcasts,
        {s.id for s in sessions},
        lambda texts, path: _offsets(texts, path, report),
        defaults,
        where,
        report.add,
    )


def _check_zone(name: str, path: Path, report: _Report) -> str | None:
    try:
        return load_zone(name).key
    except TimeExpressionError as exc:
        report.add("error", exc.code, exc.message, path)
        return None


def _offsets(texts: list[str], path: Path, report: _Report) -> tuple[timedelta, ...]:
    offsets: list[timedelta] = []
    for i, text in enumerate(texts):
        try:
            offset = parse_duration(text)
        except TimeExpressionError as exc:
            report.add("error", exc.code, exc.message, (*path, i))
            continue
        if offset in offsets:
            report.add(
                "warning",
                "duplicate-reminder",
                f'"{text}" is listed twice; it is sent once',
                (*path, i),
            )
            continue
        offsets.append(offset)
    return tuple(sorted(offsets, reverse=True))
