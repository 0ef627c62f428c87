"""An event for language tests, one fixed instant, and what CLDR says it looks like.

The session is Wednesday 2 December 2026, 07:30–09:00 in Vienna (06:30Z): 15:30 in Tokyo and
08:30 in Cairo, the same weekday everywhere the tests look. ``DAYS`` are CLDR's full dates for
it, written out here (not computed), so a test comparing with them cannot pass vacuously.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from babel import Locale
from babel.dates import format_date, format_interval

from notifier.events import Event
from notifier.records import LANGUAGES
from tests.support.events import load_test_event

START_UTC = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
END_UTC = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
EVENT_ID = "languages-event"
SESSION_ID = "opening"
SESSION_TITLE = "Opening of the congress"

# CLDR's full date for 2 December 2026 in each language (Babel 2.14+, CLDR 44+; CLDR writes
# thin and narrow no-break spaces where typography wants them)
DAYS = {
    "en": "Wednesday, December 2, 2026",
    "fr": "mercredi 2 décembre 2026",
    "es": "miércoles, 2 de diciembre de 2026",
    "ru": "среда, 2 декабря 2026\u202fг.",  # a narrow no-break space before г.
    "zh": "2026年12月2日星期三",
    "ar": "الأربعاء، 2 ديسمبر 2026",
    "ja": "2026年12月2日水曜日",
}
assert set(DAYS) == set(LANGUAGES)

EVENT_YAML = f"""\
id: {EVENT_ID}
name: Congress side events
titles:
  ja: 会議のサイドイベント
zone: Europe/Vienna
venue: Kyoto International Conference Center
reminders: [1h]
sessions:
  - id: {SESSION_ID}
    title: {SESSION_TITLE}
    titles:
      ja: 開会式
      ar: افتتاح المؤتمر
    when: "Wednesday 2 December 2026 07:30-09:00 CET"
    join_url: "https://events.example.org/congress/opening"
    room: Room A
"""


def language_event(extra: str = "") -> Event:
    """The event, with ``extra`` YAML (top-level keys) appended."""
    return load_test_event(EVENT_YAML + extra)


def cldr_locale(language: str) -> Locale:
    return Locale.parse("zh_Hans" if language == "zh" else language)


def babel_times(language: str, zone: tzinfo) -> tuple[str, str]:
    """(full date, start–end times) of the session in ``zone``, straight from babel.dates."""
    locale = cldr_locale(language)
    start, end = START_UTC.astimezone(zone), END_UTC.astimezone(zone)
    skeleton = "hm" if "h" in locale.time_formats["short"].pattern else "Hm"
    day = format_date(start, "full", locale=locale)
    return day, format_interval(start, end, skeleton, tzinfo=zone, locale=locale)
