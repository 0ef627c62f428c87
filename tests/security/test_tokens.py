"""Link tokens made by our fast path are the very strings itsdangerous makes and reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from notifier.signing import PARTICIPANT_PATHS, make_token, read_token

SECRET = "a-signing-secret-of-at-least-32-bytes-for-tests"  # noqa: S105  # tests only
PURPOSES = ["unsubscribe", "confirm", *PARTICIPANT_PATHS]


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize(
    "registration_id",
    ["r0000001", "", "a", "x" * 9, "a" * 40, "rég-ü-東京", '\u2028"\\/', "reg-" + "ab" * 60],
)
def test_a_token_is_the_string_itsdangerous_makes(purpose: str, registration_id: str) -> None:
    """Links mailed before the fast path (and read by itsdangerous) must keep working."""
    expected = URLSafeSerializer(SECRET, salt=f"notifier.{purpose}").dumps(registration_id)
    assert make_token(SECRET, purpose, registration_id) == expected
    assert read_token(SECRET, purpose, expected) == registration_id


@given(registration_id=st.text(max_size=80), secret=st.text(min_size=1, max_size=60))
def test_any_id_and_secret_give_itsdangerous_token(registration_id: str, secret: str) -> None:
    """Compressed or not, any id under any secret: the same bytes as the library."""
    expected = URLSafeSerializer(secret, salt="notifier.manage").dumps(registration_id)
    assert make_token(secret, "manage", registration_id) == expected
