"""What participants receive, item 8 of #11: every time sent is the session's exact instant.

The ``.ics`` each channel really sends is read by two libraries that share no code with the
icalendar package that writes it: vobject (zones from the file's VTIMEZONE) and ics (zones
from the TZID's IANA name, through dateutil). Both must land on the instant ``zoneinfo`` gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifier.channels import ReminderMessage, compose_email
from notifier.channels.webhook import build_payload
from notifier.records import ReminderRef
from tests.security.wire import (
    Wire,
    calendar_text,
    plain_text,
    read_with_ics,
    read_with_vobject,
)
from tests.support.reminders import CCPCJ_SESSION, PUBLIC_BASE_URL, SENDER

MakeMessage = Callable[..., ReminderMessage]


@dataclass(frozen=True)
class Case:
    zone: str
    start_utc: datetime
    end_utc: datetime | None
    start_form: str  # "utc" or "tzid": how DTSTART must be written
    end_form: str | None = None
    kind: str = "session"


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


CASES = [
    # New York falls back on 3 Nov 2024: 01:00-01:59 happens at -04:00 (EDT), then at -05:00
    pytest.param(
        Case("America/New_York", _utc(2024, 11, 3, 6, 30), _utc(2024, 11, 3, 7, 15), "utc", "tzid"),
        id="new-york-fall-back-0130-EST",
    ),
    pytest.param(
        Case("America/New_York", _utc(2024, 11, 3, 5, 30), _utc(2024, 11, 3, 6, 15), "utc", "utc"),
        id="new-york-fall-back-0130-EDT",
    ),
    pytest.param(
        Case("America/New_York", _utc(2024, 11, 3, 4, 30), _utc(2024, 11, 3, 5, 15), "tzid", "utc"),
        id="new-york-ends-in-the-fold",
    ),
    # spring forward on 10 Mar 2024: 02:00-02:59 does not exist; 01:30 EST and 03:00 EDT do once
    pytest.param(
        Case(
            "America/New_York", _utc(2024, 3, 10, 6, 30), _utc(2024, 3, 10, 7, 15), "tzid", "tzid"
        ),
        id="new-york-spring-forward-0130-EST-across-the-gap",
    ),
    pytest.param(
        Case("America/New_York", _utc(2024, 3, 10, 7, 0), _utc(2024, 3, 10, 8, 0), "tzid", "tzid"),
        id="new-york-spring-forward-0300-EDT",
    ),
    # Vienna falls back on 27 Oct 2024: 02:00-02:59 happens in CEST (+02:00), then in CET
    pytest.param(
        Case("Europe/Vienna", _utc(2024, 10, 27, 0, 30), _utc(2024, 10, 27, 1, 15), "utc", "utc"),
        id="vienna-autumn-0230-CEST",
    ),
    pytest.param(
        Case("Europe/Vienna", _utc(2024, 10, 27, 1, 30), _utc(2024, 10, 27, 2, 15), "utc", "tzid"),
        id="vienna-autumn-0230-CET",
    ),
    pytest.param(
        Case("Europe/Vienna", _utc(2024, 3, 31, 0, 30), _utc(2024, 3, 31, 1, 30), "tzid", "tzid"),
        id="vienna-spring-0130-CET-across-the-gap",
    ),
    # Sydney falls back on 7 Apr 2024 (southern autumn): 02:00-02:59 AEDT, then AEST
    pytest.param(
        Case("Australia/Sydney", _utc(2024, 4, 6, 15, 30), _utc(2024, 4, 6, 16, 15), "utc", "utc"),
        id="sydney-autumn-0230-AEDT",
    ),
    # the times every example event has: once-only wall times keep the venue's TZID
    pytest.param(
        Case("Europe/Vienna", CCPCJ_SESSION.start_utc, CCPCJ_SESSION.end_utc, "tzid", "tzid"),
        id="ccpcj-vienna-summer-unambiguous",
    ),
    pytest.param(
        Case("Asia/Tokyo", _utc(2021, 3, 11, 0, 0), _utc(2021, 3, 11, 1, 30), "tzid", "tzid"),
        id="kyoto-no-dst",
    ),
    pytest.param(
        Case("America/New_York", _utc(2025, 3, 2, 4, 59), None, "tzid", None, "deadline"),
        id="nmun-deadline-1159-pm-ET",
    ),
]


def _message(make_message: MakeMessage, case: Case) -> ReminderMessage:
    tz = ZoneInfo(case.zone)
    session = replace(
        CCPCJ_SESSION,
        zone=case.zone,
        start=case.start_utc.astimezone(tz),
        end=case.end_utc.astimezone(tz) if case.end_utc else None,
        kind=case.kind,
    )
    return make_message(session=session, timezone="Asia/Tokyo")


def _property_line(text: str, name: str) -> str:
    """The event's own line (the VTIMEZONE has DTSTARTs of its own)."""
    event = text[text.index("BEGIN:VEVENT") : text.index("END:VEVENT")]
    found = re.findall(rf"^{name}[;:].*$", event, re.MULTILINE)
    assert len(found) == 1, (name, found)
    return str(found[0]).rstrip("\r")


