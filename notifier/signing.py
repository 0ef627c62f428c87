"""Signed, purpose-bound tokens for links in reminders (unsubscribe, confirm, manage, calendar).

Unsubscribe tokens never expire: a reminder mailed months ago must still stop the next one.
Confirmation tokens carry the time they were made (itsdangerous' timed serializer) and stop
working after a maximum age, so an old confirmation email cannot opt anyone in later. The
time comes from the caller's clock, never read here.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from base64 import urlsafe_b64encode
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from notifier.errors import BadTokenError

# replicas' clocks differ a little: a token made "in the future" by that much is still fine
CLOCK_SKEW_S = 300
# shorter JSON payloads are never compressed (make_token): a uuid4 hex id never shrinks
_COMPRESS_FROM = 64
_NOT_OURS = "this link is not valid; request a new one"


def make_token(secret: str, purpose: str, registration_id: str) -> str:
    """A URL-safe token naming ``registration_id``, valid only for ``purpose``.

    The string itsdangerous' ``URLSafeSerializer(secret, salt=f"notifier.{purpose}")``
    dumps (compact JSON, base64url, ``.``, HMAC-SHA1 under the ``django-concat`` key), made
    without building a serializer and a signer per call: a fan-out makes three per delivery.
    One difference: a payload of up to ``_COMPRESS_FROM`` bytes is never offered to zlib
    (itsdangerous tries and keeps the shorter). Each ``zlib.compress`` call allocates and
    frees its ~256 KiB of state, 19 page faults and 60-170 us of CPU here, and a short id
    (a uuid4 hex is 34 bytes of JSON) never comes out shorter; a token that is not
    compressed reads the same either way. :func:`read_token` reads it with itsdangerous;
    ``tests/security/test_tokens.py`` compares the two.
    """
    value = _payload(registration_id)
    mac = _signer(secret, purpose).copy()  # the keyed state copied: no key set-up per token
    mac.update(value)
    return (value + b"." + urlsafe_b64encode(mac.digest()).rstrip(b"=")).decode()


@lru_cache(maxsize=32)
def _signer(secret: str, purpose: str) -> hmac.HMAC:
    """HMAC-SHA1 keyed for one purpose, never updated itself: each token signs a copy."""
    return hmac.new(_signing_key(secret, purpose), digestmod=hashlib.sha1)


@lru_cache(maxsize=4)  # a delivery signs three links for one registration: encode it once
def _payload(registration_id: str) -> bytes:
    """The token's signed value: the id as compact JSON, base64url (``.`` and zlib if that is
    shorter, for long ids only: see :func:`make_token`)."""
    payload = encode_basestring(registration_id).encode()  # what ensure_ascii=False writes
    value = urlsafe_b64encode(payload).rstrip(b"=")
    if len(payload) > _COMPRESS_FROM:
        compressed = zlib.compress(payload)
        if len(compressed) < len(payload) - 1:
            value = b"." + urlsafe_b64encode(compressed).rstrip(b"=")
    return value


@lru_cache(maxsize=32)
def _signing_key(secret: str, purpose: str) -> bytes:
    """itsdangerous' derived key (``django-concat``: sha1(salt + "signer" + secret))."""
    salt = f"notifier.{purpose}".encode()
    return hashlib.sha1(salt + b"signer" + secret.encode()).digest()  # noqa: S324 - its scheme


def read_token(secret: str, purpose: str, token: str) -> str:
    """The registration id in ``token``; :class:`BadTokenError` if it is not ours."""
    try:
        value = URLSafeSerializer(secret, salt=f"notifier.{purpose}").loads(token)
    except BadSignature as exc:
        raise BadTokenError(_NOT_OURS) from exc
    return _registration_id(value)


# links a participant keeps for as long as they are registered: they never expire, like
# unsubscribe links, and each is good only for its own purpose
PARTICIPANT_PATHS = {"manage": "/manage/{token}", "calendar": "/calendar/{token}.ics"}


def participant_url(secret: str, public_base_url: str, purpose: str, registration_id: str) -> str:
    """``{public_base_url}/manage/{token}`` or ``…/calendar/{token}.ics`` for a registration.

    itsdangerous checks signatures with :func:`hmac.compare_digest` (constant time), so a
    guessed token learns nothing from how long it took to be refused.
    """
    token = make_token(secret, purpose, registration_id)
    path = PARTICIPANT_PATHS[purpose].format(token=token)
    return f"{public_base_url.rstrip('/')}{path}"


def webcal_url(https_url: str) -> str:
    """The ``webcal://`` form of a feed URL: calendar programs subscribe to it on a click."""
    return "webcal://" + https_url.split("://", 1)[1]


def make_timed_token(secret: str, purpose: str, registration_id: str, now_utc: datetime) -> str:
    """Like :func:`make_token`, stamped with ``now_utc`` so that it can expire."""
    return _timed(secret, purpose, now_utc).dumps(registration_id)


def read_timed_token(
    secret: str, purpose: str, token: str, *, now_utc: datetime, max_age_s: int
) -> str:
    """The registration id in ``token`` if made at most ``max_age_s`` before ``now_utc``."""
    serializer = _timed(secret, purpose, now_utc, ahead_s=CLOCK_SKEW_S)
    try:
        value = serializer.loads(token, max_age=max_age_s + CLOCK_SKEW_S)
    except SignatureExpired as exc:
        raise BadTokenError("this link has expired; register again for a new one") from exc
    except BadSignature as exc:
        raise BadTokenError(_NOT_OURS) from exc
    return _registration_id(value)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on the caller's clock instead of ``time.time()``."""

    def __init__(self, *args: Any, timestamp_s: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timestamp_s = timestamp_s

    def get_timestamp(self) -> int:
        return self._timestamp_s


def _timed(
    secret: str, purpose: str, now_utc: datetime, ahead_s: int = 0
) -> URLSafeTimedSerializer:
    timestamp_s = int(now_utc.timestamp()) + ahead_s
    return URLSafeTimedSerializer(
        secret,
        salt=f"notifier.{purpose}",
        signer=_ClockSigner,
        signer_kwargs={"timestamp_s": timestamp_s},
    )


def _registration_id(value: object) -> str:
    if not isinstance(value, str):
        raise BadTokenError(_NOT_OURS)
    return value
