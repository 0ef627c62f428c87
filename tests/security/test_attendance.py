"""What participants receive, item 9 of #11: online-only people are not sent to a room.

The calendar's LOCATION is where this participant goes, and the pages promise each way of
attending only what its reminders will carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from notifier.channels import ReminderMessage
from tests.security.wire import Wire, calendar_text, read_with_ics, read_with_vobject
from tests.support.api import CCPCJ, Api
from tests.support.mail import link_in
from tests.support.reminders import CCPCJ_SESSION

MakeMessage = Callable[..., ReminderMessage]
JOIN = CCPCJ_SESSION.join_url
PLACE = "Board Room B, Vienna International Centre"
NO_PLACE = {"room": None, "venue": None}


@pytest.mark.parametrize(
    ("attendance", "session_changes", "location"),
    [
        pytest.param("online", {}, JOIN, id="online-hybrid-session-gets-the-join-link"),
        pytest.param("onsite", {}, PLACE, id="onsite-gets-the-room"),
        pytest.param("undecided", {}, PLACE, id="undecided-gets-the-room-and-the-url"),
        pytest.param("online", {"join_url": None}, PLACE, id="online-without-link-gets-the-room"),
        pytest.param("onsite", NO_PLACE, JOIN, id="onsite-without-room-gets-the-link"),
        pytest.param("online", {**NO_PLACE, "join_url": None}, None, id="nothing-published"),
    ],
)
async def test_the_calendar_location_is_where_this_participant_goes(
    wire: Wire,
    make_message: MakeMessage,
    attendance: str,
    session_changes: dict[str, Any],
    location: str | None,
) -> None:
    """A calendar that shows 'Board Room B' to someone joining from Tokyo misleads them."""
    message = make_message(attendance=attendance, **session_changes)
    text = calendar_text(await wire.reminder(message))
    for reading in (read_with_vobject(text), read_with_ics(text)):
        assert reading.location == location
        assert reading.url == message.session.join_url  # the link is always one click away
    if attendance == "online" and message.session.join_url:
        assert "Board Room B" not in text


def _paragraph_after(html: str, heading: str) -> str:
    """The text of the first <p> after ``<h2>heading</h2>``, tags and extra spaces removed."""
    found = re.search(rf"<h2>{heading}</h2>\s*<p>(.*?)</p>", html, re.DOTALL)
    assert found is not None, html
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


PROMISES = [
    pytest.param("online", "the join link", ("room",), id="online"),
    pytest.param("onsite", "the room", ("join link",), id="onsite"),
    pytest.param("undecided", "the join link, the room", (), id="undecided"),
]


def _register(api: Api, attendance: str) -> str:
    """Register through the page's form; returns the registered page's HTML."""
    form = {"email": "ann@example.org", "timezone": "Asia/Tokyo", "attendance": attendance}
    response = api.client.post(f"/events/{CCPCJ}/register", data=form)
    assert response.status_code == 200, response.text
    return str(response.text)


@pytest.mark.parametrize(("attendance", "promise", "never"), PROMISES)
def test_the_confirmed_page_promises_what_this_participant_will_get(
    api: Api, attendance: str, promise: str, never: tuple[str, ...]
) -> None:
    """Promising 'the room' to someone who attends online says they registered wrongly."""
    _register(api, attendance)
    confirm_path = urlsplit(link_in(api.outbox_messages()[0], "confirm")).path
    page = api.client.post(confirm_path)
    assert page.status_code == 200
    paragraph = _paragraph_after(page.text, "What happens next")
    assert f"Each reminder carries {promise} and a calendar file." in paragraph
    for word in never:
        assert word not in page.text
