"""Link tokens made by our fast path are the strings itsdangerous makes, and it reads them."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from notifier.signing import PARTICIPANT_PATHS, make_token, read_token

SECRET = "a-signing-secret-of-at-least-32-bytes-for-tests"  # noqa: S105  # tests only
PURPOSES = ["unsubscribe", "confirm", *PARTICIPANT_PATHS]


def _library(secret: str, purpose: str, registration_id: str) -> str:
    return URLSafeSerializer(secret, salt=f"notifier.{purpose}").dumps(registration_id)


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize(
    "registration_id",
    ["r0000001", "", "a", uuid.uuid4().hex, "rég-ü-東京", '\u2028"\\/', "reg-" + "ab" * 60],
)
def test_a_token_is_the_string_itsdangerous_makes(purpose: str, registration_id: str) -> None:
    """Links mailed before the fast path (and read by itsdangerous) must keep working."""
    expected = _library(SECRET, purpose, registration_id)
    assert make_token(SECRET, purpose, registration_id) == expected
    assert read_token(SECRET, purpose, expected) == registration_id


@given(registration_id=st.uuids().map(lambda u: u.hex), secret=st.text(min_size=1, max_size=60))
def test_every_registration_id_gets_the_library_token(registration_id: str, secret: str) -> None:
    """Registration ids are uuid4 hex: their tokens are the library's, under any secret."""
    assert make_token(secret, "manage", registration_id) == _library(
        secret, "manage", registration_id
    )


@given(registration_id=st.text(max_size=120))
def test_any_id_reads_back_and_differs_only_where_zlib_was_skipped(registration_id: str) -> None:
    """A short payload is never compressed; whatever the id, itsdangerous reads the token."""
    ours, theirs = (
        make_token(SECRET, "calendar", registration_id),
        _library(SECRET, "calendar", registration_id),
    )
    assert read_token(SECRET, "calendar", ours) == registration_id
    assert ours == theirs or (theirs.startswith(".") and not ours.startswith("."))
