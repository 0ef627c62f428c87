"""Score `notifier import` on one corpus page against its hand-written expectation file.

A plain helper (no fixtures) shared by the corpus test and its printed table: count, sampled
sessions (title, UTC start/end, room, mode), and whether the draft validates with --strict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from notifier.cli import main
from notifier.events import Event, Session, load_event
from notifier.listing import ImportOptions, ImportResult, import_listing

CORPUS = Path(__file__).resolve().parent / "corpus"
TODAY = date(2026, 11, 25)


@dataclass
class Score:
    """One page: what was expected and what the importer made of it."""

    page: str
    url: str
    expected: int
    imported: int = 0
    sampled: int = 0
    sampled_right: int = 0
    validates: bool = False
    expected_validates: bool = True
    problems: list[str] = field(default_factory=list)
    result: ImportResult | None = None

    @property
    def exact(self) -> bool:
        return (
            self.imported == self.expected
            and self.sampled_right == self.sampled
            and self.validates == self.expected_validates
        )


def pages() -> list[Path]:
    return sorted(path for path in CORPUS.iterdir() if path.name.endswith(".expect.yaml"))


def source_of(expect_file: Path) -> Path:
    stem = expect_file.name.removesuffix(".expect.yaml")
    [source] = [p for p in CORPUS.iterdir() if p.stem == stem and p != expect_file]
    return source


def score(expect_file: Path, tmp: Path) -> Score:
    expect: dict[str, Any] = yaml.safe_load(expect_file.read_text(encoding="utf-8"))
    source = source_of(expect_file)
    options = expect.get("options") or {}
    result = import_listing(
        source.read_text(encoding="utf-8"),
        ImportOptions(str(source), options.get("zone"), options.get("year"), today=TODAY),
    )
    outcome = Score(source.name, expect["url"], expect["sessions"], result=result)
    outcome.expected_validates = expect.get("validates_strict", True)
    if result.yaml_text is None:
        outcome.problems.append("nothing imported")
        outcome.sampled = len(expect.get("sample") or [])
        return outcome
    loaded = load_event(result.yaml_text, "draft.yaml", today=TODAY)
    event = loaded.event
    outcome.imported = len(event.sessions) if event else 0
    draft = tmp / f"{source.stem}.yaml"
    draft.write_text(result.yaml_text, encoding="utf-8")
    validated = CliRunner().invoke(main, ["validate", "--strict", str(draft)])
    outcome.validates = validated.exit_code == 0
    for sample in expect.get("sample") or []:
        outcome.sampled += 1
        problem = _check(sample, event)
        if problem is None:
            outcome.sampled_right += 1
        else:
            outcome.problems.append(problem)
    return outcome


def _check(sample: dict[str, Any], event: Event | None) -> str | None:
    sessions = event.sessions if event else ()
    matches = [
        s
        for s in sessions
        if _title_matches(sample, s) and _utc(s.start_utc) == sample["start_utc"]
    ]
    if not matches:
        titles = [(s.title[:40], _utc(s.start_utc)) for s in sessions]
        return (
            f"no session {sample.get('title') or sample.get('title_start')!r} at "
            f"{sample['start_utc']}; have {titles[:6]}…"
        )
    session = matches[0]
    for key, actual in (
        ("end_utc", _utc(session.end_utc)),
        ("room", session.room),
        ("mode", session.mode),
    ):
        if key in sample and sample[key] != actual:
            return f"{session.title[:40]!r}: {key} {actual!r}, expected {sample[key]!r}"
    return None


def _title_matches(sample: dict[str, Any], session: Session) -> bool:
    if "title" in sample:
        return bool(session.title == sample["title"])
    return bool(session.title.startswith(sample["title_start"]))


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
