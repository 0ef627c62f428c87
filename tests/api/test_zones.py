"""The zone picker: regions, CLDR city names and each zone's offset at the moment shown."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from notifier.api._zones import city_name, utc_offset_label, zone_groups
from tests.support.api import CCPCJ, Api

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "now", "label"),
    [
        ("Europe/Vienna", WINTER, "Vienna (UTC+01:00)"),
        ("Europe/Vienna", SUMMER, "Vienna (UTC+02:00)"),
        ("America/New_York", WINTER, "New York (UTC\u221205:00)"),
        ("America/New_York", SUMMER, "New York (UTC\u221204:00)"),
        ("Australia/Sydney", WINTER, "Sydney (UTC+11:00)"),  # the southern summer
        ("Asia/Kolkata", SUMMER, "Kolkata (UTC+05:30)"),
        ("Asia/Kathmandu", SUMMER, "Kathmandu (UTC+05:45)"),
        ("Africa/Abidjan", SUMMER, "Abidjan (UTC)"),
    ],
    ids=["vienna-cet", "vienna-cest", "ny-est", "ny-edt", "sydney-aedt", "kolkata", "nepal", "utc"],
)
def test_each_zone_is_its_city_with_its_offset_at_that_moment(
    key: str, now: datetime, label: str
) -> None:
    """A reader finds "Vienna", and the offset must be today's, daylight saving included."""
    labels = {z.key: z.label for group in zone_groups("UTC", now) for z in group.zones}
    assert labels[key] == label


@pytest.mark.parametrize("now", [WINTER, SUMMER], ids=["january", "july"])
def test_every_offset_shown_is_zoneinfos_for_that_moment(now: datetime) -> None:
    """Offsets come from the IANA rules for the instant, for every one of the zones."""
    for group in zone_groups("UTC", now)[1:]:  # after the one "UTC" entry
        for zone in group.zones:
            offset = now.astimezone(ZoneInfo(zone.key)).utcoffset()
            assert offset is not None
            assert zone.label.endswith(f"({utc_offset_label(offset)})"), zone


def test_the_picker_is_a_few_hundred_places_by_region_with_no_raw_keys_or_twins() -> None:
    """Not 500 raw keys: one entry per place, named as people name it, under its region."""
    groups = zone_groups("UTC", SUMMER)
    assert [g.label for g in groups][:3] == ["UTC", "Africa", "Americas"]
    options = [z for g in groups for z in g.zones]
    assert 350 < len(options) < 450
    assert not [z.label for z in options if re.search(r"\w/\w|_", z.label)]
    for group in groups:
        twins = [label for label, n in Counter(z.label for z in group.zones).items() if n > 1]
        assert twins == [], group.label
    keys = {z.key for z in options}
    assert "Asia/Kolkata" in keys
    assert "Asia/Calcutta" not in keys  # a backward link: Kolkata once, not twice


def test_a_legacy_zone_the_browser_reported_is_still_offered_selected() -> None:
    """Old systems report US/Eastern; the form must show it rather than silently switch."""
    *_, other = zone_groups("US/Eastern", WINTER)
    assert [(z.key, z.label) for z in other.zones] == [
        ("US/Eastern", "US/Eastern (UTC\u221205:00)")
    ]


def test_city_names_come_from_cldr_in_the_readers_language() -> None:
    """The picker can speak the participant's language (the i18n work passes the locale)."""
    assert city_name("Asia/Tokyo", "ja") == "東京"
    assert city_name("Africa/Cairo", "fr") == "Le Caire"
    assert city_name("America/Argentina/Buenos_Aires") == "Buenos Aires"


def test_the_page_groups_the_options_without_javascript(api: Api) -> None:
    """A plain <select> with <optgroup>s: usable with scripts off, and by keyboard."""
    page = api.client.get(f"/events/{CCPCJ}", params={"tz": "Europe/Vienna"}).text
    assert '<optgroup label="Europe">' in page
    # NOW in tests/support/api is 1 May 2023: Vienna is on summer time
    assert '<option value="Europe/Vienna" selected>Vienna (UTC+02:00)</option>' in page