def _assert_written(line: str, moment: datetime, form: str, zone: str) -> None:
    """``DTSTART:20241103T063000Z``, or ``DTSTART;TZID=<zone>:<venue wall time>``."""
    name = line.split(";")[0].split(":")[0]
    if form == "utc":
        assert line == f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%S}Z"
    else:
        assert line == f"{name};TZID={zone}:{moment.astimezone(ZoneInfo(zone)):%Y%m%dT%H%M%S}"


@pytest.mark.parametrize("case", CASES)
async def test_both_calendar_libraries_read_the_exact_instant(
    wire: Wire, make_message: MakeMessage, case: Case
) -> None:
    """A calendar that shows 01:30 EST as 01:30 EDT sends people to a session an hour early."""
    text = calendar_text(await wire.reminder(_message(make_message, case)))
    tz = ZoneInfo(case.zone)
    for reading in (read_with_vobject(text), read_with_ics(text)):
        assert reading.start == case.start_utc
        # the same wall time and the same offset in the venue's zone, by zoneinfo
        local = reading.start.astimezone(tz)
        assert local.utcoffset() == case.start_utc.astimezone(tz).utcoffset()
        if case.end_utc is not None:
            assert reading.end == case.end_utc
    _assert_written(_property_line(text, "DTSTART"), case.start_utc, case.start_form, case.zone)
    if case.end_utc is None:
        assert "\nDTEND" not in text
    else:
        assert case.end_form is not None
        _assert_written(_property_line(text, "DTEND"), case.end_utc, case.end_form, case.zone)


@pytest.mark.parametrize("case", CASES)
def test_the_webhook_payload_carries_the_exact_instant(
    make_message: MakeMessage, case: Case
) -> None:
    """Receivers build their own calendars from these fields: offsets included, no guessing."""
    session = build_payload(_message(make_message, case))["session"]
    assert isinstance(session, dict)
    tz = ZoneInfo(case.zone)
    assert session["start_utc"] == f"{case.start_utc:%Y-%m-%dT%H:%M:%S}Z"
    for field in ("start_local", "venue_start"):
        moment = datetime.fromisoformat(session[field])
        assert moment == case.start_utc
    venue = datetime.fromisoformat(session["venue_start"])
    assert venue.utcoffset() == case.start_utc.astimezone(tz).utcoffset()


LATENESS_CASES = [
    # (zone, session start in UTC, offset, sent this long after the exact planned instant, late?)
    pytest.param(
        "Europe/Vienna",
        _utc(2024, 10, 27, 9, 0),
        timedelta(days=1),
        timedelta(0),
        False,
        id="vienna-autumn-1d-on-time",
    ),
    pytest.param(
        "America/New_York",
        _utc(2024, 11, 3, 15, 0),
        timedelta(days=1),
        timedelta(0),
        False,
        id="new-york-autumn-1d-on-time",
    ),
    pytest.param(
        "Europe/Vienna",
        _utc(2024, 11, 1, 9, 0),
        timedelta(weeks=1),
        timedelta(0),
        False,
        id="vienna-autumn-1w-on-time",
    ),
    pytest.param(
        "Europe/Vienna",
        _utc(2024, 3, 31, 8, 0),
        timedelta(days=1),
        timedelta(minutes=30),
        True,
        id="vienna-spring-1d-30-minutes-late",
    ),
    pytest.param(
        "America/New_York",
        _utc(2024, 3, 10, 14, 0),
        timedelta(days=1),
        timedelta(minutes=30),
        True,
        id="new-york-spring-1d-30-minutes-late",
    ),
    pytest.param(
        "Europe/Vienna",
        _utc(2024, 10, 27, 9, 0),
        timedelta(hours=1),
        timedelta(0),
        False,
        id="vienna-autumn-1h-on-time",
    ),
]


@pytest.mark.parametrize(("zone", "start_utc", "offset", "after", "late"), LATENESS_CASES)
def test_lateness_is_counted_in_exact_time_across_a_clock_change(
    make_message: MakeMessage,
    zone: str,
    start_utc: datetime,
    offset: timedelta,
    after: timedelta,
    late: bool,
) -> None:
    """'This reminder is late' on a punctual mail is false, and its absence on a late one too."""
    session = replace(
        CCPCJ_SESSION, zone=zone, start=start_utc.astimezone(ZoneInfo(zone)), end=None
    )
    now_utc = start_utc - offset + after
    message = make_message(session=session, offset=offset, now_utc=now_utc)
    raw = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL).as_bytes()
    assert ("This reminder is late" in plain_text(raw)) is late


def test_a_reminder_ref_keeps_its_start_in_utc_so_offsets_subtract_exactly() -> None:
    """The fan-out subtracts offsets from ``ref.start_utc``; a venue-zone start would shift by
    an hour across a clock change (wall-clock arithmetic), skipping or misdating reminders."""
    vienna_start = datetime(2024, 10, 27, 10, 0, tzinfo=ZoneInfo("Europe/Vienna"))
    ref = ReminderRef("ccpcj", "side-1", vienna_start, 86400)
    assert ref.start_utc.utcoffset() == timedelta(0)
    assert ref.start_utc - timedelta(days=1) == datetime(2024, 10, 26, 9, 0, tzinfo=UTC)
