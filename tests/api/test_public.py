"""The public JSON API in process (Starlette's TestClient): events, zones, registering, health."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from standardwebhooks import Webhook

from notifier.api._register import NEXT_STEP
from tests.support.api import CCPCJ, FIREARMS, SMUGGLING, WEBHOOK_SECRET, Api, AppSetup
from tests.support.mail import link_in
from tests.support.webhooks import serve_receiver_in_thread

REGISTRATIONS = f"/api/v1/events/{CCPCJ}/registrations"


def _register(api: Api, **body: Any) -> Any:
    return api.client.post(REGISTRATIONS, json={"timezone": "Asia/Tokyo", **body})


def _field_errors(response: Any) -> list[tuple[list[str], str]]:
    return [(e["loc"], e["type"]) for e in response.json()["detail"]]


def _session(body: dict[str, Any], session_id: str) -> dict[str, Any]:
    return next(s for s in body["sessions"] if s["id"] == session_id)


def test_healthz_answers_ok(api: Api) -> None:
    """Liveness must not depend on the store: a slow Redis must not get the process killed."""
    response = api.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_200_when_store_and_scheduler_are_up(api: Api) -> None:
    """Load balancers send traffic only to replicas that say they are ready."""
    response = api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failing": [],
        "checks": {"store": True, "scheduler": True},
    }


def test_readyz_is_503_naming_the_failed_check(api: Api, setup: AppSetup) -> None:
    """Ops must see which part is down, and the probe must fail, not pass."""
    setup.scheduler_running = False
    response = api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "failing": ["scheduler"],
        "checks": {"store": True, "scheduler": False},
    }


def test_events_list_gives_id_name_zone_and_session_count(api: Api) -> None:
    """Clients discover events without reading config files."""
    events = {e["id"]: e for e in api.client.get("/api/v1/events").json()}
    ccpcj = events[CCPCJ]
    assert ccpcj["name"] == "The Global Initiative at the 32nd CCPCJ"
    assert ccpcj["zone"] == "Europe/Vienna"
    assert ccpcj["session_count"] >= 7


def test_event_sessions_are_rendered_in_the_requested_zone_and_at_the_venue(api: Api) -> None:
    """A participant in Tokyo must read 16:10 for a 09:10 CEST session, and see the venue time."""
    body = api.client.get(f"/api/v1/events/{CCPCJ}", params={"tz": "Asia/Tokyo"}).json()
    session = _session(body, SMUGGLING)
    assert body["tz"] == "Asia/Tokyo"
    assert session["start_utc"] == "2023-05-23T07:10:00Z"
    assert session["end_utc"] == "2023-05-23T08:00:00Z"
    assert session["start_local"] == "2023-05-23T16:10:00+09:00"
    assert session["end_local"] == "2023-05-23T17:00:00+09:00"
    assert session["display"] == "Tue 23 May 2023 16:10–17:00 JST (UTC+09:00)"
    assert session["venue_display"] == "Tue 23 May 2023 09:10–10:00 CEST (UTC+02:00)"
    assert session["join_url"] == f"https://events.example.org/ccpcj-32/{SMUGGLING}"
    assert session["cancelled"] is False


def test_event_times_default_to_utc(api: Api) -> None:
    """Without a zone the API must pick an unambiguous one, never the server's local zone."""
    session = _session(api.client.get(f"/api/v1/events/{CCPCJ}").json(), SMUGGLING)
    assert session["start_local"] == "2023-05-23T07:10:00Z"
    assert session["display"].startswith("Tue 23 May 2023 07:10–08:00 UTC")


def test_unknown_event_is_404_naming_the_known_ones(api: Api) -> None:
    """A mistyped event id must say what exists rather than look like an empty event."""
    response = api.client.get("/api/v1/events/ccpcj-33")
    assert response.status_code == 404
    assert CCPCJ in response.json()["detail"]


