"""The exception tree: one base per package, each also the builtin callers expect."""

from __future__ import annotations

from collections.abc import Callable, Mapping


def N_(message: str) -> str:  # gettext's name for "mark now, translate later"
    """Mark ``message`` for the catalogs (``pybabel extract`` knows ``N_``) without
    translating it: the reader's language is known only where the message is shown."""
    return message


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


class SettingsError(NotifierError, ValueError):
    """Settings (environment variables, ``.env``) that cannot be used; says which and why."""


class HttpServerError(NotifierError, OSError):
    """The HTTP API could not start (the port is taken, the address is wrong)."""


class BadTokenError(NotifierError, ValueError):
    """A link token that was not signed by us for this purpose (tampered, or another secret)."""


class StoreError(NotifierError, RuntimeError):
    """The registration/delivery store failed or refused an operation."""


class ClaimLostError(StoreError):
    """A delivery's claim was taken over (its lease ran out): this owner must not write it."""


class RegistrationError(NotifierError, ValueError):
    """A registration that is invalid as given (``field`` names the culprit).

    Not a ``StoreError``: the input is wrong, the store is fine; callers answer 422, not 503.
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        msgid: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message  # English, with every detail: the JSON API, the CLI, logs
        self.msgid = msgid  # the catalog's message for a page in the reader's language
        self.params = dict(params or {})

    @classmethod
    def about(cls, field: str, msgid: str, **params: object) -> RegistrationError:
        """The error whose English is ``msgid % params`` and whose pages translate ``msgid``."""
        return cls(field, msgid % params if params else msgid, msgid=msgid, params=params)

    def read_in(self, gettext: Callable[[str], str]) -> str:
        """The message for a page: ``gettext``'s translation of ``msgid`` with the params,
        or the English ``message`` (English pages, and errors with no catalog message)."""
        if self.msgid is None:
            return self.message
        translated = gettext(self.msgid)
        if translated == self.msgid:  # English (or not in the catalog): the detailed form
            return self.message
        return translated % self.params if self.params else translated


class DeliveryError(NotifierError):
    """A reminder could not be delivered on a channel."""


class TransientDeliveryError(DeliveryError, ConnectionError):
    """Worth retrying later: connection trouble, timeouts, SMTP 4xx, HTTP 5xx/429."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: SMTP 5xx for this recipient, HTTP 4xx, a bad address."""


class BlockedDestinationError(PermanentDeliveryError, OSError):
    """A webhook URL or address the guard refuses; retrying will not make it public.

    An ``OSError`` too: it is a connection that may not be made, and callers that catch
    connection errors around a dial see it as one (the webhook client catches it first).
    """


class UnknownDeliveryError(DeliveryError):
    """It may have gone out: the message data was sent and the final reply never came.

    Recorded ``unknown`` and not resent blindly: the server may have queued it already.
    """


class GoneDeliveryError(PermanentDeliveryError):
    """The endpoint answered 410 Gone: stop sending to it (its webhook is disabled)."""
