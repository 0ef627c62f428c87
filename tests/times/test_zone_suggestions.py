"""Zone suggestions: the abbreviation table and city names first, and never a deprecated alias."""

import pytest

from notifier.times import TimeExpressionError, load_zone
from notifier.times.places import canonical_zones
from notifier.times.zones import zone_suggestions


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        pytest.param("JST", "Asia/Tokyo", id="abbreviation-not-spelling"),
        pytest.param("cest", "Europe/Brussels", id="abbreviation-any-case"),
        pytest.param("Geneva", "Europe/Zurich", id="city-kept-under-zurich"),
        pytest.param("Eastern Time", "America/New_York", id="long-name"),
        pytest.param("Europe/Viena", "Europe/Vienna", id="misspelt-key"),
    ],
)
def test_suggestion_comes_from_the_table_before_spelling(typed: str, first: str) -> None:
    """An organizer typing JST means Tokyo; difflib alone would offer the legacy "MST"."""
    assert zone_suggestions(typed)[0] == first


@pytest.mark.parametrize("typed", ["US/Eastrn", "Asia/Calcuta", "Europe/Kiev2", "IST", "Cental"])
def test_suggestions_are_never_deprecated_aliases(typed: str) -> None:
    """Links such as US/Eastern or Asia/Calcutta are kept for old data, not for new configs."""
    assert set(zone_suggestions(typed)) <= canonical_zones()


def test_unknown_zone_error_names_the_suggestion() -> None:
    """The error says how to fix it, as every refusal must."""
    with pytest.raises(TimeExpressionError) as caught:
        load_zone("JST")
    assert caught.value.code == "unknown-zone"
    assert "Asia/Tokyo" in caught.value.message
