"""Calendars: a session's .ics, Google and Outlook links, and each registration's private feed.

Every calendar file is read by two readers that share no code with icalendar (vobject and
ics-py, ``tests/support/calendars``); they must agree on each entry.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from notifier.events import Event
from notifier.signing import make_token
from tests.support.api import CCPCJ, FIREARMS, SIGNING_SECRET, SMUGGLING, Api, AppSetup
from tests.support.calendars import read_twice
from tests.support.mail import link_in

HOST = "reminders.example.org"
SMUGGLING_UID = f"{CCPCJ}.{SMUGGLING}@{HOST}"
FIREARMS_UID = f"{CCPCJ}.{FIREARMS}@{HOST}"
SMUGGLING_START = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)  # 09:10 CEST
SMUGGLING_END = datetime(2023, 5, 23, 8, 0, tzinfo=UTC)


def _feed_path(api: Api) -> tuple[str, str]:
    """Register Ana for the smuggling session; her feed path and her manage path."""
    body = {"email": "ana@example.org", "timezone": "Asia/Tokyo", "sessions": [SMUGGLING]}
    assert api.client.post(f"/api/v1/events/{CCPCJ}/registrations", json=body).status_code == 202
    (stored,) = api.run(api.store.list_registrations, CCPCJ)
    feed = f"/calendar/{make_token(SIGNING_SECRET, 'calendar', stored.id)}.ics"
    return feed, urlsplit(link_in(api.outbox_messages()[-1], "manage")).path


def _moved(setup: AppSetup, by: timedelta) -> None:
    """The organizer moves the smuggling session (a config reload, as the service does it)."""
    event = setup.events[CCPCJ]
    sessions = tuple(
        replace(s, start=s.start + by, end=s.end + by if s.end else None)
        if s.id == SMUGGLING
        else s
        for s in event.sessions
    )
    setup.events = {**setup.events, CCPCJ: replace(event, sessions=sessions)}


def _cancelled(setup: AppSetup, session_id: str) -> None:
    event: Event = setup.events[CCPCJ]
    sessions = tuple(
        replace(s, cancelled=True) if s.id == session_id else s for s in event.sessions
    )
    setup.events = {**setup.events, CCPCJ: replace(event, sessions=sessions)}


def test_a_sessions_ics_download_is_one_entry_in_utc(api: Api) -> None:
    """ "Add to calendar" must land at 09:10 CEST whatever zone the reader's calendar is in."""
    response = api.client.get(f"/events/{CCPCJ}/sessions/{SMUGGLING}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert f'filename="{SMUGGLING}.ics"' in response.headers["content-disposition"]
    (entry,) = read_twice(response.text).values()
    assert (entry.uid, entry.start, entry.end) == (SMUGGLING_UID, SMUGGLING_START, SMUGGLING_END)
    assert (entry.status, entry.sequence) == ("CONFIRMED", 0)


def test_an_unknown_session_or_event_has_no_ics(api: Api) -> None:
    """A typo in a link is a 404, not a calendar file with nothing in it."""
    assert api.client.get(f"/events/{CCPCJ}/sessions/nope.ics").status_code == 404
    assert api.client.get(f"/events/nope/sessions/{SMUGGLING}.ics").status_code == 404


def test_the_event_page_offers_ics_google_and_outlook_per_session(api: Api) -> None:
    """Each web calendar reads its own URL format; the times must be UTC and the text encoded."""
    page = api.client.get(f"/events/{CCPCJ}", params={"tz": "Asia/Tokyo"}).text
    section = page.split(f'id="session-{SMUGGLING}"', 1)[1].split("</li>", 1)[0]
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', section)]
    assert f"/events/{CCPCJ}/sessions/{SMUGGLING}.ics" in hrefs
    google = next(urlsplit(h) for h in hrefs if h.startswith("https://calendar.google.com/"))
    outlook = next(urlsplit(h) for h in hrefs if h.startswith("https://outlook.live.com/"))
    g, o = parse_qs(google.query), parse_qs(outlook.query)
    title = "The dynamics of human smuggling and trafficking on routes to the Central Mediterranean"
    assert g["action"] == ["TEMPLATE"]
    assert g["dates"] == ["20230523T071000Z/20230523T080000Z"]
    assert g["text"] == [title]
    assert (o["startdt"], o["enddt"]) == (["2023-05-23T07:10:00Z"], ["2023-05-23T08:00:00Z"])
    assert o["subject"] == [title]
    assert "Organized by Government of the Netherlands, GI-TOC" in g["details"][0]
    assert " " not in google.query  # encoded, not raw
    assert " " not in outlook.query


def test_the_event_page_shows_each_sessions_description_and_organizers(api: Api) -> None:
    """People choose sessions by what they are about and who runs them."""
    page = api.client.get(f"/events/{CCPCJ}", params={"tz": "UTC"}).text
    section = page.split(f'id="session-{SMUGGLING}"', 1)[1].split("</li>", 1)[0]
    assert "Organized by Government of the Netherlands, GI-TOC" in section
    assert "latest research of the GI-TOC" in section


def test_the_feed_lists_the_followed_session_and_nothing_else(api: Api) -> None:
    """A subscribed calendar shows what the participant follows, not the whole programme."""
    feed, _ = _feed_path(api)
    response = api.client.get(feed)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    (entry,) = read_twice(response.text).values()
    assert (entry.uid, entry.status, entry.start) == (SMUGGLING_UID, "CONFIRMED", SMUGGLING_START)


def test_the_feed_follows_sessions_changed_on_the_manage_page(api: Api) -> None:
    """Leave one session and join another: the feed cancels the first with a higher SEQUENCE."""
    feed, manage = _feed_path(api)
    before = read_twice(api.client.get(feed).text)
    form = {"timezone": "Asia/Tokyo", "language": "en", "attendance": "online"}
    saved = api.client.post(
        manage, data={**form, "sessions": [FIREARMS], "reminder_offsets_s": ["3600"]}
    )
    assert saved.status_code == 200
    after = read_twice(api.client.get(feed).text)
    assert set(after) == {SMUGGLING_UID, FIREARMS_UID}  # the same smuggling entry, updated
    assert after[SMUGGLING_UID].status == "CANCELLED"
    assert after[SMUGGLING_UID].sequence > before[SMUGGLING_UID].sequence
    assert after[FIREARMS_UID].status == "CONFIRMED"
    rejoined = {**form, "sessions": [SMUGGLING, FIREARMS], "reminder_offsets_s": ["3600"]}
    api.client.post(manage, data=rejoined)
    again = read_twice(api.client.get(feed).text)
    assert {uid: e.status for uid, e in again.items()} == {
        SMUGGLING_UID: "CONFIRMED",
        FIREARMS_UID: "CONFIRMED",
    }


def test_the_feed_follows_a_moved_session_with_a_higher_sequence(api: Api, setup: AppSetup) -> None:
    """Calendars update an entry in place only when SEQUENCE goes up; the move must show."""
    feed, _ = _feed_path(api)
    before = read_twice(api.client.get(feed).text)[SMUGGLING_UID]
    _moved(setup, timedelta(hours=1))
    after = read_twice(api.client.get(feed).text)[SMUGGLING_UID]
    assert after.start == SMUGGLING_START + timedelta(hours=1)
    assert (after.status, after.sequence) == ("CONFIRMED", before.sequence + 1)


def test_the_feed_marks_a_session_the_organizer_cancelled(api: Api, setup: AppSetup) -> None:
    """A cancelled session must disappear from the calendar, not stay as if it were on."""
    feed, _ = _feed_path(api)
    _cancelled(setup, SMUGGLING)
    entry = read_twice(api.client.get(feed).text)[SMUGGLING_UID]
    assert (entry.status, entry.sequence) == ("CANCELLED", 1)


def test_a_feed_link_that_is_not_ours_or_is_stale_is_a_bare_404(api: Api) -> None:
    """A feed URL reveals nothing: forged, another link's token and a removed one look alike."""
    feed, manage = _feed_path(api)
    manage_token = manage.rsplit("/", 1)[1]
    (stored,) = api.run(api.store.list_registrations, CCPCJ)
    answers = [
        api.client.get("/calendar/forged.ics"),
        api.client.get(f"/calendar/{manage_token}.ics"),  # a manage token opens no feed
    ]
    api.run(api.store.remove_registration, stored.id)
    answers.append(api.client.get(feed))
    assert {(r.status_code, r.text) for r in answers} == {(404, "Not Found\n")}
