"""Find and read event config files; the thin I/O around :func:`notifier.events.load_event`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from notifier.events import Event, Loaded, Problem, load_event
from notifier.events.broadcasts import missing_references

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ConfigSet:
    """Every file loaded; ``events`` only when no file has an error."""

    files: tuple[Loaded, ...]
    # (path, mtime_ns, size) of each file as it was read: a later look tells an edit made since
    stamps: tuple[tuple[str, int, int], ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for loaded in self.files for p in loaded.problems)

    @property
    def ok(self) -> bool:
        return all(loaded.event is not None for loaded in self.files)

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(loaded.event for loaded in self.files if loaded.event is not None)


def find_config_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every ``*.yaml``/``*.yml`` under folders, sorted, each once."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES))
        else:
            found.append(path)
    by_resolved: dict[Path, Path] = {}
    for path in found:  # resolved once each: in the order first found, named as last found
        by_resolved[path.resolve()] = path
    return list(by_resolved.values())


def config_stamps(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every config file: equal stamps, the same files as read."""
    stamps = []
    for path in find_config_files(paths):
        try:
            status = path.stat()
        except OSError:
            continue  # gone: it drops out of the stamps, which then differ
        stamps.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(stamps)


def load_config_files(
    paths: Iterable[Path], *, today: date | None = None, environ: Mapping[str, str] | None = None
) -> ConfigSet:
    """Load every file; an unreadable file, an event id used twice, or a broadcast secret
    missing from ``environ`` (default: this process's environment) is an error too."""
    paths = list(paths)
    environ = os.environ if environ is None else environ
    stamps = config_stamps(paths)  # before reading: an edit during the read shows as a change
    files: list[Loaded] = []
    seen: dict[str, str] = {}
    for path in find_config_files(paths):
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = Problem(source, 1, 1, "error", "unreadable", f"cannot read the file: {exc}")
            files.append(Loaded(source, None, (problem,)))
            continue
        loaded = _with_environment(load_event(text, source, today=today), environ)
        if loaded.event is not None and loaded.event.id in seen:
            problem = Problem(
                source,
                1,
                1,
                "error",
                "duplicate-event",
                f'event id "{loaded.event.id}" is already used by {seen[loaded.event.id]}; '
                "ids must be unique across files",
            )
            loaded = Loaded(source, None, (*loaded.problems, problem))
        elif loaded.event is not None:
            seen[loaded.event.id] = source
        files.append(loaded)
    return ConfigSet(tuple(files), stamps)


def _with_environment(loaded: Loaded, environ: Mapping[str, str]) -> Loaded:
    """The file's broadcast URLs name environment variables: each must be set here, or the
    service would start and then fail every broadcast; checked at load, resolved at send."""
    if loaded.event is None:
        return loaded
    problems = [
        Problem(
            loaded.source,
            target.line,
            target.column,
            "error",
            "broadcast-env-missing",
            f'broadcast "{target.name}": the environment variable {name} is not set; set it '
            "where the service runs (docker compose: environment or an env_file)",
        )
        for target in loaded.event.broadcasts
        for name in missing_references(target.url, environ)
    ]
    if not problems:
        return loaded
    return Loaded(loaded.source, None, (*loaded.problems, *problems))
