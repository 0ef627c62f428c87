"""Written zones to IANA zones, and the choice of the reading that fixes the instant."""

from __future__ import annotations

from datetime import UTC, date, tzinfo
from zoneinfo import ZoneInfo

from notifier.errors import TimeExpressionError
from notifier.times.parse import Parsed, Reading, ZoneRef
from notifier.times.places import is_american
from notifier.times.zones import (
    ABBREVIATIONS,
    LONG_NAMES,
    Abbreviation,
    fixed_zone,
    load_zone,
    parse_offset,
    resolve_abbreviation,
)

Choice = tuple[tzinfo, Abbreviation | None]


def zone_choices(
    ref: ZoneRef, venue: ZoneInfo | None, day: date, checking: bool = False
) -> list[Choice]:
    """The zone ``ref`` means; when only checking, every zone an ambiguous one may mean."""
    if ref.kind == "iana":
        return [(load_zone(ref.text, ref.column), None)]
    if ref.kind == "city" and ref.key is not None:
        return [(load_zone(ref.key, ref.column), None)]
    if ref.kind == "utc":
        return [(UTC, None)]
    if ref.kind == "offset":
        return [(fixed_zone(parse_offset(ref.text[3:], ref.column)), None)]
    abbr = _abbreviation(ref)
    try:
        return [(resolve_abbreviation(abbr, venue, day, ref.column), abbr)]
    except TimeExpressionError as exc:
        if not checking or exc.code != "ambiguous-abbreviation":
            raise
        return [(ZoneInfo(zone), abbr) for zone in abbr.zones]


def _abbreviation(ref: ZoneRef) -> Abbreviation:
    if ref.kind == "abbr":
        return ABBREVIATIONS[ref.text]
    return LONG_NAMES[" ".join(ref.text.lower().split())]


def anchor(
    parsed: Parsed, venue: ZoneInfo | None, day: date
) -> tuple[Reading, tzinfo, Abbreviation | None]:
    """The first reading whose zone settles the instant, its zone and written abbreviation.

    A reading in an ambiguous abbreviation gives way to a later one in a clear zone
    (``7:30pm IST / 2pm GMT``); readings with no zone at all are in the venue's zone.
    """
    first_error: TimeExpressionError | None = None
    timed = [r for r in parsed.readings if r.start is not None and not r.same_zone]
    for reading in timed:
        if not reading.zones:
            if venue is not None:
                return reading, venue, None  # written in the venue's zone: it comes first
            continue
        try:
            tz, abbr = zone_choices(reading.zones[0], venue, day)[0]
        except TimeExpressionError as exc:
            if exc.code != "ambiguous-abbreviation":
                raise
            first_error = first_error or exc
            continue
        return reading, tz, abbr
    if first_error is not None:
        raise first_error
    main = parsed.main
    if venue is None:
        raise TimeExpressionError(
            "missing-zone",
            "no time zone; write one (CEST, Europe/Vienna, UTC+2) or set the event's zone",
            main.start.column if main.start else 0,
        )
    return main, venue, None


def american(parsed: Parsed, venue: ZoneInfo | None) -> bool | None:
    """Whether the zone the expression is written in is a US one (None: no zone known)."""
    for reading in parsed.readings:
        for ref in reading.zones:
            keys = _keys(ref)
            if keys:
                return all(is_american(key) for key in keys)
    return is_american(venue.key) if venue is not None else None


def _keys(ref: ZoneRef) -> tuple[str, ...]:
    if ref.kind == "iana":
        return (ref.text,)
    if ref.kind == "city" and ref.key:
        return (ref.key,)
    if ref.kind in ("abbr", "longname"):
        return _abbreviation(ref).zones
    return ()
