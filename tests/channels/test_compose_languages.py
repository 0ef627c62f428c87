"""Reminders in the registration's language: CLDR times, translated words, the organizer's own."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_timedelta

from notifier import i18n
from notifier.channels.compose import compose_email
from notifier.records import LANGUAGES, Language
from tests.support.languages import DAYS, babel_times, cldr_locale, language_event
from tests.support.mail import parse_email, plain_text
from tests.support.reminders import reminder_message

SENDER = "Reminders <reminders@example.org>"
BASE_URL = "https://reminders.example.org"
TOKYO = ZoneInfo("Asia/Tokyo")
VIENNA = ZoneInfo("Europe/Vienna")
JAPANESE_REMINDER = """\
templates:
  reminder:
    ja:
      subject: "【{{ f.event_name }}】{{ f.title }}"
      text: |
        {{ f.title }}
        {{ f.status }}
        {{ f.your_time }}
      html: "<p>{{ f.title }}: {{ f.your_time }}</p>"
"""


def _reminder(language: Language, extra: str = "", **changes: Any) -> EmailMessage:
    event = language_event(extra)
    [session] = event.sessions
    message = reminder_message(
        session=session, language=language, event=event, timezone="Asia/Tokyo", **changes
    )
    composed = compose_email(message, sender=SENDER, public_base_url=BASE_URL)
    return parse_email(composed.as_bytes())


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reminder_reads_in_the_registrations_language_with_cldr_times(
    language: Language,
) -> None:
    """Both times (the reader's and the venue's) as CLDR writes them, and our words translated."""
    message = _reminder(language, offset=timedelta(hours=2))
    text = plain_text(message)
    for zone in (TOKYO, VIENNA):
        day, times = babel_times(language, zone)
        assert day in text
        assert times in text
    assert DAYS[language] in text  # 2 December in Tokyo as in Vienna
    soon = format_timedelta(timedelta(hours=2), add_direction=True, locale=cldr_locale(language))
    assert soon in message["Subject"]
    gettext = i18n.gettext_for(language)
    assert gettext("Your time (%(zone)s)") % {"zone": "Asia/Tokyo"} in text
    lang, direction = i18n.html_lang(language), i18n.text_direction(language)
    assert f'<html lang="{lang}" dir="{direction}">' in _html(message)
    if language != "en":
        assert "Your time" not in text
        assert "Reminder:" not in message["Subject"]


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        pytest.param("ja", "リマインダー：開会式 — 2 時間後に開始", id="ja"),
        pytest.param("fr", "Rappel : Opening of the congress — commence dans 2 heures", id="fr"),
        pytest.param("ar", "تذكير: افتتاح المؤتمر — تبدأ خلال ساعتين", id="ar"),
    ],
)
def test_known_subjects(language: Language, subject: str) -> None:
    """Written out: the title per language from the config, CLDR's relative phrase."""
    assert _reminder(language, offset=timedelta(hours=2))["Subject"] == subject


def test_the_organizers_template_replaces_ours_for_its_language_only() -> None:
    """Japanese readers get the organizer's words; French readers the built-in reminder."""
    japanese = _reminder("ja", JAPANESE_REMINDER, offset=timedelta(hours=2))
    assert japanese["Subject"] == "【会議のサイドイベント】開会式"
    assert plain_text(japanese).splitlines() == [
        "開会式",
        "2 時間後に開始",
        "2026年12月2日水曜日 15時30分～17時00分 JST (UTC+09:00)",
    ]
    assert "<p>開会式: 2026年12月2日水曜日" in _html(japanese)
    french = _reminder("fr", JAPANESE_REMINDER, offset=timedelta(hours=2))
    assert french["Subject"].startswith("Rappel : ")


def test_the_organizers_html_is_escaped_like_ours() -> None:
    """A title with markup must not become markup in the organizer's HTML either."""
    message = _reminder("ja", JAPANESE_REMINDER, title="<b>x</b>", titles=())
    assert "<p>&lt;b&gt;x&lt;/b&gt;:" in _html(message)
    assert "<b>x</b>" in message["Subject"]  # a subject is text: nothing to escape


def test_a_template_failing_at_send_time_falls_back_to_ours() -> None:
    """validate renders templates first; if one still fails, the reminder must still go out."""
    broken = JAPANESE_REMINDER.replace("{{ f.status }}", "{{ f.statuss }}")  # StrictUndefined
    message = _reminder("ja", broken, offset=timedelta(hours=2))
    assert message["Subject"] == "リマインダー：開会式 — 2 時間後に開始"
