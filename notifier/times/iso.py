"""ISO 8601 / RFC 9557 date-times: ``2023-05-23T09:10+02:00[Europe/Vienna]``.

Only forms that are unmistakably ISO come here (a ``T``, an offset or a bracketed zone);
``2023-05-23 09:10 Europe/Vienna`` reads just as well as a listing and goes that way.
An offset fixes the instant; a zone beside it must agree with it.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from notifier.errors import TimeExpressionError
from notifier.times.dates import make_date
from notifier.times.model import ResolvedTime
from notifier.times.wall import describe, localize, offset_text
from notifier.times.zones import load_zone, zone_label

_POINT = (
    r"(?P<{p}dt>\d{{4}}-\d{{2}}-\d{{2}}(?P<{p}t>[T ])\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)"
    r"(?P<{p}off>Z|[+-]\d{{2}}(?::?\d{{2}})?)?"
    r"(?:\[(?P<{p}zone>[^\]]+)\])?"
)
_END = r"(?P<e_time>\d{1,2}:\d{2}(?::\d{2})?)(?P<e_off>Z|[+-]\d{2}(?::?\d{2})?)?"
_ISO = re.compile(rf"\s*{_POINT.format(p='s_')}(?:\s*/\s*(?:{_POINT.format(p='x_')}|{_END}))?\s*")


def parse_iso(text: str, venue: ZoneInfo | None) -> ResolvedTime | None:
    """The resolved range, or None when ``text`` is not in an ISO form."""
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    if match["s_t"] != "T" and not match["s_off"] and not match["s_zone"]:
        return None
    start, tz = _point(match, "s_", venue)
    end = None
    if match["x_dt"]:
        end, _ = _point(match, "x_", venue)
    elif match["e_time"]:
        day = start.astimezone(tz).date().isoformat()
        end_text = f"{day}T{match['e_time']}{match['e_off'] or ''}"
        end, _ = _instant(end_text, tz, match.start("e_time"))
    if end is not None:
        end = end.astimezone(tz)
        if end <= start:
            raise TimeExpressionError(
                "empty-range", "the interval ends before it starts", match.start("x_dt")
            )
    return ResolvedTime(start.astimezone(tz), end, zone_label(tz), tz, ())


def _point(match: re.Match[str], prefix: str, venue: ZoneInfo | None) -> tuple[datetime, tzinfo]:
    column = match.start(f"{prefix}dt")
    zone_text = match[f"{prefix}zone"]
    text = match[f"{prefix}dt"] + (match[f"{prefix}off"] or "")
    if zone_text:
        return _instant(text, load_zone(zone_text, match.start(f"{prefix}zone")), column)
    moment, tz = _instant(text, venue if not match[f"{prefix}off"] else None, column)
    # an offset without a zone is an exact instant; show it in the venue's zone if known
    return (moment, venue) if venue is not None else (moment, tz)


def _instant(text: str, zone: tzinfo | None, column: int) -> tuple[datetime, tzinfo]:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeExpressionError("invalid-date", f"{text!r}: {exc}", column) from exc
    make_date(moment.year, moment.month, moment.day, column)  # the same year range as listings
    if moment.tzinfo is None:
        if zone is None:
            raise TimeExpressionError(
                "missing-zone",
                "no offset or zone; add one (+02:00, [Europe/Vienna]) or set the event's zone",
                column,
            )
        return localize(moment, zone, None, column)[0], zone
    if zone is None:
        return moment, moment.tzinfo
    in_zone = moment.astimezone(zone)
    if in_zone.utcoffset() != moment.utcoffset() and isinstance(zone, ZoneInfo):
        raise TimeExpressionError(
            "offset-mismatch",
            f"{zone.key} is {describe(in_zone)} at that instant, not {offset_text(moment)}; "
            "fix the offset or the zone",
            column,
        )
    return in_zone, zone
