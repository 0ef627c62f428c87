"""The participant pages as HTML: zones, labels, the form's answers, escaping, headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.support.api import CCPCJ, FIREARMS, SMUGGLING, WEBHOOK_SECRET, Api
from tests.support.mail import link_in

PAGE = f"/events/{CCPCJ}"
REGISTER = f"/events/{CCPCJ}/register"


class Controls(HTMLParser):
    """The form controls of a page, the ``<label for>`` ids, and a few landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.control_ids: list[str | None] = []
        self.label_targets: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "label" and found.get("for"):
            self.label_targets.add(str(found["for"]))
        hidden = tag == "input" and found.get("type") == "hidden"
        if tag in ("input", "select", "textarea") and not hidden:
            self.control_ids.append(found.get("id"))


def _controls(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def _form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"timezone": "Asia/Tokyo", "attendance": "online", **fields}


def test_index_lists_each_event_with_a_link_to_its_page(api: Api) -> None:
    """Participants arrive at the home page and must find their event from there."""
    response = api.client.get("/")
    assert response.status_code == 200
    assert f'href="/events/{CCPCJ}"' in response.text
    assert "The Global Initiative at the 32nd CCPCJ" in response.text


def test_event_page_shows_times_in_the_visitors_zone_and_the_venues(api: Api) -> None:
    """A visitor in Tokyo must read 16:10 and still see the venue's 09:10 CEST beside it."""
    response = api.client.get(PAGE, params={"tz": "Asia/Tokyo"})
    assert response.status_code == 200
    # CLDR's English: thin spaces around the dash, a narrow no-break space before PM
    assert "Tuesday, May 23, 2023, 4:10\u2009–\u20095:00\u202fPM JST (UTC+09:00)" in response.text
    venue = "Tuesday, May 23, 2023, 9:10\u2009–\u200910:00\u202fAM CEST (UTC+02:00)"
    assert re.search(rf"At the venue: <time [^>]*>{re.escape(venue)}</time>", response.text)
    assert f'href="https://events.example.org/ccpcj-32/{SMUGGLING}"' in response.text


def test_zone_detecting_script_is_there_only_while_the_url_has_no_zone(api: Api) -> None:
    """The script must fill in ?tz= once, never loop, and the page must work without it."""
    first = api.client.get(PAGE).text
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in first
    assert "<script" not in api.client.get(PAGE, params={"tz": "Asia/Tokyo"}).text


def test_zone_picker_is_a_get_form_with_the_current_zone_selected(api: Api) -> None:
    """Without JavaScript the visitor picks a zone and submits: a plain GET form must do it."""
    parsed = _controls(api.client.get(PAGE, params={"tz": "Asia/Tokyo"}).text)
    forms = [attrs for tag, attrs in parsed.tags if tag == "form"]
    assert {"class": "zone", "method": "get", "action": PAGE} in forms
    assert ("select", {"id": "tz", "name": "tz"}) in parsed.tags
    assert ("option", {"value": "Asia/Tokyo", "selected": None}) in parsed.tags
    # NOW is 1 May 2023: Tokyo has no DST, and the label is CLDR's city with zoneinfo's offset
    assert (
        '<option value="Asia/Tokyo" selected>Tokyo (UTC+09:00)</option>'
        in api.client.get(PAGE + "?tz=Asia/Tokyo").text
    )


def test_every_form_control_has_a_label(api: Api) -> None:
    """Screen readers announce a control by its label; an unlabelled one is unusable there."""
    parsed = _controls(api.client.get(PAGE, params={"tz": "Asia/Tokyo"}).text)
    assert parsed.control_ids, "no form controls found"
    assert None not in parsed.control_ids
    assert set(parsed.control_ids) <= parsed.label_targets


def test_pages_declare_language_main_landmark_and_phone_viewport(api: Api) -> None:
    """lang picks the screen reader's voice; the viewport keeps phones from zooming out."""
    text = api.client.get(PAGE, params={"tz": "UTC"}).text
    assert '<html lang="en" dir="ltr">' in text
    assert "<main>" in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text


