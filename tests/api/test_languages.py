"""Pages and confirmation mails in the reader's language, with CLDR's dates (issue 16)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from email.message import EmailMessage
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from notifier import i18n
from notifier.events import Event
from notifier.records import LANGUAGES, Language
from tests.support.api import Api
from tests.support.languages import DAYS, EVENT_ID, SESSION_ID, babel_times, language_event
from tests.support.mail import link_in, plain_text

PAGE = f"/events/{EVENT_ID}"
REGISTER = f"{PAGE}/register"
API_REGISTER = f"/api/v1/events/{EVENT_ID}/registrations"
TOKYO = ZoneInfo("Asia/Tokyo")
JAPANESE_CONFIRMATION = """\
templates:
  confirmation:
    ja:
      subject: "{{ event_name }}：登録の確認"
      text: |
        {{ event_name }} の登録を確認してください。
        {{ confirm_url }}
"""


@pytest.fixture
def events() -> Mapping[str, Event]:
    """Only the languages event (with a Japanese confirmation of the organizer's own)."""
    return {EVENT_ID: language_event(JAPANESE_CONFIRMATION)}


def _page(api: Api, language: str | None, **params: str) -> str:
    headers = {"Accept-Language": language} if language else {}
    response = api.client.get(PAGE, params={"tz": "Asia/Tokyo", **params}, headers=headers)
    assert response.status_code == 200
    return html.unescape(response.text)


def _html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_event_page_speaks_the_browsers_language_with_cldr_times(
    api: Api, language: Language
) -> None:
    """A visitor reading any of the seven languages gets its words and CLDR's date and times."""
    text = _page(api, f"{language},en;q=0.1")
    day, times = babel_times(language, TOKYO)
    assert day == DAYS[language]
    assert day in text
    assert times in text
    assert f'<html lang="{i18n.html_lang(language)}" dir="{i18n.text_direction(language)}">' in text
    translated = i18n.gettext_for(language)("Get reminders")
    assert translated in text
    if language != "en":
        assert "Get reminders" not in text
        assert "Sessions to follow" not in text


def test_the_japanese_page_uses_japanese_titles_and_the_short_weekday(api: Api) -> None:
    """CLDR's Japanese short form is 12月2日(水); titles are the organizer's, per language."""
    text = _page(api, "ja-JP")
    assert "12月2日(水) 15:30" in text
    assert "開会式" in text  # the session's Japanese title from the config
    assert "会議のサイドイベント" in text  # the event's
    assert "Opening of the congress" not in text


def test_the_arabic_page_runs_right_to_left_with_logical_css(api: Api) -> None:
    """Arabic is read right to left: the root says so, and no style pins a side."""
    text = _page(api, "ar-EG")
    assert '<html lang="ar" dir="rtl">' in text
    assert "افتتاح المؤتمر" in text
    assert "border-left" not in text
    assert "border-inline-start" in text


def test_without_a_browser_language_the_event_default_applies(
    api: Api, setup_event_language: None
) -> None:
    """An organizer in Madrid sets language: es; a browser naming none of ours gets Spanish."""
    assert DAYS["es"] in _page(api, "de-DE")
    assert DAYS["ja"] in _page(api, "ja")  # the browser's own language still wins


@pytest.fixture
def setup_event_language(api: Api) -> None:
    event = language_event("language: es\n")
    api.app.setup.events = {EVENT_ID: event}


def test_the_form_registers_in_the_pages_language_and_confirms_in_it(api: Api) -> None:
    """The page's language goes with the form: the Arabic reader's mails are Arabic."""
    form = {"email": "ann@example.org", "timezone": "Africa/Cairo", "language": "ar"}
    response = api.client.post(REGISTER, data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.text
    [registration] = api.run(api.store.list_registrations)
    assert registration.language == "ar"
    [mail] = api.outbox_messages()
    assert mail["Subject"] == "أكّد تذكيراتك لفعالية Congress side events"
    assert "يُرجى تأكيد تذكيراتك" in plain_text(mail)
    assert '<html lang="ar" dir="rtl">' in _html_part(mail)


def test_the_confirmed_page_lists_the_sessions_in_the_registrations_language(api: Api) -> None:
    """The confirm link opens in the language registered, whatever the browser says."""
    body = {"email": "ann@example.org", "timezone": "Asia/Tokyo", "language": "fr"}
    body["sessions"] = [SESSION_ID]  # type: ignore[assignment]
    assert api.client.post(API_REGISTER, json=body).status_code == 202
    confirm = urlsplit(link_in(api.outbox_messages()[0], "confirm")).path
    page = api.client.post(confirm, headers={"Accept-Language": "ja"})
    text = html.unescape(page.text)
    assert "Rappels confirmés" in text
    assert "1\u00a0heure" in text  # the event's one reminder offset, in French (CLDR's nbsp)
    assert f"{DAYS['fr']}, 15:30\u2009–\u200917:00 JST (UTC+09:00)" in text


def test_the_api_refuses_a_language_it_does_not_write_with_the_field(api: Api) -> None:
    """German is not offered: say so on the field, listing the seven, and store nothing."""
    body = {"email": "ann@example.org", "timezone": "Europe/Berlin", "language": "de"}
    response = api.client.post(API_REGISTER, json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "language"]
    assert "en, fr, es, ru, zh, ar, ja" in error["msg"]
    assert api.run(api.store.list_registrations) == []


def test_the_api_takes_the_clients_language_when_the_body_names_none(api: Api) -> None:
    """A JSON client sending Accept-Language: zh-CN registers a Chinese reader."""
    body = {"email": "li@example.org", "timezone": "Asia/Shanghai"}
    response = api.client.post(API_REGISTER, json=body, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 202
    [registration] = api.run(api.store.list_registrations)
    assert registration.language == "zh"
    assert api.outbox_messages()[0]["Subject"] == "请确认 Congress side events 的提醒"


def test_the_organizers_own_confirmation_is_sent_in_its_language_only(api: Api) -> None:
    """A Japanese template replaces ours for Japanese readers; others get the built-in one."""
    for address, language in (("ken@example.org", "ja"), ("ann@example.org", "en")):
        body = {"email": address, "timezone": "Asia/Tokyo", "language": language}
        assert api.client.post(API_REGISTER, json=body).status_code == 202
    japanese, english = api.outbox_messages()
    if japanese["To"] != "ken@example.org":
        japanese, english = english, japanese
    # event_name is the event's Japanese title from the config
    assert japanese["Subject"] == "会議のサイドイベント：登録の確認"
    assert plain_text(japanese).startswith("会議のサイドイベント の登録を確認してください。")
    assert link_in(japanese, "confirm")
    assert english["Subject"] == "Confirm your reminders for Congress side events"


TRANSLATED = [language for language in LANGUAGES if language != i18n.SOURCE_LANGUAGE]


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p id="{field}-error" class="error">(.*?)</p>', page, re.DOTALL)
    assert found is not None, page
    return html.unescape(found.group(1))


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_field_error_on_the_form_is_written_in_the_pages_language(
    api: Api, language: Language
) -> None:
    """A reader who mistypes an address is told so in the language of the page they filled."""
    form = {"email": "ann.example.org", "timezone": "Asia/Tokyo", "language": language}
    response = api.client.post(REGISTER, data=form)
    assert response.status_code == 422
    wanted = i18n.gettext_for(language)("not a valid email address; check it for typos")
    assert wanted != "not a valid email address; check it for typos"
    assert _field_error(response.text, "email") == wanted
    assert api.run(api.store.list_registrations) == []


def test_an_english_page_keeps_the_detailed_reason(api: Api) -> None:
    """English readers keep the validator's own reason, as before the catalogs had the errors."""
    form = {"email": "ann.example.org", "timezone": "Asia/Tokyo", "language": "en"}
    response = api.client.post(REGISTER, data=form)
    assert response.status_code == 422
    assert _field_error(response.text, "email").startswith("not a valid address: ")


def test_a_field_error_with_values_keeps_them_in_the_translation(api: Api) -> None:
    """The session named in a Russian error is the one the reader sent, inside Russian words."""
    form = {"email": "ann@example.org", "timezone": "Asia/Tokyo", "language": "ru"}
    response = api.client.post(REGISTER, data={**form, "sessions": ["no-such-session"]})
    assert response.status_code == 422
    template = i18n.gettext_for("ru")('no session "%(session)s" in %(event)s')
    wanted = template % {"session": "no-such-session", "event": EVENT_ID}
    assert _field_error(response.text, "sessions") == wanted


def test_the_manage_page_explains_a_bad_zone_in_the_registrations_language(api: Api) -> None:
    """A Chinese reader's manage form answers a zone typo in Chinese, whatever the browser."""
    body = {"email": "li@example.org", "timezone": "Asia/Shanghai", "language": "zh"}
    assert api.client.post(API_REGISTER, json=body).status_code == 202
    manage = urlsplit(link_in(api.outbox_messages()[0], "manage")).path
    form = {"timezone": "Asia/Shangai", "language": "zh", "attendance": "online"}
    response = api.client.post(manage, data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert _field_error(response.text, "timezone") == "“Asia/Shangai”不是时区名称；请从列表中选择"


def test_an_unknown_zone_in_the_link_is_explained_in_the_pages_language(api: Api) -> None:
    """?tz=Mars/Base falls back to UTC with a notice wholly in French, not half English."""
    text = _page(api, "fr", tz="Mars/Base")
    assert (
        "« Mars/Base » n’est pas un nom de fuseau horaire. Les heures sont affichées en UTC" in text
    )


def test_the_json_api_keeps_field_errors_in_english_for_machines(api: Api) -> None:
    """Clients parse the JSON detail; its words do not change with Accept-Language."""
    body = {"email": "ann.example.org", "timezone": "Asia/Tokyo"}
    response = api.client.post(API_REGISTER, json=body, headers={"Accept-Language": "ja"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["msg"].startswith("not a valid address: ")


def test_the_json_display_strings_follow_the_clients_language(api: Api) -> None:
    """A client that says Accept-Language: ja gets CLDR's Japanese date in display."""
    path = f"/api/v1/events/{EVENT_ID}"
    response = api.client.get(path, params={"tz": "Asia/Tokyo"}, headers={"Accept-Language": "ja"})
    assert response.status_code == 200
    [session] = response.json()["sessions"]
    day, times = babel_times("ja", TOKYO)
    assert session["display"] == f"{day} {times} JST (UTC+09:00)"
    venue_day, _ = babel_times("ja", ZoneInfo("Europe/Vienna"))
    assert session["venue_display"].startswith(venue_day)


def test_without_accept_language_the_json_display_keeps_its_fixed_english_form(api: Api) -> None:
    """Scripts that parse display, sending no Accept-Language, see the form they always saw."""
    response = api.client.get(f"/api/v1/events/{EVENT_ID}", params={"tz": "Asia/Tokyo"})
    [session] = response.json()["sessions"]
    assert session["display"].startswith("Wed 2 Dec 2026 15:30")
