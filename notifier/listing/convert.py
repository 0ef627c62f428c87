"""A listing's text to a draft event config and a report: the one entry point of the package.

The pipeline: read the listing as lines (:mod:`~notifier.listing.lines`, or
:mod:`~notifier.listing.html` for HTML), find every time in them
(:mod:`~notifier.listing.scan`), gather each session's lines around its time
(:mod:`~notifier.listing.assemble`), read its title, room and links from them
(:mod:`~notifier.listing.attach`), resolve every time once as the config loader will
(:mod:`~notifier.listing.draft`), and report every time-like line that did not become a
session (:mod:`~notifier.listing.report`). Pure: the caller reads the file and passes
``today`` (only for a year the listing does not give).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from notifier.errors import TimeExpressionError
from notifier.events import load_event
from notifier.listing.draft import (
    Placed,
    drop_envelopes,
    merge_repeats,
    place,
    resolve,
    session_entry,
    slugify,
)
from notifier.listing.dump import dump_config
from notifier.listing.heading import Facts
from notifier.listing.model import Candidate, ReportLine, Tick, note
from notifier.listing.read import read_listing
from notifier.times import TimeContext, parse_day

DEFAULT_REMINDERS = ["1d", "1h", "10m"]
DEFAULT_CHANNELS = ["email", "webhook"]


@dataclass(frozen=True)
class ImportOptions:
    """What the command line adds to the listing; ``source`` names it in every report line."""

    source: str = "<listing>"
    zone: str | None = None
    year: int | None = None
    event_id: str | None = None
    name: str | None = None
    today: date | None = None


@dataclass(frozen=True)
class ImportResult:
    """The YAML text (None when nothing could be imported), its data, and the report."""

    yaml_text: str | None
    config: dict[str, Any] | None
    report: tuple[ReportLine, ...] = field(default=())

    @property
    def session_count(self) -> int:
        return len(self.config["sessions"]) if self.config else 0

    @property
    def dropped(self) -> int:
        """Report lines for times (or timed rows) that could not become sessions."""
        return sum(1 for line in self.report if line.kind == "unplaced")

    def report_lines(self, source: str) -> list[str]:
        return [line.render(source) for line in self.report]


def import_listing(raw: str, options: ImportOptions, tick: Tick | None = None) -> ImportResult:
    """The draft config for ``raw``; every block it could not place is in the report.

    ``tick(stage, done, total)`` hears of the progress of the two long stages (reading the
    lines, placing each candidate session), for a progress bar; it does no I/O itself.
    """
    found, facts = read_listing(raw, tick)
    report = list(found.report)
    year = options.year or facts.year or _infer_year(found.candidates, options.today, report)
    zone = options.zone or _zone(facts, found.candidates, year, options.today, report)
    placed: list[Placed] = []
    for done, candidate in enumerate(found.candidates, start=1):
        outcome = place(candidate, zone, year, options.today)
        if tick is not None:
            tick("placing sessions", done, len(found.candidates))
        if isinstance(outcome, Placed):
            placed.append(outcome)
            report += [note(candidate.line, f"{w.message} [{w.code}]") for w in outcome.warnings]
        else:
            report.append(outcome)
    placed, merged = merge_repeats(placed)
    report += merged
    placed, covering = drop_envelopes(placed)
    report += covering
    if not placed or zone is None:
        return ImportResult(None, None, _sorted(report))
    config = _config(options, facts, zone, year, placed, report)
    text = dump_config(config, _header(options.source, len(placed), report))
    for problem in load_event(text, options.source, today=options.today).errors:
        report.append(note(0, f"the draft does not validate, please report this: {problem}"))
    return ImportResult(text, config, _sorted(report))


def _sorted(report: list[ReportLine]) -> tuple[ReportLine, ...]:
    return tuple(sorted(report, key=lambda line: line.line))


def _infer_year(
    candidates: list[Candidate], today: date | None, report: list[ReportLine]
) -> int | None:
    """The year nearest ``today`` in which the first dated session falls on its weekday."""
    for candidate in candidates:
        try:
            if candidate.day:
                year = parse_day(candidate.day, TimeContext(today=today)).year
                inferred = str(year) not in candidate.day
            else:
                resolved = resolve(candidate, "UTC", None, None, today)
                year = resolved.start.year
                inferred = any(w.code == "inferred-year" for w in resolved.warnings)
        except TimeExpressionError:
            continue
        if inferred:
            report.append(
                note(
                    candidate.line,
                    f"the listing gives no year: {year} is the year nearest today in which "
                    f'"{candidate.day or candidate.when}" falls on that weekday; pass --year '
                    "if not",
                )
            )
        return year
    return None


def _zone(
    facts: Facts,
    candidates: list[Candidate],
    year: int | None,
    today: date | None,
    report: list[ReportLine],
) -> str | None:
    """The heading city's zone, else the zone the first resolvable time is written in."""
    if facts.heading is not None:
        if facts.heading.zone is not None:
            return facts.heading.zone
        report.append(
            note(
                facts.heading.line,
                f'"{facts.heading.city}" is not in the city table; pass --zone with its IANA zone',
            )
        )
    for candidate in candidates:
        try:
            day = parse_day(candidate.day, TimeContext(year=year)) if candidate.day else None
            resolved = resolve(candidate, None, year, day, today)
        except TimeExpressionError:
            continue
        if isinstance(resolved.tz, ZoneInfo):
            report.append(
                note(
                    candidate.line,
                    f'no venue zone given: using {resolved.zone}, the zone "{candidate.when}" '
                    "is written in; pass --zone with the venue's IANA zone",
                )
            )
            return resolved.zone
    first = candidates[0].line if candidates else 1
    report.append(
        note(first, "no venue zone: the listing names no known city or zone; pass --zone")
    )
    return None


def _config(
    options: ImportOptions,
    facts: Facts,
    zone: str,
    year: int | None,
    placed: list[Placed],
    report: list[ReportLine],
) -> dict[str, Any]:
    name = options.name or (facts.name[1] if facts.name else None)
    if name is None:
        name = "Imported listing"
        report.append(note(1, f'no event name found; using "{name}": pass --name'))
    taken: set[str] = set()
    sessions = [
        session_entry(p, slugify(p.candidate.title, taken, f"session-{i}"))
        for i, p in enumerate(placed, start=1)
    ]
    days = [p.day for p in placed]
    config: dict[str, Any] = {
        "id": options.event_id or slugify(name, set(), "imported-event"),
        "name": name,
        "zone": zone,
    }
    if year is not None:
        config["year"] = year
    config["dates"] = {"start": min(days).isoformat(), "end": max(days).isoformat()}
    config["reminders"] = list(DEFAULT_REMINDERS)
    config["channels"] = list(DEFAULT_CHANNELS)
    config["sessions"] = sessions
    return config


def _header(source: str, count: int, report: list[ReportLine]) -> list[str]:
    missed = sum(1 for line in report if line.kind == "unplaced")
    lines = [
        f"Draft imported by `notifier import` from {source}: {count} session(s).",
        "Times are the listing's own text; titles are kept as published. Check, then run",
        "`notifier validate` on this file.",
    ]
    if missed:
        lines.append(f"{missed} block(s) could not be placed: see the import report.")
    return lines
