"""The zones the page's pickers offer: grouped by region, each with its city and UTC offset now.

A ``<select>`` of 400-odd raw keys (``America/Argentina/Buenos_Aires``) is hard to use, so each
zone is shown as ``Buenos Aires (UTC−03:00)`` under its region (an ``<optgroup>``), which
works without JavaScript. City names are CLDR's exemplar cities through Babel (in the page's
locale); offsets are the zone's own for ``now_utc``, from zoneinfo, never worked out by hand,
so they follow daylight saving time. The option's value stays the IANA key the form posts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from babel.dates import get_timezone_location

from notifier import i18n
from notifier.records import Language
from notifier.times import load_zone
from notifier.times.zones import zone_keys

# IANA's regions; the rest of the database (US/Eastern, Etc/GMT+5, EST5EDT…) are legacy
# aliases that would only make a long list longer. A visitor whose browser reports one of
# them still gets it offered (under "Other").
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


# regions CLDR names (UN M.49 areas, and Antarctica and Australia as territories): Babel
# gives their names in every locale, as it gives the cities
_CLDR_REGIONS = {
    "Africa": "002",
    "America": "019",
    "Antarctica": "AQ",
    "Asia": "142",
    "Australia": "AU",
    "Europe": "150",
}


@cache
def _region_names(language: Language) -> dict[str, str]:
    """What each group is called on the page in ``language``: CLDR's name for a continent
    (``Amériques``, ``アジア``), our catalog's for the oceans and "Other" (CLDR has none)."""
    _ = i18n.gettext_for(language)
    territories = i18n.locale(language).territories
    names = {region: str(territories[code]) for region, code in _CLDR_REGIONS.items()}
    return {
        **names,
        "Atlantic": _("Atlantic Ocean"),
        "Indian": _("Indian Ocean"),
        "Pacific": _("Pacific Ocean"),
        "Other": _("Other"),
    }


@dataclass(frozen=True)
class ZoneChoice:
    """One ``<option>``: the IANA key it posts and what the reader sees."""

    key: str
    label: str


@dataclass(frozen=True)
class ZoneGroup:
    """One ``<optgroup>``: a region's zones, by city name."""

    label: str
    zones: tuple[ZoneChoice, ...]


@cache
def _region_zones() -> tuple[str, ...]:
    """The zones of IANA's ``zone.tab`` (one per place; backward links such as Asia/Calcutta
    or Australia/ACT left out, or the list would name Kolkata and Sydney twice), or, if the
    tzdata package has no such table, every key of a region."""
    try:
        table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        table = ""
    listed = {
        line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")
    }
    keys = listed & zone_keys() or zone_keys()
    return tuple(sorted(k for k in keys if k.partition("/")[0] in REGIONS))


@cache
def city_name(key: str, language: Language = i18n.SOURCE_LANGUAGE) -> str:
    """CLDR's exemplar city for ``key`` in ``language`` (``Asia/Tokyo`` -> ``Tokyo``, ``東京``);
    cached per zone and language (seven languages x 400-odd zones at most).

    Babel falls back to the key's last part when CLDR has no name for it.
    """
    where = i18n.locale(language)
    return str(get_timezone_location(key, locale=where, return_city=True))


def utc_offset_label(offset: timedelta) -> str:
    """``UTC+09:00``, ``UTC−03:30`` (a real minus sign), ``UTC`` for zero."""
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_label(key: str, now_utc: datetime, language: Language = i18n.SOURCE_LANGUAGE) -> str:
    """``Tokyo (UTC+09:00)``: the city and the zone's offset at ``now_utc``."""
    offset = now_utc.astimezone(load_zone(key)).utcoffset() or timedelta(0)
    return f"{city_name(key, language)} ({utc_offset_label(offset)})"


def zone_groups(
    current: str, now_utc: datetime, language: Language = i18n.SOURCE_LANGUAGE
) -> tuple[ZoneGroup, ...]:
    """UTC first, then every region's zones by city; ``current`` under "Other" if it is a
    legacy alias (``US/Eastern``) the regions leave out, so the form can show it selected.
    City and region names are ``language``'s (CLDR's and our catalog's)."""
    names = _region_names(language)
    by_region: dict[str, list[ZoneChoice]] = {region: [] for region in REGIONS}
    for key in _region_zones():
        label = zone_label(key, now_utc, language)
        by_region[key.partition("/")[0]].append(ZoneChoice(key, label))
    groups = [ZoneGroup("UTC", (ZoneChoice("UTC", "UTC"),))]
    for region in REGIONS:
        zones = sorted(by_region[region], key=lambda z: (z.label.casefold(), z.key))
        groups.append(ZoneGroup(names[region], tuple(zones)))
    if current != "UTC" and current in zone_keys() and current not in _region_zones():
        other = ZoneChoice(current, f"{current} ({_offset_now(current, now_utc)})")
        groups.append(ZoneGroup(names["Other"], (other,)))
    return tuple(groups)


async def zone_groups_off_loop(
    current: str, now_utc: datetime, language: Language = i18n.SOURCE_LANGUAGE
) -> tuple[ZoneGroup, ...]:
    """:func:`zone_groups` in a worker thread: the first call in a language loads CLDR's data
    for it (about a second on a loaded machine), and even a warm one formats 400-odd labels;
    the loop serves others meanwhile."""
    return await asyncio.to_thread(zone_groups, current, now_utc, language)


def _offset_now(key: str, now_utc: datetime) -> str:
    return utc_offset_label(now_utc.astimezone(load_zone(key)).utcoffset() or timedelta(0))
