"""Listing time expressions to exact instants, and instants back to text, by the IANA rules.

Pure: no I/O and no clock reads. The reference date for year guessing comes in
:class:`TimeContext`.
"""

from notifier.errors import TimeExpressionError
from notifier.times.durations import format_duration, parse_duration
from notifier.times.format import format_moment, format_range, to_iso_zoned, to_listing, utc_z
from notifier.times.model import Issue, ResolvedTime, TimeContext
from notifier.times.resolve import parse_day, parse_when
from notifier.times.search import Found, find_times
from notifier.times.zones import load_zone

__all__ = [
    "Found",
    "Issue",
    "ResolvedTime",
    "TimeContext",
    "TimeExpressionError",
    "find_times",
    "format_duration",
    "format_moment",
    "format_range",
    "load_zone",
    "parse_day",
    "parse_duration",
    "parse_when",
    "to_iso_zoned",
    "to_listing",
    "utc_z",
]