def test_unknown_zone_is_422_on_tz_with_a_suggestion(api: Api) -> None:
    """A misspelt zone must be named as the culprit, with the likely intended one."""
    response = api.client.get(f"/api/v1/events/{CCPCJ}", params={"tz": "Asia/Tokio"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "tz"]
    assert "did you mean Asia/Tokyo" in error["msg"]


def test_email_registration_waits_for_its_confirmation_link(api: Api) -> None:
    """Double opt-in: typing someone's address must not sign them up for our emails."""
    response = _register(api, email="ann@example.org", sessions=[SMUGGLING])
    assert response.status_code == 202
    body = response.json()
    assert body == {"status": "accepted", "next_step": NEXT_STEP}  # no id, nothing revealed
    [stored] = api.run(api.store.list_registrations)
    assert (stored.email, stored.timezone, stored.confirmed) == (
        "ann@example.org",
        "Asia/Tokyo",
        False,
    )
    [message] = api.outbox_messages()
    assert message["To"] == "ann@example.org"
    assert link_in(message, "confirm").startswith("https://reminders.example.org/confirm/")
    assert message["List-Unsubscribe"] == f"<{link_in(message, 'unsubscribe')}>"


def test_registering_a_confirmed_address_again_changes_nothing_and_tells_only_its_owner(
    api: Api, setup: AppSetup
) -> None:
    """Anyone can type an address: a repeat must not alter it, and the answer must not differ."""
    first = _register(api, email="ann@example.org", sessions=[SMUGGLING])
    api.client.post(urlsplit(link_in(api.outbox_messages()[0], "confirm")).path)
    setup.clock.advance(timedelta(minutes=16))  # past the confirmation cooldown
    again = _register(api, email="ANN@example.org", sessions=[FIREARMS], timezone="UTC")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    [stored] = api.run(api.store.list_registrations)
    assert (stored.sessions, stored.timezone, stored.confirmed) == (
        (SMUGGLING,),
        "Asia/Tokyo",
        True,
    )
    subjects = sorted(str(m["Subject"]).split(" for ")[0] for m in api.outbox_messages())
    assert subjects == ["Confirm your reminders", "You already get reminders"]


def test_an_email_and_a_webhook_in_one_request_are_refused_and_nothing_is_stored(
    api: Api,
) -> None:
    """Joining an address to a stranger's receiver would forward that person's reminders."""
    refused = _register(api, email="ann@example.org", webhook_url="http://127.0.0.1:9/hook")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "webhook_url"]
    assert api.run(api.store.list_registrations) == []
    assert api.outbox_messages() == []


def test_webhook_starts_once_its_receiver_echoes_the_signed_challenge(api: Api) -> None:
    """The receiver proves it wants the POSTs, and it alone learns the signing secret."""
    with serve_receiver_in_thread() as receiver:
        response = _register(api, webhook_url=receiver.url())
        [asked] = receiver.verifications()
    assert (response.status_code, response.json()["status"]) == (202, "accepted")
    assert "webhook_secret" not in response.json()
    assert asked.document["webhook_secret"] == WEBHOOK_SECRET
    headers = {k.lower(): v for k, v in asked.headers.items()}
    Webhook(WEBHOOK_SECRET).verify(asked.body, headers)  # signed like every reminder
    [stored] = api.run(api.store.list_registrations)
    assert (stored.webhook_url, stored.confirmed) == (receiver.url(), True)
    assert api.outbox_messages() == []


@pytest.mark.parametrize("mode", ["ignore", "refuse"])
def test_webhook_whose_receiver_does_not_echo_is_not_kept(
    api: Api, mode: Literal["ignore", "refuse"]
) -> None:
    """A host that did not ask for reminders must not get them (amplification)."""
    with serve_receiver_in_thread() as receiver:
        receiver.verification = mode
        response = _register(api, webhook_url=receiver.url())
        assert len(receiver.verifications()) == 1
    assert response.status_code == 202
    assert api.run(api.store.list_registrations) == []


