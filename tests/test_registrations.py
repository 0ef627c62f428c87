"""Turning what a participant or an organizer's CSV gives into a checked registration.

Uses the repository's real example event (``ccpcj-32-gitoc``), so the ids and zones are the
ones organizers see; a cancelled session comes from a small event file loaded the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from notifier.configfiles import load_config_files
from notifier.errors import RegistrationError, StoreError
from notifier.events import Event, load_event
from notifier.registrations import CsvRow, RegistrationInput, build_registration, read_csv

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
SMUGGLING = "human-smuggling-central-med"
FIREARMS = "firearms-trafficking-latin-america"

CANCELLED_EVENT = """\
id: small-event
name: Small event
zone: Europe/Vienna
year: 2023
sessions:
  - id: opening
    title: Opening
    when: "Tuesday 23 May 09:00-10:00 CEST"
  - id: dropped
    title: Dropped
    when: "Tuesday 23 May 11:00-12:00 CEST"
    cancelled: true
"""


@pytest.fixture(scope="module")
def ccpcj() -> Event:
    """The real example event, loaded as the service loads it."""
    config = load_config_files([ROOT / "config" / "events"], today=date(2023, 5, 1))
    assert config.ok, config.problems
    return {e.id: e for e in config.events}["ccpcj-32-gitoc"]


@pytest.fixture(scope="module")
def small_event() -> Event:
    loaded = load_event(CANCELLED_EVENT, "small-event.yaml", today=date(2023, 5, 1))
    assert loaded.event is not None, loaded.problems
    return loaded.event


def _refusal(event: Event, given: RegistrationInput) -> RegistrationError:
    with pytest.raises(RegistrationError) as caught:
        build_registration(event, given, NOW)
    return caught.value


# build_registration


def test_valid_registration_normalises_email_and_keeps_the_given_facts(ccpcj: Event) -> None:
    """Stored addresses must be in one form, or the same person registers twice."""
    given = RegistrationInput(
        email="  Ada@Example.ORG ",
        timezone="Asia/Tokyo",
        sessions=(SMUGGLING,),
        attendance="online",
    )
    registration = build_registration(ccpcj, given, NOW)
    assert registration.email == "Ada@example.org"
    assert registration.event_id == "ccpcj-32-gitoc"
    assert registration.timezone == "Asia/Tokyo"
    assert registration.sessions == (SMUGGLING,)
    assert registration.attendance == "online"
    assert registration.created_at == NOW
    assert registration.webhook_url is None
    assert registration.channels == ("email",)
    assert len(registration.id) == 32


def test_each_registration_gets_a_new_id(ccpcj: Event) -> None:
    """The store decides on merging; building must never reuse an id across people."""
    given = RegistrationInput(email="ada@example.org")
    assert build_registration(ccpcj, given, NOW).id != build_registration(ccpcj, given, NOW).id


def test_sessions_none_means_the_whole_event(ccpcj: Event) -> None:
    """Most participants want every session, including ones added to the event later."""
    for sessions in (None, ()):
        registration = build_registration(
            ccpcj, RegistrationInput(email="ada@example.org", sessions=sessions), NOW
        )
        assert registration.sessions is None
        assert all(registration.follows(s.id) for s in ccpcj.sessions)


def test_repeated_sessions_are_kept_once_in_the_given_order(ccpcj: Event) -> None:
    """A session listed twice must not lead to two reminders."""
    given = RegistrationInput(email="ada@example.org", sessions=(FIREARMS, SMUGGLING, FIREARMS))
    assert build_registration(ccpcj, given, NOW).sessions == (FIREARMS, SMUGGLING)


def test_webhook_only_registration_is_accepted(ccpcj: Event) -> None:
    """Teams follow events through a chat webhook without any email address."""
    given = RegistrationInput(webhook_url="https://hooks.example.org/notify")
    registration = build_registration(ccpcj, given, NOW)
    assert registration.email is None
    assert registration.webhook_url == "https://hooks.example.org/notify"
    assert registration.channels == ("webhook",)


def test_invalid_email_is_refused_naming_the_email_field(ccpcj: Event) -> None:
    """The form (or CSV line) must point at the field to correct."""
    error = _refusal(ccpcj, RegistrationInput(email="ada.example.org"))
    assert error.field == "email"
    assert "not a valid address" in error.message
    assert not isinstance(error, StoreError)  # bad input, not a store fault: 422, not 503
    assert isinstance(error, ValueError)


def test_unknown_zone_is_refused_with_a_suggestion(ccpcj: Event) -> None:
    """A misspelt zone would time every reminder wrong; the fix must be one glance away."""
    error = _refusal(ccpcj, RegistrationInput(email="ada@example.org", timezone="Asia/Tokio"))
    assert error.field == "timezone"
    assert "Asia/Tokio" in error.message
    assert "did you mean Asia/Tokyo" in error.message


def test_abbreviation_is_not_accepted_as_a_zone(ccpcj: Event) -> None:
    """CEST is a season, not a zone: reminders after the switch to CET would be an hour off."""
    error = _refusal(ccpcj, RegistrationInput(email="ada@example.org", timezone="CEST"))
    assert error.field == "timezone"


def test_unknown_session_is_refused_with_did_you_mean(ccpcj: Event) -> None:
    """A typo in a session id must not silently register for nothing."""
    given = RegistrationInput(email="ada@example.org", sessions=("human-smugling-central-med",))
    error = _refusal(ccpcj, given)
    assert error.field == "sessions"
    assert 'no session "human-smugling-central-med" in ccpcj-32-gitoc' in error.message
    assert f'did you mean "{SMUGGLING}"?' in error.message


def test_cancelled_session_is_refused(small_event: Event) -> None:
    """Nobody should sign up for a session that will never be announced."""
    given = RegistrationInput(email="ada@example.org", sessions=("opening", "dropped"))
    error = _refusal(small_event, given)
    assert error.field == "sessions"
    assert 'session "dropped" is cancelled' in error.message
    ok = build_registration(small_event, RegistrationInput(email="a@example.org"), NOW)
    assert ok.sessions is None


def test_registration_without_email_or_webhook_is_refused(ccpcj: Event) -> None:
    """A registration nobody can be reminded through is useless."""
    for given in (RegistrationInput(), RegistrationInput(email="", webhook_url="")):
        error = _refusal(ccpcj, given)
        assert error.field == "email"
        assert "email address or a webhook URL" in error.message


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.example.org/notify", "hooks.example.org/notify", "https:///no-host"],
    ids=["ftp-scheme", "no-scheme", "no-host"],
)
def test_webhook_that_is_not_http_with_a_host_is_refused(ccpcj: Event, url: str) -> None:
    """The delivery worker can only POST to http(s) URLs with a host."""
    error = _refusal(ccpcj, RegistrationInput(webhook_url=url))
    assert error.field == "webhook_url"


def test_unknown_attendance_is_refused(ccpcj: Event) -> None:
    """Attendance decides which reminder text is sent; unknown values have none."""
    error = _refusal(ccpcj, RegistrationInput(email="ada@example.org", attendance="maybe"))
    assert error.field == "attendance"


# read_csv


def test_csv_without_required_columns_is_one_error_on_row_1() -> None:
    """A wrong header must be reported once, not as an error on every data row."""
    rows = list(read_csv("mail,zone\nada@example.org,Asia/Tokyo\n"))
    assert len(rows) == 1
    assert rows[0].row == 1
    assert rows[0].given is None
    assert rows[0].problem is not None
    assert "email,timezone,sessions" in rows[0].problem
    assert "'email'" in rows[0].problem
    assert "'timezone'" in rows[0].problem


def test_csv_rows_are_numbered_from_2_after_the_header() -> None:
    """Row numbers must match what the organizer sees in the spreadsheet (header is row 1)."""
    text = "email,timezone,sessions\na@example.org,UTC,\nb@example.org,UTC,\nc@example.org,UTC,\n"
    assert [(r.row, r.given.email if r.given else None) for r in read_csv(text)] == [
        (2, "a@example.org"),
        (3, "b@example.org"),
        (4, "c@example.org"),
    ]


def test_csv_sessions_split_on_spaces_and_semicolons() -> None:
    """Spreadsheets export lists both ways; either must give the same session ids."""
    text = (
        "email,timezone,sessions\n"
        f"a@example.org,Asia/Tokyo,{SMUGGLING} {FIREARMS}\n"
        f"b@example.org,Asia/Tokyo,{SMUGGLING};{FIREARMS}\n"
        f'c@example.org,Asia/Tokyo," {SMUGGLING} ;  {FIREARMS}; "\n'
    )
    for row in read_csv(text):
        assert row.given is not None
        assert row.given.sessions == (SMUGGLING, FIREARMS), row


def test_csv_empty_sessions_mean_the_whole_event() -> None:
    """An empty cell (or a missing column) means every session, not none."""
    with_column = "email,timezone,sessions\na@example.org,UTC,\nb@example.org,UTC, ; \n"
    without_column = "email,timezone\nc@example.org,UTC\n"
    rows = [*read_csv(with_column), *read_csv(without_column)]
    assert [r.given.sessions if r.given else "missing" for r in rows] == [None, None, None]


def test_csv_values_are_trimmed_and_empty_zone_is_utc() -> None:
    """Cells often carry stray spaces; an empty zone must not be an error on its own."""
    (row,) = read_csv("email,timezone,sessions,attendance\n  a@example.org , ,,online\n")
    assert row == CsvRow(
        2,
        RegistrationInput(
            email="a@example.org", timezone="UTC", sessions=None, attendance="online"
        ),
    )


def test_csv_rows_feed_build_registration(ccpcj: Event) -> None:
    """An import must apply exactly the checks a single registration gets."""
    text = f"email,timezone,sessions\nAda@Example.org,Asia/Tokyo,{SMUGGLING}\nnot-an-email,UTC,\n"
    good, bad = read_csv(text)
    assert good.given is not None
    assert bad.given is not None
    assert build_registration(ccpcj, good.given, NOW).email == "Ada@example.org"
    assert _refusal(ccpcj, bad.given).field == "email"


def test_csv_row_numbers_match_file_lines_when_blank_lines_are_skipped() -> None:
    """An error must point at the line the organizer has to fix, blank lines or not."""
    text = "email,timezone\n\na@example.org,UTC\n\nc@example.org,UTC\n"
    assert [r.row for r in read_csv(text)] == [3, 5]
