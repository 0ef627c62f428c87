"""Signed, purpose-bound tokens for links in reminders (unsubscribe, confirm)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from notifier.errors import BadTokenError


def make_token(secret: str, purpose: str, registration_id: str) -> str:
    """A URL-safe token naming ``registration_id``, valid only for ``purpose``."""
    return URLSafeSerializer(secret, salt=f"notifier.{purpose}").dumps(registration_id)


def read_token(secret: str, purpose: str, token: str) -> str:
    """The registration id in ``token``; :class:`BadTokenError` if it is not ours."""
    try:
        value = URLSafeSerializer(secret, salt=f"notifier.{purpose}").loads(token)
    except BadSignature as exc:
        raise BadTokenError("this link is not valid; request a new one") from exc
    if not isinstance(value, str):
        raise BadTokenError("this link is not valid; request a new one")
    return value
