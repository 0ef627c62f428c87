"""Abuse, tried as an attacker would, against the app with its real store, mailer and a real
webhook receiver: each test counts what was tried, what got through (must be 0) and how many
mails or POSTs it triggered. The figures are the table in docs/security.md.

Classes (issue #11): mail bombing, pre-registration hijack, enumeration and edits, webhook
amplification, and the per-client limit on public POSTs.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from structlog.testing import capture_logs

from tests.support.api import (
    CCPCJ,
    FIREARMS,
    SMUGGLING,
    Api,
    AppSetup,
    LoopLocalApp,
    api_client,
)
from tests.support.mail import link_in
from tests.support.webhooks import serve_receiver_in_thread

VICTIM = "victim@example.org"
REGISTRATIONS = f"/api/v1/events/{CCPCJ}/registrations"
NO_CLIENT_LIMIT = {"public_post_limit": 10_000}  # to measure the other defences on their own


@pytest.fixture
def unlimited(tmp_path: Path, events: Any) -> Iterator[Api]:
    """The app with the per-client limit out of the way (it has its own test below)."""
    setup = AppSetup(tmp_path, events, settings_overrides=NO_CLIENT_LIMIT)
    app = LoopLocalApp(setup)
    with api_client(app) as client:
        yield Api(client, app)


def _post(api: Api, **body: Any) -> Any:
    return api.client.post(REGISTRATIONS, json={"timezone": "Asia/Tokyo", **body})


@contextmanager
def counting_mails() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every confirmation email the app sent meanwhile (a resend of one confirmation is the
    same outbox file, so the files undercount; the send log does not)."""
    with capture_logs() as logs:
        yield logs


def _mails(logs: list[MutableMapping[str, Any]]) -> int:
    return sum(1 for entry in logs if entry["event"] == "confirmation_sent")


def test_mail_bombing_one_address_gets_one_confirmation_per_cooldown(unlimited: Api) -> None:
    """3,100 confirmations a minute to one victim was possible; one per 15 minutes now."""
    with counting_mails() as logs:
        answers = {_post(unlimited, email=VICTIM).status_code for _ in range(200)}
    assert answers == {202}
    assert _mails(logs) == 1  # tried 200, triggered 1


def test_unsubscribing_does_not_reopen_the_flood(unlimited: Api) -> None:
    """The next POST after an unsubscribe made a new pending record and a new mail."""
    with counting_mails() as logs:
        _post(unlimited, email=VICTIM)
        for _ in range(50):
            [message] = unlimited.outbox_messages()  # the link of the registration just made
            unlimited.client.post(urlsplit(link_in(message, "unsubscribe")).path)
            for path in unlimited.app.setup.outbox.glob("*.eml"):
                path.unlink()
            _post(unlimited, email=VICTIM)
            if not unlimited.outbox_messages():
                break  # no new mail, so no new link: the flood is over
    assert _mails(logs) == 1  # tried 50 unsubscribe+register rounds


def test_a_day_of_patient_requests_sends_at_most_the_daily_cap(unlimited: Api, events: Any) -> None:
    """Waiting out the cooldown, across events, still caps mail to one address per day."""
    clock = unlimited.app.setup.clock
    with counting_mails() as logs:
        for _ in range(96):  # every 15 minutes for a day, to every event
            for event_id in events:
                unlimited.client.post(
                    f"/api/v1/events/{event_id}/registrations",
                    json={"email": VICTIM, "timezone": "UTC"},
                )
            clock.advance(timedelta(minutes=15))
    # the day from 12:00 spans two calendar-day windows: the cap applies in each
    cap = unlimited.app.setup.settings().confirmation_daily_max
    assert _mails(logs) == 2 * cap  # tried 384, triggered 10


def test_every_public_answer_is_the_same_whatever_the_address_is(unlimited: Api) -> None:
    """New, pending, active or unsubscribed: a stranger must not learn which (enumeration)."""
    clock = unlimited.app.setup.clock
    new = _post(unlimited, email="new@example.org")
    pending = _post(unlimited, email="new@example.org")
    clock.advance(timedelta(minutes=16))
    confirm = urlsplit(link_in(unlimited.outbox_messages()[0], "confirm")).path
    unlimited.client.post(confirm)
    active = _post(unlimited, email="new@example.org")
    answers = {
        (r.status_code, r.text, r.headers.get("content-length")) for r in (new, pending, active)
    }
    assert len(answers) == 1
    assert "id" not in new.json()


