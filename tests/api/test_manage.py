"""Manage my reminders: the signed link in the confirmation, its page and its JSON twin.

Through the real app (SQLite store, outbox mailer): register, take the links from the email
the outbox holds, and change the registration as a participant would.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from notifier import i18n
from notifier.records import Registration
from notifier.signing import make_token
from tests.support.api import CCPCJ, FIREARMS, ORGANIZER_TOKEN, SIGNING_SECRET, SMUGGLING, Api
from tests.support.mail import link_in, plain_text

REGISTRATIONS = f"/api/v1/events/{CCPCJ}/registrations"
DAY_S, HOUR_S, TEN_MINUTES_S = 86_400, 3_600, 600


def _registered(api: Api, **body: Any) -> tuple[Registration, str]:
    """Ana, registered for the smuggling session from Tokyo; her record and her manage path."""
    given = {"email": "ana@example.org", "timezone": "Asia/Tokyo", "sessions": [SMUGGLING]}
    assert api.client.post(REGISTRATIONS, json={**given, **body}).status_code == 202
    (stored,) = api.run(api.store.list_registrations, CCPCJ)
    manage = link_in(api.outbox_messages()[-1], "manage")
    return stored, urlsplit(manage).path


def _stored(api: Api, registration_id: str) -> Registration:
    found = api.run(api.store.get_registration, registration_id)
    assert found is not None
    return found


def _form(**fields: Any) -> dict[str, Any]:
    base = {
        "timezone": "Africa/Cairo",
        "language": "ar",
        "attendance": "onsite",
        "sessions": [FIREARMS],
        "reminder_offsets_s": [str(HOUR_S)],
    }
    return {**base, **fields}


def test_the_confirmation_carries_the_manage_link_and_the_webcal_feed(api: Api) -> None:
    """The participant's way back to their settings and calendar is in the first email."""
    stored, manage_path = _registered(api)
    text = plain_text(api.outbox_messages()[0])
    token = make_token(SIGNING_SECRET, "manage", stored.id)
    assert manage_path == f"/manage/{token}"
    feed = re.search(r"webcal://reminders\.example\.org/calendar/[\w.\-]+\.ics", text)
    assert feed is not None, text


def test_the_manage_page_shows_the_settings_and_masks_the_address(api: Api) -> None:
    """Whoever holds the link sees the settings, but a forwarded mail must not leak the address."""
    _, manage_path = _registered(api)
    page = api.client.get(manage_path)
    assert page.status_code == 200
    assert "a***@example.org" in page.text
    assert "ana@example.org" not in page.text
    assert '<option value="Asia/Tokyo" selected>Tokyo (UTC+09:00)</option>' in page.text
    assert f'value="{SMUGGLING}" checked' in page.text
    assert 'lang="ar">العربية</option>' in page.text
    assert f'value="{HOUR_S}" checked' in page.text  # all reminders until some are turned off
    assert 'href="webcal://reminders.example.org/calendar/' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_saving_the_form_changes_every_setting_but_the_address(api: Api) -> None:
    """Zone, language, sessions, attendance and reminders change in one save."""
    stored, manage_path = _registered(api)
    page = api.client.post(manage_path, data=_form())
    assert page.status_code == 200
    # the page answers in the language just chosen, right to left for Arabic
    assert '<html lang="ar" dir="rtl">' in page.text
    assert (
        i18n.gettext_for("ar")("Saved. The reminders not sent yet will follow these settings.")
        in page.text
    )
    after = _stored(api, stored.id)
    assert (after.timezone, after.language, after.attendance) == ("Africa/Cairo", "ar", "onsite")
    assert after.sessions == (FIREARMS,)
    assert after.reminder_offsets_s == (HOUR_S,)
    assert (after.email, after.confirmed, after.id) == (stored.email, stored.confirmed, stored.id)


def test_ticking_every_reminder_stores_all_so_new_ones_reach_them_too(api: Api) -> None:
    """Someone who keeps every reminder also wants one the organizer adds later."""
    stored, manage_path = _registered(api)
    every = [str(s) for s in (DAY_S, HOUR_S, TEN_MINUTES_S)]
    api.client.post(manage_path, data=_form(reminder_offsets_s=every, sessions=[]))
    after = _stored(api, stored.id)
    assert (after.reminder_offsets_s, after.sessions) == (None, None)


def test_a_bad_zone_shows_the_form_again_with_the_error_and_changes_nothing(api: Api) -> None:
    """A typo must be explained beside its field, and nothing half-saved."""
    stored, manage_path = _registered(api)
    page = api.client.post(manage_path, data=_form(timezone="Asia/Tokio"))
    assert page.status_code == 422
    assert 'id="timezone-error"' in page.text
    assert "Asia/Tokyo" in page.text  # the suggestion
    assert _stored(api, stored.id) == stored


def test_an_offset_the_event_does_not_offer_is_refused(api: Api) -> None:
    """Only the organizer's reminders can be chosen: no reminder a minute before, made up."""
    stored, manage_path = _registered(api)
    page = api.client.post(manage_path, data=_form(reminder_offsets_s=["60"]))
    assert page.status_code == 422
    assert 'id="reminder_offsets_s-error"' in page.text
    assert _stored(api, stored.id) == stored


def test_a_form_with_no_reminder_ticked_is_refused_not_read_as_stop_all(api: Api) -> None:
    """An empty choice must be said out loud: leaving is the way to stop every reminder."""
    stored, manage_path = _registered(api)
    form = _form()
    del form["reminder_offsets_s"]
    page = api.client.post(manage_path, data=form)
    assert page.status_code == 422
    assert "choose at least one reminder" in page.text
    assert _stored(api, stored.id) == stored


