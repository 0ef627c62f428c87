"""Organizer endpoints: the bearer token, registrations and the delivery log; logs stay clean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from notifier.records import Registration, ReminderRef, delivery_key
from tests.support.api import (
    CCPCJ,
    NOW,
    ORGANIZER_TOKEN,
    SMUGGLING,
    Api,
    AppSetup,
    LoopLocalApp,
    api_client,
)

REGISTRATIONS = f"/api/v1/events/{CCPCJ}/registrations"
DELIVERIES = f"/api/v1/events/{CCPCJ}/sessions/{SMUGGLING}/deliveries"
AUTH = {"Authorization": f"Bearer {ORGANIZER_TOKEN}"}


@pytest.fixture
def api_without_token(setup: AppSetup) -> Iterator[Api]:
    """The app with NOTIFIER_ORGANIZER_TOKEN unset."""
    setup.organizer_token = None
    app = LoopLocalApp(setup)
    with api_client(app) as client:
        yield Api(client, app)


@pytest.mark.parametrize("path", [REGISTRATIONS, DELIVERIES])
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
        pytest.param({"Authorization": f"Basic {ORGANIZER_TOKEN}"}, id="not-bearer"),
        # latin-1 on the wire, as HTTP carries it: compare_digest on such a str would raise
        pytest.param({"Authorization": "Bearer t\u00f6ken".encode("latin-1")}, id="non-ascii"),
    ],
)
def test_organizer_endpoints_refuse_without_the_right_token(
    api: Api, path: str, headers: dict[str, Any]
) -> None:
    """Registrations hold personal data: only the organizer may list them (401, never 500)."""
    response = api.client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_organizer_endpoints_are_off_when_no_token_is_set(api_without_token: Api) -> None:
    """No configured token must mean no access, not access for any token."""
    for token in (ORGANIZER_TOKEN, ""):
        response = api_without_token.client.get(
            REGISTRATIONS, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert "NOTIFIER_ORGANIZER_TOKEN" in response.json()["detail"]


def test_organizer_lists_registrations_with_their_confirmation_state(api: Api) -> None:
    """Organizers must tell confirmed participants from addresses still waiting for the link."""
    api.client.post(REGISTRATIONS, json={"email": "ann@example.org", "timezone": "Asia/Tokyo"})
    # a verified webhook (verification itself: tests/security), entered as the service stores it
    webhook = Registration(
        id="hook-1",
        event_id=CCPCJ,
        timezone="UTC",
        created_at=NOW,
        webhook_url="http://127.0.0.1:9/hook",
        sessions=(SMUGGLING,),
    )
    api.run(api.store.add_registration, webhook)
    response = api.client.get(REGISTRATIONS, headers=AUTH)
    assert response.status_code == 200
    listed = {(r["email"] or r["webhook_url"]): r for r in response.json()}
    assert listed["ann@example.org"]["confirmed"] is False
    assert listed["ann@example.org"]["sessions"] is None
    assert listed["http://127.0.0.1:9/hook"]["confirmed"] is True
    assert listed["http://127.0.0.1:9/hook"]["sessions"] == [SMUGGLING]


def test_organizer_lists_a_sessions_delivery_log(api: Api, events: Any) -> None:
    """Support answers 'did my reminder go out?' from this log."""
    session = next(s for s in events[CCPCJ].sessions if s.id == SMUGGLING)
    ref = ReminderRef(CCPCJ, SMUGGLING, session.start_utc, 3600)
    key = delivery_key(ref, "reg-1", "email")
    api.run(api.store.claim_delivery, key, ref, "reg-1", "email", NOW)
    api.run(api.store.record_delivery, key, "sent", 1, NOW)
    response = api.client.get(DELIVERIES, headers=AUTH)
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["key"] == key
    assert (entry["status"], entry["channel"], entry["offset_s"]) == ("sent", "email", 3600)
    assert entry["start_utc"] == "2023-05-23T07:10:00Z"
    assert entry["sent_at"] == "2023-05-01T12:00:00Z"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v1/events/nope/registrations", id="event"),
        pytest.param(f"/api/v1/events/{CCPCJ}/sessions/nope/deliveries", id="session"),
    ],
)
def test_organizer_unknown_event_or_session_is_404(api: Api, path: str) -> None:
    """An empty list would hide a typo in the id; a 404 names it."""
    response = api.client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_logs_never_hold_whole_addresses(api: Api) -> None:
    """STYLE: logs go to shared systems; an address or webhook URL there is a data leak."""
    with capture_logs() as logs:
        api.client.post(
            REGISTRATIONS,
            json={
                "email": "ann.secret@example.org",
                "webhook_url": "http://127.0.0.1:9/hook?key=s3cret",
                "timezone": "UTC",
            },
        )
        api.client.get(REGISTRATIONS, headers={"Authorization": "Bearer wrong-token"})
    assert logs, "the API logged nothing"
    text = repr(logs)
    for secret in ("ann.secret", "s3cret", "wrong-token", ORGANIZER_TOKEN):
        assert secret not in text
