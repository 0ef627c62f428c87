"""What a reminder email says and carries: both zones, the way in, safe headers, a calendar file."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import icalendar
import pytest

from notifier.channels import ReminderMessage, compose_email
from notifier.errors import PermanentDeliveryError
from tests.support.reminders import CCPCJ_SESSION, PUBLIC_BASE_URL, SENDER

MakeMessage = Callable[..., ReminderMessage]


def _compose(message: ReminderMessage) -> EmailMessage:
    return compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)


def _parsed(message: ReminderMessage) -> EmailMessage:
    """The message as a receiver sees it: flattened to bytes and parsed back."""
    parsed = email.message_from_bytes(_compose(message).as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _part(parsed: EmailMessage, content_type: str) -> str:
    for part in parsed.walk():
        if part.get_content_type() == content_type and isinstance(part, EmailMessage):
            content = part.get_content()
            return content.decode() if isinstance(content, bytes) else str(content)
    raise AssertionError(f"no {content_type} part")


def _event(parsed: EmailMessage) -> tuple[icalendar.Calendar, icalendar.Component]:
    calendar = icalendar.Calendar.from_ical(_part(parsed, "text/calendar"))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_both_zones_show_local_time_with_abbreviation_and_offset(make_message: MakeMessage) -> None:
    """A Tokyo participant must not convert 09:10 CEST in their head."""
    text = _part(_parsed(make_message(timezone="Asia/Tokyo")), "text/plain")
    # CLDR's English: thin spaces around the dash, a narrow no-break space before PM
    assert "Tuesday, May 23, 2023, 4:10\u2009–\u20095:00\u202fPM JST (UTC+09:00)" in text
    assert "Tuesday, May 23, 2023, 9:10\u2009–\u200910:00\u202fAM CEST (UTC+02:00)" in text
    assert "Asia/Tokyo" in text
    assert "Europe/Vienna" in text


def test_the_same_zone_is_shown_once(make_message: MakeMessage) -> None:
    """Two identical lines would make the reader look for a difference that is not there."""
    text = _part(_parsed(make_message(timezone="Europe/Vienna")), "text/plain")
    assert text.count("Tuesday, May 23, 2023, 9:10\u2009–\u200910:00\u202fAM CEST (UTC+02:00)") == 1
    assert "yours and the venue's" in text


def test_subject_says_how_long_until_the_start(make_message: MakeMessage) -> None:
    """The subject is all many people read; it must carry title and time left."""
    parsed = _parsed(make_message(offset=timedelta(hours=1)))
    assert parsed["Subject"] == f"Reminder: {CCPCJ_SESSION.title} — starts in 1 hour"


@pytest.mark.parametrize(
    ("before_start", "phrase"),
    [
        pytest.param(timedelta(days=1), "starts in 1 day", id="one-day"),
        pytest.param(timedelta(hours=1, minutes=30), "starts in 1 hour 30 minutes", id="ninety"),
        pytest.param(timedelta(minutes=9), "starts in 9 minutes", id="nine-minutes"),
        pytest.param(timedelta(seconds=20), "starts in less than a minute", id="seconds"),
        pytest.param(timedelta(minutes=-5), "started 5 minutes ago", id="already-started"),
    ],
)
def test_time_left_is_counted_from_now(
    make_message: MakeMessage, before_start: timedelta, phrase: str
) -> None:
    """'Starts in' must be true when composed, not when planned."""
    now_utc = CCPCJ_SESSION.start.astimezone(UTC) - before_start
    offset = before_start if before_start > timedelta(0) else timedelta(minutes=10)
    assert phrase in _parsed(make_message(now_utc=now_utc, offset=offset))["Subject"]


def test_a_late_reminder_says_how_soon_it_really_starts(make_message: MakeMessage) -> None:
    """A 1-hour reminder sent 9 minutes before must not pretend there is an hour left."""
    now_utc = CCPCJ_SESSION.start.astimezone(UTC) - timedelta(minutes=9)
    parsed = _parsed(make_message(offset=timedelta(hours=1), now_utc=now_utc))
    text = _part(parsed, "text/plain")
    assert "starts in 9 minutes" in parsed["Subject"]
    assert "Starts in 9 minutes." in text
    assert "This reminder is late: it was planned for 1 hour before the session." in text
    assert "1 hour" not in parsed["Subject"]


def test_an_on_time_reminder_has_no_late_note(make_message: MakeMessage) -> None:
    """A note about lateness on a punctual mail would be noise."""
    start = CCPCJ_SESSION.start.astimezone(UTC)
    message = make_message(
        offset=timedelta(hours=1), now_utc=start - timedelta(minutes=59, seconds=30)
    )
    assert "late" not in _part(_parsed(message), "text/plain")


def test_online_participants_get_the_join_link_and_not_the_room(make_message: MakeMessage) -> None:
    """Online people need the link; a room number is only clutter for them."""
    text = _part(_parsed(make_message(attendance="online")), "text/plain")
    assert f"Join online: {CCPCJ_SESSION.join_url}" in text
    assert "Board Room B" not in text


def test_onsite_participants_get_room_venue_and_venue_time(make_message: MakeMessage) -> None:
    """People in the building need where and when in local time, not a video link."""
    text = _part(_parsed(make_message(attendance="onsite")), "text/plain")
    assert "On site: Board Room B, Vienna International Centre" in text
    assert "Tuesday, May 23, 2023, 9:10\u2009–\u200910:00\u202fAM CEST (UTC+02:00)" in text
    assert "Join online" not in text


def test_undecided_participants_get_both_ways_in(make_message: MakeMessage) -> None:
    """Someone who has not chosen yet needs both the link and the room."""
    text = _part(_parsed(make_message(attendance="undecided")), "text/plain")
    assert "Join online:" in text
    assert "On site: Board Room B" in text


def test_an_onsite_participant_still_gets_the_link_when_there_is_no_room(
    make_message: MakeMessage,
) -> None:
    """An online-only session must not leave on-site registrants with no way in."""
    message = make_message(attendance="onsite", room=None, venue=None)
    assert "Join online:" in _part(_parsed(message), "text/plain")


def test_a_deadline_is_due_rather_than_starting(make_message: MakeMessage) -> None:
    """'Starts in' is wrong for a submission deadline; people read it as an event."""
    nothing_to_attend = {"end": None, "room": None, "venue": None, "join_url": None}
    parsed = _parsed(make_message(kind="deadline", offset=timedelta(days=1), **nothing_to_attend))
    text = _part(parsed, "text/plain")
    assert parsed["Subject"].endswith("— due in 1 day")
    assert "starts" not in text
    assert "room or a join link" not in text  # nobody attends a deadline


def test_html_escapes_what_organizers_wrote(make_message: MakeMessage) -> None:
    """A title from a config file must not run script in a mail client."""
    html = _part(_parsed(make_message(title="Side event <script>alert(1)</script>")), "text/html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_title_with_crlf_cannot_add_a_header(make_message: MakeMessage) -> None:
    """Header injection would let a config edit Bcc every reminder to a stranger."""
    parsed = _parsed(make_message(title="Side event\r\nBcc: evil@example.com"))
    assert parsed["Bcc"] is None
    assert "evil@example.com" not in parsed["To"]
    assert parsed["Subject"].startswith("Reminder: Side event Bcc: evil@example.com — ")


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("victim@example.org\r\nBcc: evil@example.com", id="crlf"),
        pytest.param("victim@example.org\nX-Evil: 1", id="lf"),
        pytest.param("not-an-address", id="no-domain"),
        pytest.param("a@b.org, c@d.org", id="two-addresses"),
        pytest.param("a@", id="empty-domain"),
        pytest.param("", id="empty"),
    ],
)
def test_a_bad_recipient_address_is_a_permanent_error(
    make_message: MakeMessage, address: str
) -> None:
    """Retrying a malformed address cannot help, and it must never reach a header."""
    with pytest.raises(PermanentDeliveryError):
        _compose(make_message(email=address))


def test_a_registration_without_email_is_a_permanent_error(make_message: MakeMessage) -> None:
    """A webhook-only registration routed to email is a bug to record, not to retry."""
    with pytest.raises(PermanentDeliveryError, match="registration's email"):
        _compose(make_message(email=None))


def test_message_id_is_stable_per_delivery_key(make_message: MakeMessage) -> None:
    """A job that runs twice sends the same Message-ID, so receivers can drop the copy."""
    first = _compose(make_message(registration_id="reg-1"))
    again = _compose(
        make_message(registration_id="reg-1", now_utc=datetime(2023, 5, 23, tzinfo=UTC))
    )
    other = _compose(make_message(registration_id="reg-2"))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@notifier.example.org>")


def test_composing_twice_gives_the_same_bytes(make_message: MakeMessage) -> None:
    """Pure: the outbox and SMTP must carry identical messages for the same input."""
    message = make_message()
    assert _compose(message).as_bytes() == _compose(message).as_bytes()


def test_list_and_auto_headers_allow_one_click_unsubscribe(make_message: MakeMessage) -> None:
    """Gmail and Yahoo require RFC 8058 one-click unsubscribe from bulk senders."""
    parsed = _parsed(make_message(registration_id="reg-7"))
    assert parsed["List-Unsubscribe"] == f"<{PUBLIC_BASE_URL}/unsubscribe/tok-reg-7>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["From"] == SENDER
    assert parsed["To"] == "participant@example.org"


def test_calendar_file_holds_the_same_instant_in_the_venue_zone(make_message: MakeMessage) -> None:
    """A calendar that shows the wrong hour is worse than none."""
    parsed = _parsed(make_message(sequence=3))
    calendar, event = _event(parsed)
    assert calendar["METHOD"] == "PUBLISH"
    assert event.decoded("DTSTART") == CCPCJ_SESSION.start
    assert event.decoded("DTEND") == CCPCJ_SESSION.end
    assert event["DTSTART"].params["TZID"] == "Europe/Vienna"
    assert event["SEQUENCE"] == 3
    assert event["URL"] == CCPCJ_SESSION.join_url
    assert event["LOCATION"] == "Board Room B, Vienna International Centre"


def test_calendar_vtimezone_gives_the_venue_offset(make_message: MakeMessage) -> None:
    """Outlook reads the VTIMEZONE, not the IANA name: it must say +02:00 on that day."""
    calendar, _ = _event(_parsed(make_message()))
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert isinstance(vtimezone, icalendar.Timezone)
    assert vtimezone["TZID"] == "Europe/Vienna"
    wall = CCPCJ_SESSION.start.replace(tzinfo=vtimezone.to_tz())
    assert wall.utcoffset() == timedelta(hours=2)


def test_calendar_uid_is_stable_per_session(make_message: MakeMessage) -> None:
    """Calendars update the entry with the same UID instead of adding a duplicate."""
    _, first = _event(_parsed(make_message(registration_id="reg-1", sequence=0)))
    _, moved = _event(_parsed(make_message(registration_id="reg-2", sequence=1)))
    assert (
        first["UID"] == moved["UID"] == f"ccpcj-32-gitoc.{CCPCJ_SESSION.id}@reminders.example.org"
    )


def test_calendar_deadline_has_a_start_only(make_message: MakeMessage) -> None:
    """A deadline is a moment; a made-up end would block an hour in people's calendars."""
    _, event = _event(_parsed(make_message(kind="deadline", end=None)))
    assert event.decoded("DTSTART") == CCPCJ_SESSION.start
    assert "DTEND" not in event
