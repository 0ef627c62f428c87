"""Broadcast targets: an event's chat rooms (Slack, Teams, Matrix, Telegram, Discord…) as
Apprise URLs whose secrets stay in the environment.

An organizer writes ``url: "slack://${SLACK_TOKEN_A}/${SLACK_TOKEN_B}/${SLACK_TOKEN_C}/#ccpcj"``.
The file is committed, shared and shown in reviews, so every secret in it must be a
``${NAME}`` reference: this module refuses what looks like a literal one (a password after
``user:``, a ``token=``-like query value, a long run of mixed letters and digits) and reports
where it is. Pure: the references are resolved from the environment by the caller
(:func:`missing_references` at load, :func:`resolve_url` right before a send), so the secret
itself is never part of an :class:`~notifier.events.model.Event`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from notifier.events._yaml import Path
from notifier.events.model import Broadcast, Severity
from notifier.events.spec import BroadcastSpec

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# a literal this long with letters and digits mixed is a token (a Slack/Discord/Telegram key)
_TOKEN_LIKE = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")
_SECRET_QUERY = re.compile(
    r"[?&+](?P<name>[A-Za-z0-9_-]*(?:token|key|secret|pass|auth|pwd)[A-Za-z0-9_-]*)="
    r"(?P<value>[^&#]*)",
    re.IGNORECASE,
)
_HOW_TO_FIX = (
    "put the secret in an environment variable and write ${NAME} in its place "
    '(url: "slack://${SLACK_TOKEN}/#room")'
)


@dataclass(frozen=True)
class UrlProblem:
    """Something wrong in a broadcast URL: ``column`` counts from the URL's first character."""

    code: str
    message: str
    column: int = 0


def references(template: str) -> tuple[str, ...]:
    """The environment variables a URL names, in order, each once."""
    return tuple(dict.fromkeys(match.group(1) for match in REFERENCE.finditer(template)))


def check_url(template: str) -> list[UrlProblem]:
    """What is wrong with a broadcast URL as written: a scheme, references, no literal secret."""
    if not _SCHEME.match(template):
        return [
            UrlProblem(
                "broadcast-url",
                "a broadcast URL is an Apprise URL that starts with its service, like "
                "slack://, msteams://, matrix://, tgram://, discord:// or json://",
            )
        ]
    problems = [
        UrlProblem("broadcast-reference", f"a lone '$' is not a ${{NAME}} reference; {fix}", i)
        for i, fix in _bad_dollars(template)
    ]
    problems.extend(_literal_secrets(template))
    return problems


def _bad_dollars(template: str) -> list[tuple[int, str]]:
    spans = [match.span() for match in REFERENCE.finditer(template)]
    return [
        (i, "write ${NAME} with letters, digits and underscores")
        for i, char in enumerate(template)
        if char == "$" and not any(start == i for start, _ in spans)
    ]


def _literal_secrets(template: str) -> list[UrlProblem]:
    """Secrets written in the file; each reported at its column, never quoted."""
    # each reference as NULs: the columns stay, and no pattern below matches them
    blanked = REFERENCE.sub(lambda m: "\0" * len(m.group(0)), template)
    found: list[UrlProblem] = []
    after_scheme = blanked.index("://") + 3
    authority = re.split(r"[/?#]", blanked[after_scheme:], maxsplit=1)[0]
    if "@" in authority and ":" in (userinfo := authority.rsplit("@", 1)[0]):
        password_at = after_scheme + userinfo.index(":") + 1
        if blanked[password_at : after_scheme + len(userinfo)].strip("\0"):
            found.append(_secret("the password after user: is written in the file", password_at))
    for match in _SECRET_QUERY.finditer(blanked):
        if match.group("value").strip("\0"):
            where = f"the {match.group('name')}= value is written in the file"
            found.append(_secret(where, match.start("value")))
    for match in _TOKEN_LIKE.finditer(blanked):
        if not any(p.column == match.start() for p in found):
            found.append(_secret("this looks like a token written in the file", match.start()))
    return found


def _secret(what: str, column: int) -> UrlProblem:
    return UrlProblem("broadcast-literal-secret", f"{what}; {_HOW_TO_FIX}", column)


def missing_references(template: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The references of ``template`` that ``environ`` does not set (or sets empty)."""
    return tuple(name for name in references(template) if not environ.get(name))


def resolve_url(template: str, environ: Mapping[str, str]) -> str:
    """The URL with each ``${NAME}`` replaced by its value; KeyError names a missing one."""

    def value(match: re.Match[str]) -> str:
        found = environ.get(match.group(1))
        if not found:
            raise KeyError(match.group(1))
        return found

    return REFERENCE.sub(value, template)


class Reporter(Protocol):
    """The loader's report: a problem at a path through the file, ``offset`` into its value."""

    def __call__(
        self, severity: Severity, code: str, message: str, path: Path, offset: int | None = None
    ) -> None: ...


def load_broadcasts(
    specs: list[BroadcastSpec],
    session_ids: set[str],
    offsets: Callable[[list[str], Path], tuple[timedelta, ...]],
    defaults: tuple[timedelta, ...],
    where: Callable[[Path], tuple[int, int]],
    report: Reporter,
) -> tuple[Broadcast, ...]:
    """The ``broadcasts:`` list, checked: names unique, sessions known, no literal secret."""
    found: list[Broadcast] = []
    for i, spec in enumerate(specs):
        path: Path = ("broadcasts", i)
        if any(b.name == spec.name for b in found):
            report(
                "error",
                "duplicate-broadcast",
                f'broadcast "{spec.name}" is listed twice; give each target its own name',
                (*path, "name"),
            )
        for problem in check_url(spec.url):
            report("error", problem.code, problem.message, (*path, "url"), problem.column)
        for j, session_id in enumerate(spec.sessions or ()):
            if session_id not in session_ids:
                report(
                    "error",
                    "unknown-session",
                    f'no session "{session_id}" in this event; list ids from its sessions',
                    (*path, "sessions", j),
                )
        reminders = offsets(spec.reminders, (*path, "reminders")) if spec.reminders else defaults
        line, column = where((*path, "url"))
        sessions = tuple(spec.sessions) if spec.sessions is not None else None
        found.append(Broadcast(spec.name, spec.url, reminders, sessions, line, column))
    return tuple(found)
