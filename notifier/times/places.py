"""Places as listings name them: "Geneva time", "(Paris/Zurich)", "7am Los Angeles".

A city means an IANA zone only through the tz database itself: the city part of a canonical
key (``America/New_York`` → "New York"), or a short table of capitals and venue cities that
tzdata files under another city (Geneva keeps Zurich's rules; Ottawa keeps Toronto's).
The canonical keys come from tzdata's ``zone.tab``, which lists no deprecated alias
(``US/Eastern``, ``Asia/Calcutta``), so nothing here ever suggests one.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# Cities that are not the city of a canonical key, each with the key whose rules it keeps.
CITY_ALIASES: dict[str, str] = {
    "geneva": "Europe/Zurich",
    "geneve": "Europe/Zurich",
    "bern": "Europe/Zurich",
    "lausanne": "Europe/Zurich",
    "ottawa": "America/Toronto",
    "montreal": "America/Toronto",
    "quebec": "America/Toronto",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "dc": "America/New_York",
    "ny": "America/New_York",
    "nyc": "America/New_York",
    "new york city": "America/New_York",
    "boston": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "beijing": "Asia/Shanghai",
    "canberra": "Australia/Sydney",
    "wellington": "Pacific/Auckland",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "kyoto": "Asia/Tokyo",
    "osaka": "Asia/Tokyo",
    "bonn": "Europe/Berlin",
    "the hague": "Europe/Amsterdam",
    "strasbourg": "Europe/Paris",
    "edinburgh": "Europe/London",
    "doha": "Asia/Qatar",
    "brasilia": "America/Sao_Paulo",
}


@cache
def _zone_tab() -> dict[str, frozenset[str]]:
    """Canonical IANA keys with the ISO country codes that use them, from tzdata's zone.tab."""
    zones: dict[str, frozenset[str]] = {}
    for name in ("zone.tab", "zone1970.tab"):
        text = resources.files("tzdata").joinpath("zoneinfo", name).read_text("utf-8")
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            codes, _coordinates, key, *_ = line.split("\t")
            zones[key] = zones.get(key, frozenset()) | frozenset(codes.split(","))
    return zones


def canonical_zones() -> frozenset[str]:
    """Every key the database itself uses for a region, plus UTC; no deprecated alias."""
    return frozenset(_zone_tab()) | {"UTC"}


@cache
def _cities() -> dict[str, str]:
    cities: dict[str, str] = {}
    for key in _zone_tab():
        area, _, city = key.rpartition("/")
        if area and not key.startswith(("Antarctica/", "Etc/")):
            cities.setdefault(city.replace("_", " ").lower(), key)
    return cities | CITY_ALIASES


def city_zone(name: str) -> str | None:
    """The IANA key for a city as written ("New York", "Geneva"), or None."""
    return _cities().get(" ".join(name.lower().replace(".", " ").split()))


def is_american(key: str) -> bool:
    """Whether the zone is used in the United States, where numeric dates are month first."""
    return "US" in _zone_tab().get(key, frozenset())


@cache
def city_first_words() -> frozenset[str]:
    """First words of every city name, to skip the lookup for most words quickly."""
    return frozenset(name.split()[0] for name in _cities())