def test_webhook_refused_by_the_guard_is_422_on_webhook_url_and_stores_nothing(api: Api) -> None:
    """The SSRF guard runs before the write: a refused URL must leave no registration behind."""
    response = _register(api, webhook_url="http://169.254.169.254/x")
    assert response.status_code == 422
    assert _field_errors(response) == [(["body", "webhook_url"], "value_error")]
    assert api.run(api.store.list_registrations) == []
    assert api.outbox_messages() == []


def test_valid_email_with_an_invalid_zone_stores_and_sends_nothing(api: Api) -> None:
    """Nothing half-written: one bad field must not leave a registration or an email behind."""
    response = _register(api, email="ann@example.org", timezone="Europe/Viena")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "timezone"]
    assert "did you mean Europe/Vienna" in error["msg"]
    assert api.run(api.store.list_registrations) == []
    assert api.outbox_messages() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"email": "not-an-address"}, "email", id="bad-email"),
        pytest.param({}, "email", id="no-address"),
        pytest.param({"webhook_url": "ftp://127.0.0.1/x"}, "webhook_url", id="not-http"),
        pytest.param({"email": "a@example.org", "sessions": ["nope"]}, "sessions", id="session"),
        pytest.param({"email": "a@example.org", "attendance": "maybe"}, "attendance", id="attend"),
        pytest.param({"email": "a@example.org", "time_zone": "UTC"}, "time_zone", id="extra"),
    ],
)
def test_each_bad_field_is_422_naming_that_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    """Clients must be able to put the error next to the field that caused it."""
    response = _register(api, **body)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]
    assert api.run(api.store.list_registrations) == []


def test_unknown_session_says_which_one_was_meant(api: Api) -> None:
    """A typo in a session id must point to the real id, not only refuse."""
    response = _register(api, email="a@example.org", sessions=["human-smuggling"])
    [error] = response.json()["detail"]
    assert f'did you mean "{SMUGGLING}"' in error["msg"]


def test_registration_for_an_unknown_event_is_404_and_stores_nothing(api: Api) -> None:
    """An event id that does not exist must not collect registrations nobody will serve."""
    response = api.client.post(
        "/api/v1/events/nope/registrations", json={"email": "a@example.org", "timezone": "UTC"}
    )
    assert response.status_code == 404
    assert api.run(api.store.list_registrations) == []


def test_confirmation_that_cannot_be_mailed_is_503_and_takes_the_registration_back(
    api: Api, setup: AppSetup
) -> None:
    """A registration nobody can confirm must not linger; the client is told to retry later."""
    Path(setup.outbox).write_text("a file where the outbox folder should be")
    response = _register(api, email="ann@example.org")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "900"  # the confirmation cooldown
    assert api.run(api.store.list_registrations) == []


@pytest.mark.usefixtures("with_small_event")
def test_a_cancelled_session_is_listed_as_cancelled_and_cannot_be_followed(api: Api) -> None:
    """Config reloads show on the next request, and nobody may sign up for a dropped session."""
    body = api.client.get("/api/v1/events/small-event").json()
    assert [(s["id"], s["cancelled"]) for s in body["sessions"]] == [
        ("opening", False),
        ("dropped", True),
    ]
    response = api.client.post(
        "/api/v1/events/small-event/registrations",
        json={"email": "a@example.org", "timezone": "UTC", "sessions": ["dropped"]},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["msg"]) == (["body", "sessions"], 'session "dropped" is cancelled')


@pytest.mark.parametrize(
    "url",
    [
        "json://hooks.example.org/in",
        "slack://T000/B000/XXXX/#room",
        "form://127.0.0.1:8080/x",
        "discord://4174216298/token",
    ],
)
def test_a_participant_cannot_register_an_apprise_url(api: Api, url: str) -> None:
    """Apprise URLs are the organizer's broadcasts: from a stranger they would dial any host
    past the address guard, so the API takes only http(s) webhooks."""
    response = _register(api, webhook_url=url)
    assert response.status_code == 422
    assert _field_errors(response) == [(["body", "webhook_url"], "value_error")]
    assert api.run(api.store.list_registrations) == []
