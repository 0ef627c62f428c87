"""The zones the page's pickers offer: IANA region keys, plus UTC, in name order."""

from __future__ import annotations

from functools import cache

from notifier.times.zones import zone_keys

# IANA's regions; the rest of the database (US/Eastern, Etc/GMT+5, EST5EDT…) are legacy
# aliases that would only make a long list longer. A visitor whose browser reports one of
# them still gets it offered (see zone_choices).
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


@cache
def _region_zones() -> tuple[str, ...]:
    keys = (k for k in zone_keys() if k.partition("/")[0] in REGIONS)
    return ("UTC", *sorted(keys))


def zone_choices(current: str) -> tuple[str, ...]:
    """Every region zone, with ``current`` in it even if it is a legacy alias."""
    zones = _region_zones()
    if current in zones or current not in zone_keys():
        return zones
    return ("UTC", *sorted((*zones[1:], current)))
