"""Dates, times and spans in the reader's locale (Babel, CLDR), and which language they get."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_timedelta

from notifier import i18n
from notifier.records import LANGUAGES, Language
from tests.support.languages import DAYS, END_UTC, START_UTC, babel_times, cldr_locale

TOKYO = ZoneInfo("Asia/Tokyo")
CAIRO = ZoneInfo("Africa/Cairo")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_session_reads_as_cldr_writes_it_in_each_language(language: Language) -> None:
    """A Tokyo reader of any language must see CLDR's date and times for 15:30–17:00 JST."""
    text = i18n.format_range(START_UTC, END_UTC, language, TOKYO)
    day, times = babel_times(language, TOKYO)
    assert day == DAYS[language]  # babel agrees with the CLDR strings written out by hand
    assert day in text
    assert times in text
    assert text.endswith("JST (UTC+09:00)")


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        pytest.param(
            "ja", TOKYO, "2026年12月2日水曜日 15時30分～17時00分 JST (UTC+09:00)", id="ja"
        ),
        pytest.param(
            "en",
            TOKYO,
            "Wednesday, December 2, 2026, 3:30\u2009–\u20095:00\u202fPM JST (UTC+09:00)",
            id="en-12-hour",
        ),
        pytest.param(
            "fr",
            CAIRO,
            "mercredi 2 décembre 2026, 08:30\u2009–\u200910:00 EET (UTC+02:00)",
            id="fr-24-hour",
        ),
        pytest.param(
            "ru", CAIRO, "среда, 2 декабря 2026\u202fг., 08:30—10:00 EET (UTC+02:00)", id="ru"
        ),
        pytest.param("ar", CAIRO, "الأربعاء، 2 ديسمبر 2026، 8:30–10:00 ص EET (UTC+02:00)", id="ar"),
    ],
)
def test_known_cldr_strings(language: Language, zone: ZoneInfo, expected: str) -> None:
    """Written-out CLDR results: a formatter that ignored the locale would fail here."""
    assert i18n.format_range(START_UTC, END_UTC, language, zone) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param("ja", "12月2日(水) 15:30", id="ja"),
        pytest.param("zh", "12月2日周三 15:30", id="zh"),
        pytest.param("en", "Wed, Dec 2, 3:30\u202fPM", id="en"),
        pytest.param("fr", "mer. 2 déc. 15:30", id="fr"),
    ],
)
def test_the_short_form_keeps_the_weekday(language: Language, expected: str) -> None:
    """The form's session list is short, but a weekday still tells which day it is."""
    assert i18n.format_short(START_UTC, language, TOKYO) == expected


def test_a_session_over_midnight_shows_both_dates() -> None:
    """An end on the next day must say so, or 23:00–01:00 reads as a session going backwards."""
    text = i18n.format_range(START_UTC, START_UTC + timedelta(hours=20), "fr", TOKYO)
    assert text.startswith("mercredi 2 décembre 2026, 15:30 JST (UTC+09:00)")
    assert text.endswith("jeudi 3 décembre 2026, 11:30 JST (UTC+09:00)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_unit_spans_are_cldrs_relative_phrases(language: Language) -> None:
    """'starts in 2 hours' is CLDR's own phrase in every language (format_timedelta)."""
    for delta in (timedelta(hours=2), timedelta(days=1), timedelta(minutes=-5)):
        expected = format_timedelta(delta, add_direction=True, locale=cldr_locale(language))
        assert i18n.format_relative(delta, language) == expected


@pytest.mark.parametrize(
    ("language", "delta", "expected"),
    [
        pytest.param("en", timedelta(hours=2), "in 2 hours", id="en"),
        pytest.param("fr", timedelta(hours=2), "dans 2 heures", id="fr"),
        pytest.param("ru", timedelta(hours=2), "через 2 часа", id="ru"),
        pytest.param("ja", timedelta(hours=2), "2 時間後", id="ja"),
        pytest.param("en", timedelta(hours=1, minutes=30), "in 1 hour 30 minutes", id="two-units"),
        pytest.param("es", -timedelta(hours=1, minutes=30), "hace 1 hora 30 minutos", id="past"),
        pytest.param("en", timedelta(seconds=59 * 60 + 40), "in 1 hour", id="to-the-minute"),
    ],
)
def test_relative_spans(language: Language, delta: timedelta, expected: str) -> None:
    """Two units stay exact (90 minutes is not 'in 2 hours'); seconds round to the minute."""
    assert i18n.format_relative(delta, language) == expected


@pytest.mark.parametrize(
    ("chosen", "header", "default", "expected"),
    [
        pytest.param("ar", "ja,en;q=0.5", "fr", "ar", id="registration-first"),
        pytest.param(None, "ja-JP,en;q=0.5", "fr", "ja", id="browser-second"),
        pytest.param(None, "de-DE,fr;q=0.9,en;q=0.8", None, "fr", id="first-supported-by-q"),
        pytest.param(None, "en;q=0.2,zh-CN;q=0.9", None, "zh", id="q-order-not-text-order"),
        pytest.param(None, "de,it", "es", "es", id="event-default-third"),
        pytest.param(None, None, None, "en", id="english-last"),
        pytest.param("xx", "ru;q=0,es", None, "es", id="unknown-choice-and-q0-skipped"),
        pytest.param(None, "*", "ru", "ru", id="wildcard-means-nothing"),
        pytest.param(None, "fr;q=nonsense,ja", None, "ja", id="bad-q-ignored"),
    ],
)
def test_the_language_is_the_registrations_then_the_browsers_then_the_events(
    chosen: str | None, header: str | None, default: str | None, expected: str
) -> None:
    """The negotiation order of issue 16."""
    assert i18n.negotiate(chosen=chosen, accept_language=header, event_default=default) == expected


def test_only_arabic_is_right_to_left() -> None:
    """dir=rtl comes from CLDR's character order, so a new RTL language needs no code."""
    assert {lang: i18n.text_direction(lang) for lang in LANGUAGES} == {
        lang: "rtl" if lang == "ar" else "ltr" for lang in LANGUAGES
    }
