"""The links in emails: double opt-in confirmation and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from structlog.testing import capture_logs

from notifier.signing import make_token
from tests.support.api import CCPCJ, SIGNING_SECRET, Api
from tests.support.mail import link_in

REGISTRATIONS = f"/api/v1/events/{CCPCJ}/registrations"


def _register(api: Api, **body: Any) -> Any:
    return api.client.post(REGISTRATIONS, json={"timezone": "Asia/Tokyo", **body})


def _registered_id(api: Api, **body: Any) -> str:
    """Register (answered 202 like every request: no id in it) and find the stored id."""
    assert _register(api, **body).status_code == 202
    (stored,) = api.run(api.store.list_registrations, CCPCJ)
    return stored.id


def test_opening_the_confirmation_link_only_asks(api: Api) -> None:
    """Mail scanners and link previews follow GETs; only the button press may opt in."""
    registration_id = _registered_id(api, email="ann@example.org")
    confirm_path = urlsplit(link_in(api.outbox_messages()[0], "confirm")).path
    page = api.client.get(confirm_path)
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    stored = api.run(api.store.get_registration, registration_id)
    assert stored is not None
    assert stored.confirmed is False


def test_confirmation_link_confirms_once_and_again_harmlessly(api: Api) -> None:
    """Mail clients and people click twice; the second click must not fail or change anything."""
    registration_id = _registered_id(api, email="ann@example.org")
    confirm_path = urlsplit(link_in(api.outbox_messages()[0], "confirm")).path
    first = api.client.post(confirm_path)
    assert first.status_code == 200
    assert "confirmed" in first.text
    assert "1 day, 1 hour, and 10 minutes" in first.text  # CLDR's English list: a serial comma
    stored = api.run(api.store.get_registration, registration_id)
    assert stored is not None
    assert stored.confirmed is True
    assert api.client.post(confirm_path).status_code == 200


def test_a_tampered_confirm_link_is_a_400_page(api: Api) -> None:
    """A broken link must say so and change nothing."""
    response = api.client.post("/confirm/not-a-token")
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "not valid" in response.text


def test_an_unsubscribe_token_cannot_confirm(api: Api) -> None:
    """Tokens are bound to their purpose: the unsubscribe link must not opt anyone in."""
    registration_id = _registered_id(api, email="ann@example.org")
    token = make_token(SIGNING_SECRET, "unsubscribe", registration_id)
    assert api.client.post(f"/confirm/{token}").status_code == 400
    stored = api.run(api.store.get_registration, registration_id)
    assert stored is not None
    assert stored.confirmed is False


def test_unsubscribe_get_asks_with_a_button_and_removes_nothing(api: Api) -> None:
    """Link scanners follow GETs: opening the link must not unsubscribe anyone."""
    registration_id = _registered_id(api, email="ann@example.org")
    unsubscribe_path = urlsplit(link_in(api.outbox_messages()[0], "unsubscribe")).path
    response = api.client.get(unsubscribe_path)
    assert response.status_code == 200
    assert '<form method="post"' in response.text
    assert "a***@example.org" in response.text
    assert "ann@example.org" not in response.text
    assert api.run(api.store.get_registration, registration_id) is not None


def test_one_click_unsubscribe_post_removes_the_registration(api: Api) -> None:
    """RFC 8058: the mail client's POST unsubscribes at once, and a repeat still succeeds."""
    registration_id = _registered_id(api, email="ann@example.org")
    unsubscribe_path = urlsplit(link_in(api.outbox_messages()[0], "unsubscribe")).path
    one_click = {"List-Unsubscribe": "One-Click"}
    with capture_logs() as logs:
        response = api.client.post(unsubscribe_path, data=one_click)
    assert response.status_code == 200
    expected = {"event": "registration_removed", "one_click": True, "removed": True}
    (removed,) = [entry for entry in logs if entry["event"] == "registration_removed"]
    assert expected.items() <= removed.items()
    assert "unsubscribed" in response.text
    assert api.run(api.store.get_registration, registration_id) is None
    assert api.client.post(unsubscribe_path, data=one_click).status_code == 200


def test_unsubscribe_post_with_an_empty_body_works(api: Api) -> None:
    """Some clients post no body; the signed token alone is the authority."""
    registration_id = _registered_id(api, email="ann@example.org")
    token = make_token(SIGNING_SECRET, "unsubscribe", registration_id)
    assert api.client.post(f"/unsubscribe/{token}").status_code == 200
    assert api.run(api.store.get_registration, registration_id) is None


def test_confirming_after_unsubscribing_is_a_404_page(api: Api) -> None:
    """A late click on the confirm link must not bring a removed registration back."""
    registration_id = _registered_id(api, email="ann@example.org")
    message = api.outbox_messages()[0]
    api.client.post(urlsplit(link_in(message, "unsubscribe")).path)
    response = api.client.post(urlsplit(link_in(message, "confirm")).path)
    assert response.status_code == 404
    assert api.run(api.store.get_registration, registration_id) is None
