"""Zone names, abbreviations and offsets, resolved through the IANA database only.

Abbreviations are not zones: ``IST`` is India, Ireland or Israel, and ``CEST`` is a season
of a zone, not a zone. Each one here names the zones it can mean, and the tz abbreviations
(``tzname()``) those zones use for it, so that the venue's zone can settle it and the season
it names can be checked against the real rules for that date.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones, reset_tzpath

from notifier.errors import TimeExpressionError
from notifier.times.places import canonical_zones, city_zone

# Use the tzdata package only, never the host's /usr/share/zoneinfo: the same config must give
# the same instants on every machine, and the rules in use are the pinned, logged tzdata version
# (this also keeps the host's "localtime" from passing for a zone).
reset_tzpath(to=[])

Season = Literal["standard", "daylight", "generic", "fixed"]


@dataclass(frozen=True)
class Abbreviation:
    """What a written abbreviation may mean: candidate zones, first is the default."""

    name: str
    season: Season
    zones: tuple[str, ...]
    ambiguous: bool = False
    # tz abbreviations the zones print for this name and its other season (CET for CEST)
    family: frozenset[str] = frozenset()


def _abbr(
    name: str, season: Season, *zones: str, family: str = "", ambiguous: bool = False
) -> Abbreviation:
    names = frozenset(family.split()) | {name}
    return Abbreviation(name, season, zones, ambiguous, names)


_NORTH_AMERICA = [
    _abbr("ET", "generic", "America/New_York", family="EST EDT"),
    _abbr("EST", "standard", "America/New_York", family="EDT"),
    _abbr("EDT", "daylight", "America/New_York", family="EST"),
    _abbr("CT", "generic", "America/Chicago", family="CST CDT"),
    _abbr("CDT", "daylight", "America/Chicago", family="CST"),
    _abbr("MT", "generic", "America/Denver", family="MST MDT"),
    _abbr("MST", "standard", "America/Denver", family="MDT"),
    _abbr("MDT", "daylight", "America/Denver", family="MST"),
    _abbr("PT", "generic", "America/Los_Angeles", family="PST PDT"),
    _abbr("PST", "standard", "America/Los_Angeles", family="PDT"),
    _abbr("PDT", "daylight", "America/Los_Angeles", family="PST"),
    _abbr("AKST", "standard", "America/Anchorage", family="AKDT"),
    _abbr("AKDT", "daylight", "America/Anchorage", family="AKST"),
    _abbr("HST", "standard", "Pacific/Honolulu"),
    _abbr("NST", "standard", "America/St_Johns", family="NDT"),
    _abbr("NDT", "daylight", "America/St_Johns", family="NST"),
    _abbr("ADT", "daylight", "America/Halifax", family="AST"),
]
_EUROPE_AFRICA = [
    # Brussels stands for "Central European" when the venue is elsewhere: since 1996 every
    # EU zone on CET switches on the same instants, so any of them gives the same answer.
    _abbr("CET", "standard", "Europe/Brussels", family="CEST"),
    _abbr("CEST", "daylight", "Europe/Brussels", family="CET"),
    _abbr("WET", "standard", "Europe/Lisbon", family="WEST"),
    _abbr("WEST", "daylight", "Europe/Lisbon", family="WET"),
    _abbr("EET", "standard", "Europe/Athens", family="EEST"),
    _abbr("EEST", "daylight", "Europe/Athens", family="EET"),
    _abbr("MSK", "standard", "Europe/Moscow"),
    _abbr("SAST", "standard", "Africa/Johannesburg"),
    _abbr("EAT", "standard", "Africa/Nairobi"),
    _abbr("WAT", "standard", "Africa/Lagos"),
    _abbr("CAT", "standard", "Africa/Maputo"),
]
_ASIA_PACIFIC = [
    _abbr("JST", "standard", "Asia/Tokyo"),
    _abbr("KST", "standard", "Asia/Seoul"),
    _abbr("HKT", "standard", "Asia/Hong_Kong"),
    _abbr("SGT", "fixed", "Asia/Singapore"),
    _abbr("PKT", "standard", "Asia/Karachi"),
    _abbr("WIB", "standard", "Asia/Jakarta"),
    _abbr("ICT", "fixed", "Asia/Bangkok"),
    _abbr("GST", "fixed", "Asia/Dubai"),
    _abbr("AEST", "standard", "Australia/Sydney", family="AEDT"),
    _abbr("AEDT", "daylight", "Australia/Sydney", family="AEST"),
    _abbr("ACST", "standard", "Australia/Adelaide", family="ACDT"),
    _abbr("ACDT", "daylight", "Australia/Adelaide", family="ACST"),
    _abbr("AWST", "standard", "Australia/Perth"),
    _abbr("NZST", "standard", "Pacific/Auckland", family="NZDT"),
    _abbr("NZDT", "daylight", "Pacific/Auckland", family="NZST"),
    _abbr("BRT", "fixed", "America/Sao_Paulo"),
    _abbr("ART", "fixed", "America/Argentina/Buenos_Aires"),
    # Anywhere on Earth: the deadline convention of UTC-12, from the database, not hand-made
    _abbr("AOE", "fixed", "Etc/GMT+12"),
]
_AMBIGUOUS = [
    _abbr("IST", "fixed", "Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem", ambiguous=True),
    _abbr(
        "CST",
        "standard",
        "America/Chicago",
        "Asia/Shanghai",
        "America/Havana",
        family="CDT",
        ambiguous=True,
    ),
    _abbr("BST", "daylight", "Europe/London", "Asia/Dhaka", family="GMT", ambiguous=True),
    _abbr("AST", "standard", "America/Halifax", "Asia/Riyadh", family="ADT", ambiguous=True),
]
ABBREVIATIONS: dict[str, Abbreviation] = {
    a.name: a for a in _NORTH_AMERICA + _EUROPE_AFRICA + _ASIA_PACIFIC + _AMBIGUOUS
}
UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UT"})

# Long names as listings write them ("Japanese Standard Time"); each is unambiguous.
LONG_NAMES: dict[str, Abbreviation] = {
    "japan standard time": ABBREVIATIONS["JST"],
    "japanese standard time": ABBREVIATIONS["JST"],
    "central european time": ABBREVIATIONS["CET"],
    "central european summer time": ABBREVIATIONS["CEST"],
    "central european standard time": ABBREVIATIONS["CET"],
    "eastern time": ABBREVIATIONS["ET"],
    "eastern": ABBREVIATIONS["ET"],
    "eastern standard time": ABBREVIATIONS["EST"],
    "eastern daylight time": ABBREVIATIONS["EDT"],
    "central time": ABBREVIATIONS["CT"],
    "central daylight time": ABBREVIATIONS["CDT"],
    "mountain time": ABBREVIATIONS["MT"],
    "mountain standard time": ABBREVIATIONS["MST"],
    "mountain daylight time": ABBREVIATIONS["MDT"],
    "pacific time": ABBREVIATIONS["PT"],
    "pacific": ABBREVIATIONS["PT"],
    "pacific standard time": ABBREVIATIONS["PST"],
    "pacific daylight time": ABBREVIATIONS["PDT"],
    "east africa time": ABBREVIATIONS["EAT"],
    "west africa time": ABBREVIATIONS["WAT"],
    "central africa time": ABBREVIATIONS["CAT"],
    "eastern european time": ABBREVIATIONS["EET"],
    "eastern european summer time": ABBREVIATIONS["EEST"],
    "korea standard time": ABBREVIATIONS["KST"],
    "australian eastern standard time": ABBREVIATIONS["AEST"],
    "australian eastern daylight time": ABBREVIATIONS["AEDT"],
    "anywhere on earth": ABBREVIATIONS["AOE"],
    "anywhere in the world": ABBREVIATIONS["AOE"],
    "indian standard time": _abbr("IST", "fixed", "Asia/Kolkata"),
    "china standard time": _abbr("CST", "standard", "Asia/Shanghai"),
    "british summer time": _abbr("BST", "daylight", "Europe/London", family="GMT"),
    "india standard time": _abbr("IST", "fixed", "Asia/Kolkata"),
    "israel standard time": _abbr("IST", "standard", "Asia/Jerusalem", family="IDT"),
    "irish standard time": _abbr("IST", "daylight", "Europe/Dublin", family="GMT"),
    "coordinated universal time": _abbr("UTC", "fixed", "UTC"),
    "greenwich mean time": _abbr("GMT", "fixed", "UTC"),
}


@cache
def _zone(key: str) -> ZoneInfo:
    # ZoneInfo keeps only 8 zones strongly; without this every parse re-reads the tzdata file
    return ZoneInfo(key)


@cache
def zone_keys() -> frozenset[str]:
    """Every IANA key the installed tzdata knows."""
    return frozenset(available_timezones())


def load_zone(key: str, column: int | None = None) -> ZoneInfo:
    """The IANA zone ``key``, or an error that suggests the nearest real names."""
    try:
        if key in zone_keys():
            return _zone(key)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    close = zone_suggestions(key)
    hint = (
        f"; did you mean {' or '.join(close)}?"
        if close
        else "; write an IANA name such as Europe/Vienna"
    )
    raise TimeExpressionError("unknown-zone", f'"{key}" is not an IANA time zone{hint}', column)


def zone_suggestions(key: str) -> list[str]:
    """Canonical IANA keys someone who typed ``key`` may mean, most likely first.

    The abbreviation table comes first (``JST`` is Asia/Tokyo; spelling-wise it is nearer
    the legacy ``MST``), then city names, then near spellings among canonical keys only, so a
    deprecated alias (``US/Eastern``, ``Asia/Calcutta``) is never offered.
    """
    abbr = ABBREVIATIONS.get(key.strip().upper()) or LONG_NAMES.get(key.strip().lower())
    if abbr is not None:
        return [zone for zone in abbr.zones if zone in zone_keys()]
    city = city_zone(key)
    if city is not None:
        return [city]
    return difflib.get_close_matches(key, sorted(canonical_zones()), n=3, cutoff=0.6)


def fixed_zone(offset: timedelta) -> timezone:
    """A fixed-offset zone; UTC itself for a zero offset."""
    return UTC if not offset else timezone(offset)


def zone_label(tz: tzinfo) -> str:
    """The name a result carries: the IANA key, ``UTC``, or ``UTC+hh:mm``."""
    if isinstance(tz, ZoneInfo):
        return tz.key
    offset = tz.utcoffset(None) or timedelta(0)
    return "UTC" if not offset else "UTC" + format_offset(offset)


def format_offset(offset: timedelta) -> str:
    """``+02:00``, ``-04:00``, ``+05:30``."""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_OFFSET = re.compile(r"([+-])\s*(\d{1,2})(?::?(\d{2}))?")


def parse_offset(text: str, column: int | None = None) -> timedelta:
    """``+2``, ``-05``, ``+05:30``, ``+0530`` as a timedelta east of UTC."""
    match = _OFFSET.fullmatch(text.strip())
    if not match:
        raise TimeExpressionError("invalid-offset", f'"{text}" is not a UTC offset', column)
    hours, minutes = int(match[2]), int(match[3] or 0)
    delta = timedelta(hours=hours, minutes=minutes)
    delta = -delta if match[1] == "-" else delta
    if minutes >= 60 or not timedelta(hours=-12) <= delta <= timedelta(hours=14):
        raise TimeExpressionError(
            "invalid-offset", f'"{text}" is outside the real range of offsets (-12 to +14)', column
        )
    return delta


def _tznames_around(tz: ZoneInfo, day: date) -> frozenset[str]:
    """The abbreviations a zone prints in the year around ``day`` (both seasons)."""
    return _tznames_in(tz, day.year) | {
        datetime(day.year, day.month, day.day, 12, tzinfo=tz).tzname() or ""
    }


@cache
def _tznames_in(tz: ZoneInfo, year: int) -> frozenset[str]:
    return frozenset(
        datetime(year, month, 15, 12, tzinfo=tz).tzname() or "" for month in (1, 4, 7, 10)
    )


def zone_uses(tz: ZoneInfo, abbr: Abbreviation, day: date) -> bool:
    """Whether the zone itself is one the abbreviation may mean around ``day``."""
    if tz.key in abbr.zones:
        return True
    return abbr.season != "fixed" and abbr.name in _tznames_around(tz, day)


def resolve_abbreviation(
    abbr: Abbreviation, venue: ZoneInfo | None, day: date, column: int | None
) -> ZoneInfo:
    """The zone an abbreviation means here: the venue's if it uses it, else the default.

    An ambiguous abbreviation the venue's zone does not settle is an error.
    """
    if venue is not None and zone_uses(venue, abbr, day):
        return venue
    if abbr.ambiguous:
        choices = ", ".join(abbr.zones)
        raise TimeExpressionError(
            "ambiguous-abbreviation",
            f'"{abbr.name}" is ambiguous (it may mean {choices}); write the IANA zone '
            f"instead, or set the event's zone to the one you mean",
            column,
        )
    if abbr.zones == ("UTC",):
        return _zone("UTC")
    return _zone(abbr.zones[0])