def test_a_post_a_browser_marks_cross_site_is_refused(api: Api) -> None:
    """A page elsewhere must not change a registration through the participant's browser."""
    stored, manage_path = _registered(api)
    page = api.client.post(manage_path, data=_form(), headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 403
    assert _stored(api, stored.id) == stored


@pytest.mark.parametrize(
    "purpose", ["unsubscribe", "confirm", "calendar"], ids=["unsub", "confirm", "feed"]
)
def test_another_links_token_opens_no_manage_page(api: Api, purpose: str) -> None:
    """Tokens are bound to their purpose: an unsubscribe or feed link must not change settings."""
    stored, _ = _registered(api)
    token = make_token(SIGNING_SECRET, purpose, stored.id)
    assert api.client.get(f"/manage/{token}").status_code == 404
    assert api.client.post(f"/manage/{token}", data=_form()).status_code == 404
    assert api.client.patch(f"/api/v1/registrations/{token}", json={}).status_code == 404
    assert _stored(api, stored.id) == stored


def test_wrong_and_stale_links_get_one_404_that_says_nothing(api: Api) -> None:
    """Nobody may learn whether a registration exists: a forged link and a left one look alike."""
    stored, manage_path = _registered(api)
    forged = api.client.get(manage_path[:-3] + "abc")
    api.run(api.store.remove_registration, stored.id)
    left = api.client.get(manage_path)
    made_up = api.client.get("/manage/not-a-token")
    assert forged.status_code == left.status_code == made_up.status_code == 404
    assert _main(forged.text) == _main(left.text) == _main(made_up.text)
    assert "Tokyo" not in left.text


def _main(html: str) -> str:
    return html.split("<main>", 1)[1]


def test_leaving_from_the_manage_page_removes_the_registration(api: Api) -> None:
    """Leave is the unsubscribe link's POST: one way out, the same everywhere."""
    stored, manage_path = _registered(api)
    leave = re.search(
        r'<form method="post" action="(/unsubscribe/[^"]+)"', api.client.get(manage_path).text
    )
    assert leave is not None
    assert api.client.post(leave.group(1)).status_code == 200
    assert api.run(api.store.get_registration, stored.id) is None
    assert api.client.get(manage_path).status_code == 404


def test_the_json_api_reads_and_patches_only_the_fields_given(api: Api) -> None:
    """Apps and bots change one setting without re-sending the others."""
    stored, manage_path = _registered(api)
    path = "/api/v1/registrations/" + manage_path.rsplit("/", 1)[1]
    before = api.client.get(path).json()
    assert before["timezone"] == "Asia/Tokyo"
    assert before["address"] == "a***@example.org"
    assert before["offered_offsets_s"] == [DAY_S, HOUR_S, TEN_MINUTES_S]
    changed = api.client.patch(path, json={"timezone": "Africa/Cairo", "reminder_offsets_s": [600]})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["timezone"], body["sessions"], body["reminder_offsets_s"]) == (
        "Africa/Cairo",
        [SMUGGLING],
        [TEN_MINUTES_S],
    )
    assert body["calendar_url"].startswith("https://reminders.example.org/calendar/")
    assert _stored(api, stored.id).timezone == "Africa/Cairo"


def test_the_json_api_names_the_field_it_refuses(api: Api) -> None:
    """FastAPI's own 422 shape, with the field and what to do, and nothing changed."""
    stored, manage_path = _registered(api)
    path = "/api/v1/registrations/" + manage_path.rsplit("/", 1)[1]
    refused = api.client.patch(path, json={"sessions": ["no-such-session"]})
    assert refused.status_code == 422
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["body", "sessions"]
    assert "no session" in problem["msg"]
    assert api.client.patch(path, json={"language": "xx"}).status_code == 422
    assert _stored(api, stored.id) == stored


def test_the_json_api_deletes_and_then_knows_nothing(api: Api) -> None:
    """Leaving through the API works once; the token is dead after."""
    stored, manage_path = _registered(api)
    path = "/api/v1/registrations/" + manage_path.rsplit("/", 1)[1]
    assert api.client.delete(path).status_code == 204
    assert api.client.get(path).status_code == 404
    assert api.client.delete(path).status_code == 404
    assert api.run(api.store.get_registration, stored.id) is None


def test_the_openapi_document_describes_the_manage_api(api: Api) -> None:
    """Client authors read /openapi.json; the manage endpoints must be in it."""
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/registrations/{token}"])
    assert "get" in paths["/calendar/{token}.ics"]


def test_the_organizer_sees_the_reminders_a_participant_chose(api: Api) -> None:
    """Organizers answering "why did I get no reminder a day before?" must see the choice."""
    _, manage_path = _registered(api)
    api.client.post(manage_path, data=_form())
    headers = {"Authorization": f"Bearer {ORGANIZER_TOKEN}"}
    (listed,) = api.client.get(REGISTRATIONS, headers=headers).json()
    assert listed["reminder_offsets_s"] == [HOUR_S]


def test_the_confirmed_page_links_to_the_manage_page_and_the_feed(api: Api) -> None:
    """Right after confirming is when people want their calendar and to fix a wrong zone."""
    _, manage_path = _registered(api)
    page = api.client.post(urlsplit(link_in(api.outbox_messages()[0], "confirm")).path)
    assert page.status_code == 200
    assert f'href="{manage_path}"' in page.text
    assert 'href="webcal://reminders.example.org/calendar/' in page.text
