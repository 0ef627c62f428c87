"""The words a listing time expression may contain, and what each one does.

One table per role, so the grammar (``parse.py``), the date finder (``datefind.py``) and the
listing importer's line detector read the same words.
"""

from __future__ import annotations

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
# Words that only join the parts; the listing importer counts these as "time words" too.
FILLERS = frozenset({"on", "at", "by", "from", "the", "of", "date", "time", "starting"})
# Lead-ins and joins real listings put around a time ("As of", "starts at", "no later than",
# "Deadline:", "in CET time zone"); they carry no meaning for the instant.
LEAD_INS = frozenset(
    {
        "as",
        "starts",
        "start",
        "begins",
        "begin",
        "ends",
        "end",
        "no",
        "not",
        "later",
        "than",
        "deadline",
        "timing",
        "in",
        "zone",
        "local",
        "times",
        "onwards",
        "sharp",
        "and",
    }
)
RANGE_WORDS = frozenset({"to", "till", "until", "through"})
SPECIAL_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
# Words after a clock that say it is a 24-hour (military) time: "1600 hrs", "0930 hours".
HOUR_WORDS = frozenset({"h", "hr", "hrs", "hours"})
# Parenthesised notes that do not change the time: "(TBC)", "(to be confirmed)".
NOTE_WORDS = frozenset(
    {"tbc", "tbd", "to", "be", "confirmed", "determined", "local", "time", "times"}
)
# Words that may follow a city to make it a zone: "Geneva time", "Boston local".
CITY_MARKERS = frozenset({"time", "local"})
