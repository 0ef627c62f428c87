"""What participants receive, item 7 of #11: headers that mail programs read as we meant them.

Every check reads the bytes a real channel wrote (the outbox's ``.eml``, or the DATA an SMTP
server received) or the bytes aiosmtplib's own ``flatten_message`` makes, never a message
parsed back by the email package that wrote it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message

from notifier.channels import ReminderMessage, compose_email
from notifier.channels.confirm import compose_confirmation
from notifier.errors import PermanentDeliveryError
from notifier.events import Event
from notifier.records import Registration, ReminderRef, delivery_key
from notifier.signing import make_token
from tests.security.wire import (
    Wire,
    decode_words,
    header_block,
    header_lines,
    problems_in_header_block,
    unfolded_value,
)
from tests.support.api import CCPCJ, Api, AppSetup
from tests.support.mail import read_eml
from tests.support.reminders import CCPCJ_SESSION, PUBLIC_BASE_URL, SENDER

MakeMessage = Callable[..., ReminderMessage]
# a deployment under a path, as behind a shared reverse proxy: 150 characters with the token
LONG_BASE_URL = "https://side-events.reminders.example.org/vienna/ccpcj-32-gitoc"
REGISTRATION_ID = "7f3c2a9e41b84d0f9a6e2d51c8b7a403"  # the shape registrations get (uuid4 hex)
TOKEN = make_token("link-signing-test-secret", "unsubscribe", REGISTRATION_ID)
LONG_UNSUBSCRIBE_URL = f"{LONG_BASE_URL}/unsubscribe/{TOKEN}"
CCPCJ_NAME = "The Global Initiative at the 32nd CCPCJ"
KYOTO_NAME = "第14回国連犯罪防止刑事司法会議（京都コングレス） サイドイベント — GI-TOC"


def _serialisations(message: EmailMessage) -> Iterator[bytes]:
    """Every way a channel turns it into bytes: the outbox, and aiosmtplib with and without
    8BITMIME (``SmtpChannel`` hands the message to aiosmtplib's ``send_message``)."""
    yield message.as_bytes()
    yield flatten_message(message, utf8=False, cte_type="8bit")
    yield flatten_message(message, utf8=False, cte_type="7bit")


def _confirmation(event_name: str = CCPCJ_NAME, sender: str = SENDER) -> EmailMessage:
    registration = Registration(
        id=REGISTRATION_ID,
        event_id=CCPCJ,
        timezone="Asia/Tokyo",
        created_at=datetime(2023, 5, 1, tzinfo=UTC),
        email="participant@example.org",
        confirmed=False,
    )
    return compose_confirmation(
        registration=registration,
        event_name=event_name,
        session_titles=[CCPCJ_SESSION.title],
        confirm_url=LONG_UNSUBSCRIBE_URL.replace("/unsubscribe/", "/confirm/"),
        unsubscribe_url=LONG_UNSUBSCRIBE_URL,
        sender=sender,
        now_utc=datetime(2023, 5, 1, 12, tzinfo=UTC),
    )


def _assert_one_click_url(raw: bytes, url: str) -> None:
    """The URL whole, unencoded, inside <…>, on one physical line; folds only at spaces."""
    lines = header_lines(raw, "List-Unsubscribe")
    assert not any(b"=?" in line for line in lines), lines
    assert any(f"<{url}>".encode("ascii") in line for line in lines), lines
    assert all(line[:1] in (b" ", b"\t") for line in lines[1:])  # a fold is CRLF + space
    assert unfolded_value(raw, "List-Unsubscribe") == f"<{url}>".encode("ascii")


def test_the_long_unsubscribe_url_is_150_characters() -> None:
    """The tests below are about a realistic long link; keep it that long."""
    assert len(LONG_UNSUBSCRIBE_URL) == 150


async def test_a_reminder_carries_the_long_unsubscribe_url_whole_and_unencoded(
    wire: Wire, make_message: MakeMessage
) -> None:
    """Gmail and Yahoo find the one-click URL only in an unencoded List-Unsubscribe."""
    raw = await wire.reminder(replace(make_message(), unsubscribe_url=LONG_UNSUBSCRIBE_URL))
    _assert_one_click_url(raw, LONG_UNSUBSCRIBE_URL)
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in header_block(raw)


async def test_a_confirmation_carries_the_long_unsubscribe_url_whole_and_unencoded(
    wire: Wire,
) -> None:
    """The first mail a participant gets must be as easy to leave as the reminders."""
    raw = await wire.email(_confirmation())
    _assert_one_click_url(raw, LONG_UNSUBSCRIBE_URL)
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in header_block(raw)


@pytest.fixture
def long_base_setup(setup: AppSetup) -> AppSetup:
    """The API behind a long public base URL, so its links are about 150 characters."""
    setup.public_base_url = LONG_BASE_URL
    return setup


def test_the_confirmation_the_api_writes_to_the_outbox_has_a_whole_unsubscribe_url(
    long_base_setup: AppSetup, api: Api
) -> None:
    """The real registration path: POST, the outbox's .eml, its raw List-Unsubscribe line."""
    body = {"email": "ann@example.org", "timezone": "Asia/Tokyo"}
    response = api.client.post(f"/api/v1/events/{CCPCJ}/registrations", json=body)
    assert response.status_code == 202, response.text
    (path,) = sorted(long_base_setup.outbox.glob("*.eml"))
    raw = path.read_bytes()
    url = unfolded_value(raw, "List-Unsubscribe").decode("ascii")[1:-1]
    assert url.startswith(f"{LONG_BASE_URL}/unsubscribe/")
    assert len(url) >= 140
    _assert_one_click_url(raw, url)
    assert problems_in_header_block(raw) == []
    text = read_eml(path).get_body(("plain",))
    assert text is not None
    assert url in text.get_content()  # the link in the text is the same one


async def test_list_id_names_the_event_under_the_sender_domain(
    wire: Wire, make_message: MakeMessage
) -> None:
    """RFC 2919: mail programs file and filter a list's mail by List-Id."""
    for raw in (await wire.reminder(make_message()), await wire.email(_confirmation())):
        expected = f'"{CCPCJ_NAME}" <{CCPCJ}.notifier.example.org>'
        assert unfolded_value(raw, "List-Id") == expected.encode("ascii")


def _example_reminders(events: Mapping[str, Event]) -> Iterator[tuple[str, ReminderMessage]]:
    """Every session of the example events, at each of its reminder offsets, on time."""
    registration = Registration(
        id=REGISTRATION_ID,
        event_id="",
        timezone="America/New_York",
        created_at=datetime(2023, 1, 1, tzinfo=UTC),
        email="participant@example.org",
    )
    for event in events.values():
        for session in event.sessions:
            for offset in session.reminders:
                ref = ReminderRef(
                    event.id, session.id, session.start_utc, int(offset.total_seconds())
                )
                yield (
                    f"Reminder: {' '.join(session.title.split())}",
                    ReminderMessage(
                        delivery_key=delivery_key(ref, REGISTRATION_ID, "email"),
                        ref=ref,
                        event_id=event.id,
                        event_name=event.name,
                        session=session,
                        registration=registration,
                        offset=offset,
                        now_utc=session.start_utc - offset,
                        unsubscribe_url=LONG_UNSUBSCRIBE_URL,
                        sequence=0,
                    ),
                )


def test_no_example_reminder_has_a_broken_header(events: Mapping[str, Event]) -> None:
    """An empty encoded-word (=?utf-8?q??=) or glued words in a Subject look broken or spammy."""
    checked = 0
    for subject_start, message in _example_reminders(events):
        email_message = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
        for raw in _serialisations(email_message):
            assert problems_in_header_block(raw) == [], subject_start
            subject = decode_words(unfolded_value(raw, "Subject"))
            assert subject.startswith(f"{subject_start} — "), subject
            _assert_one_click_url(raw, LONG_UNSUBSCRIBE_URL)
            checked += 1
    assert checked > 300  # 40 sessions, their offsets, three writers


@pytest.mark.parametrize(
    ("event_name", "sender"),
    [
        pytest.param(KYOTO_NAME, SENDER, id="japanese-event-name"),
        pytest.param("Rappels — Commission pour la prévention du crime", SENDER, id="french"),
        pytest.param(
            CCPCJ_NAME, "Rappels — ONUDC Vienne <rappels@notifier.example.org>", id="from"
        ),
        pytest.param("Reminders =?utf-8?q?not_a_word?= for CCPCJ", SENDER, id="looks-encoded"),
    ],
)
def test_a_non_ascii_name_is_encoded_and_decodes_to_exactly_what_was_written(
    event_name: str, sender: str
) -> None:
    """Subject, List-Id and From must read back letter for letter, spaces included."""
    for raw in _serialisations(_confirmation(event_name, sender)):
        assert problems_in_header_block(raw) == []
        subject = decode_words(unfolded_value(raw, "Subject"))
        assert subject == f"Confirm your reminders for {event_name}"
        list_id = decode_words(unfolded_value(raw, "List-Id"))
        assert list_id in (
            f"{event_name} <{CCPCJ}.notifier.example.org>",  # encoded: no quotes needed
            f'"{event_name}" <{CCPCJ}.notifier.example.org>',
        )
        display = sender.partition(" <")[0]
        assert decode_words(unfolded_value(raw, "From")).strip('"').startswith(display)


def test_a_header_word_longer_than_998_characters_is_a_permanent_error(
    make_message: MakeMessage,
) -> None:
    """RFC 5322 forbids such lines; retrying cannot shorten the link, so say so once."""
    long_url = f"{PUBLIC_BASE_URL}/unsubscribe/{'A' * 1000}"
    message = replace(make_message(), unsubscribe_url=long_url)
    with pytest.raises(PermanentDeliveryError, match="List-Unsubscribe"):
        compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL).as_bytes()


def test_the_status_part_of_the_subject_keeps_its_spaces(make_message: MakeMessage) -> None:
    """ "— starts in 1 hour" must not turn into "—starts in 1 hour" in any mail program."""
    title = "CRIME IN THE ERA OF ARTIFICIAL INTELLIGENCE"  # a CrimeCOP12 title that broke
    now_utc = CCPCJ_SESSION.start_utc - timedelta(hours=1)
    message = make_message(title=title, now_utc=now_utc)
    for raw in _serialisations(
        compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
    ):
        assert (
            decode_words(unfolded_value(raw, "Subject")) == f"Reminder: {title} — starts in 1 hour"
        )