def test_unknown_zone_in_the_url_falls_back_to_utc_with_a_notice(api: Api) -> None:
    """A browser reporting a zone we lack must still get a usable page, told why it says UTC."""
    response = api.client.get(PAGE, params={"tz": "Mars/Olympus"})
    assert response.status_code == 200
    assert "&#34;Mars/Olympus&#34; is not an IANA time zone" in response.text
    assert "Tuesday, May 23, 2023, 7:10\u2009–\u20098:00\u202fAM UTC" in response.text


def test_unknown_event_page_is_404(api: Api) -> None:
    """A dead link must say there is no such event, not show an empty one."""
    response = api.client.get("/events/nope")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_form_email_registration_says_to_check_the_inbox(api: Api) -> None:
    """After submitting, the participant must know that a click in the email is still needed."""
    data = _form(email="ann@example.org", sessions=[SMUGGLING, FIREARMS])
    response = api.client.post(REGISTER, data=data)
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert "ann@example.org" not in response.text  # one page for every address: it tells nothing
    [registration] = api.run(api.store.list_registrations)
    assert (registration.attendance, registration.sessions) == ("online", (SMUGGLING, FIREARMS))
    assert registration.confirmed is False
    assert link_in(api.outbox_messages()[0], "confirm")


def test_form_webhook_registration_never_shows_a_secret_and_keeps_no_unverified_hook(
    api: Api,
) -> None:
    """The secret goes only to the receiver that answers the challenge; nothing listens here."""
    data = _form(webhook_url="http://127.0.0.1:9/hook")  # port 9 (discard): no receiver
    first = api.client.post(REGISTER, data=data)
    assert first.status_code == 200
    assert "Check your inbox" in first.text
    assert WEBHOOK_SECRET not in first.text
    assert api.run(api.store.list_registrations) == []


def test_form_error_is_shown_beside_its_field_with_the_input_kept(api: Api) -> None:
    """Fixing one field must not mean retyping the rest, and the error must sit by its field."""
    data = _form(email="ann@example.org", timezone="Asia/Tokio", sessions=[SMUGGLING])
    response = api.client.post(REGISTER, data=data)
    assert response.status_code == 422
    assert '<p id="timezone-error" class="error">' in response.text
    assert 'aria-invalid="true" aria-describedby="timezone-error"' in response.text
    assert 'value="ann@example.org"' in response.text
    assert f'value="{SMUGGLING}" checked' in response.text
    assert "<script" not in response.text  # no zone redirect from the POST's URL
    assert f'<form class="zone" method="get" action="{PAGE}">' in response.text
    assert api.run(api.store.list_registrations) == []


def test_what_participants_type_is_escaped(api: Api) -> None:
    """A field echoed back must never run as script in the page (autoescaping)."""
    response = api.client.post(REGISTER, data=_form(email='"><script>alert(1)</script>'))
    assert response.status_code == 422
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_pages_carry_a_script_nonce_policy_and_no_referrer(api: Api) -> None:
    """Confirm and unsubscribe URLs hold tokens: they must not leak to other sites."""
    assert api.client.post(REGISTER, data=_form(email="ann@example.org")).status_code == 200
    path = urlsplit(link_in(api.outbox_messages()[0], "unsubscribe")).path
    headers = api.client.get(path).headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'nonce-" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.usefixtures("with_small_event")
def test_a_cancelled_session_shows_as_cancelled_without_join_link_or_checkbox(api: Api) -> None:
    """A dropped session must not invite anyone to join it or to follow it."""
    text = api.client.get("/events/small-event", params={"tz": "UTC"}).text
    assert '<span class="badge">Cancelled</span>' in text
    assert 'value="opening"' in text
    assert 'value="dropped"' not in text
    assert "https://events.example.org/small/opening" in text
    assert "https://events.example.org/small/dropped" not in text
