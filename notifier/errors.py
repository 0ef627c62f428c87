"""The exception tree: one base per package, each also the builtin callers expect."""

from __future__ import annotations


class NotifierError(Exception):
    """Base of every error this package raises on purpose."""


class TimeExpressionError(NotifierError, ValueError):
    """A listing time expression that cannot be turned into an exact instant.

    ``code`` is stable (tools and tests rely on it); ``column`` is the 0-based
    offset into the expression where the problem is, when it has one place.
    """

    def __init__(self, code: str, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


class ConfigError(NotifierError, ValueError):
    """An event config file that cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