def test_a_pending_registration_is_not_rewritten_by_a_later_request(unlimited: Api) -> None:
    """Posting a pending address rewrote its zone, sessions and attendance."""
    _post(unlimited, email=VICTIM, sessions=[SMUGGLING], attendance="onsite")
    for zone in ("UTC", "America/New_York", "Pacific/Auckland"):
        _post(unlimited, email=VICTIM, timezone=zone, sessions=[FIREARMS], attendance="online")
    [stored] = unlimited.run(unlimited.store.list_registrations)
    assert (stored.timezone, stored.sessions, stored.attendance) == (
        "Asia/Tokyo",
        (SMUGGLING,),
        "onsite",
    )


def test_a_stranger_cannot_join_an_address_to_their_own_receiver(unlimited: Api) -> None:
    """Pre-registration hijack: the stranger's webhook would get the victim's reminders."""
    with serve_receiver_in_thread() as attacker:
        tried = [
            _post(unlimited, email=VICTIM, webhook_url=attacker.url()),
            _post(unlimited, email=VICTIM.upper(), webhook_url=attacker.url(path_qs="/other")),
        ]
        assert {r.status_code for r in tried} == {422}
        # the victim registers and confirms; the stranger's receiver never appears
        _post(unlimited, email=VICTIM)
        unlimited.client.post(urlsplit(link_in(unlimited.outbox_messages()[0], "confirm")).path)
        assert attacker.requests == []
    [stored] = unlimited.run(unlimited.store.list_registrations)
    assert (stored.email, stored.webhook_url, stored.confirmed) == (VICTIM, None, True)


def test_webhooks_aimed_at_one_host_are_capped_and_need_its_consent(unlimited: Api) -> None:
    """1,509 webhook registrations in 15 s aimed 3,018 signed POSTs at one host."""
    cap = unlimited.app.setup.settings().webhook_host_daily_max
    with serve_receiver_in_thread() as victim_host:
        victim_host.verification = "ignore"
        answers = {
            _post(unlimited, webhook_url=victim_host.url(path_qs=f"/h{i}")).status_code
            for i in range(60)
        }
        posts = len(victim_host.requests)
    assert answers == {202}
    assert posts == cap  # one verification each, up to the host's daily cap; no reminders
    assert unlimited.run(unlimited.store.list_registrations) == []  # none consented


def test_a_verified_webhook_is_not_verified_again_or_changed_by_a_repeat(unlimited: Api) -> None:
    """Re-posting a known receiver must neither POST to it again nor change its sessions."""
    with serve_receiver_in_thread() as receiver:
        _post(unlimited, webhook_url=receiver.url(), sessions=[SMUGGLING])
        for _ in range(10):
            _post(unlimited, webhook_url=receiver.url(), sessions=[FIREARMS], timezone="UTC")
        assert len(receiver.verifications()) == 1
    [stored] = unlimited.run(unlimited.store.list_registrations)
    assert (stored.sessions, stored.timezone, stored.confirmed) == (
        (SMUGGLING,),
        "Asia/Tokyo",
        True,
    )


def test_one_client_gets_429_with_retry_after_past_its_limit(api: Api) -> None:
    """A single client cannot make the service do unbounded work (or mail) per minute."""
    limit = api.app.setup.settings().public_post_limit
    answers = [_post(api, email=f"p{i}@example.org").status_code for i in range(limit + 10)]
    assert answers[:limit] == [202] * limit
    assert set(answers[limit:]) == {429}
    refused = _post(api, email="late@example.org")
    assert 1 <= int(refused.headers["Retry-After"]) <= api.app.setup.settings().public_post_window_s
    page = api.client.post(f"/events/{CCPCJ}/register", data={"email": "x@example.org"})
    assert (page.status_code, "text/html" in page.headers["content-type"]) == (429, True)
    assert len(api.outbox_messages()) == limit


def test_a_confirmation_link_for_an_expired_request_does_nothing(unlimited: Api) -> None:
    """Pending registrations expire (48 h): an old link must not switch reminders on."""
    _post(unlimited, email=VICTIM)
    confirm = urlsplit(link_in(unlimited.outbox_messages()[0], "confirm")).path
    unlimited.app.setup.clock.advance(timedelta(hours=49))
    assert unlimited.client.post(confirm).status_code == 404
    assert unlimited.run(unlimited.store.list_registrations) == []
