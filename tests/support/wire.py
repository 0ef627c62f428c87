"""Participants whose reminders must go out byte for byte as before: the wire-bytes fixtures.

Different zones (one the venue's own), every attendance, several languages, non-ASCII and long
display names, an IDN domain, a deadline, a late send and sends seconds apart; two of each
variant, so a composer that reuses one variant's parts is checked on the second one too. The
``.eml`` files under ``tests/channels/data/wire`` were written by the composer before it
learned to reuse anything (``python -m tests.support.wire`` writes them again).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from aiosmtplib.email import flatten_message

from notifier.channels import ReminderMessage
from notifier.records import Attendance
from tests.support.reminders import CCPCJ_SESSION, reminder_message

WIRE_DIR = Path(__file__).parent.parent / "channels" / "data" / "wire"
_ON_TIME = datetime(2023, 5, 23, 6, 10, 0, 250_000, tzinfo=UTC)  # 1 h before 09:10 CEST


def _one(
    name: str,
    email: str,
    timezone: str,
    attendance: Attendance,
    language: str = "en",
    *,
    seconds_late: float = 0.0,
    **changes: object,
) -> tuple[str, ReminderMessage]:
    message = reminder_message(
        email=email,
        timezone=timezone,
        attendance=attendance,
        registration_id=f"reg-{name}",
        now_utc=_ON_TIME + timedelta(seconds=seconds_late),
        **changes,  # type: ignore[arg-type]
    )
    registration = replace(message.registration, language=language)
    return name, replace(message, registration=registration)


def wire_participants() -> list[tuple[str, ReminderMessage]]:
    """(name, message) pairs, in sending order; names are the ``.eml`` file stems."""
    deadline = replace(CCPCJ_SESSION, kind="deadline", end=None, room=None, venue=None)
    return [
        _one("tokyo-online-1", "Taro Yamada <taro@example.jp>", "Asia/Tokyo", "online", "ja"),
        _one(
            "tokyo-online-2",
            "山田 花子 <hanako@example.jp>",
            "Asia/Tokyo",
            "online",
            "ja",
            seconds_late=1.5,
        ),
        _one("vienna-onsite-1", "José Müller <jose@example.at>", "Europe/Vienna", "onsite", "de"),
        _one(
            "vienna-onsite-2", "plain@example.at", "Europe/Vienna", "onsite", "de", seconds_late=2
        ),
        _one(
            "ny-undecided-1",
            'Ana "Quoted" O\'Neil <ana@example.com>',
            "America/New_York",
            "undecided",
        ),
        _one(
            "ny-undecided-2",
            "Doctor Maximiliana Alexandrina von Hohenzollern-Sigmaringen de la Cruz"
            " <max@example.com>",
            "America/New_York",
            "undecided",
            seconds_late=3,
        ),
        _one("paris-fr-1", "Zoé Lefèvre <zoe@bücher.example>", "Europe/Paris", "online", "fr"),
        _one("paris-fr-2", "Зоя Иванова <zoya@example.fr>", "Europe/Paris", "online", "fr"),
        _one("utc-late-1", "late@example.org", "UTC", "onsite", seconds_late=300),
        _one("utc-late-2", "Late Two <late2@example.org>", "UTC", "onsite", seconds_late=301),
        _one("kolkata-ar-1", "علي <ali@example.org>", "Asia/Kolkata", "undecided", "ar"),
        _one("deadline-1", "dl@example.org", "Australia/Lord_Howe", "online", session=deadline),
    ]


def wire_bytes(message: EmailMessage) -> bytes:
    """What aiosmtplib sends for ``message`` to a server with 8BITMIME and ASCII addresses."""
    return flatten_message(message, utf8=False, cte_type="8bit")


def _write_all() -> None:
    from notifier.channels import compose_email
    from tests.support.reminders import PUBLIC_BASE_URL, SENDER

    WIRE_DIR.mkdir(parents=True, exist_ok=True)
    for name, message in wire_participants():
        composed = compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL)
        (WIRE_DIR / f"{name}.eml").write_bytes(wire_bytes(composed))


if __name__ == "__main__":
    _write_all()
    sys.exit(0)
