"""What languages cost: Babel's formats and a whole reminder per language.

Run: .venv/bin/python benchmarks/bench_i18n.py [--rounds N]
Prints, per language: the first use of its catalog (the .po compiled into memory, once per
process), session times formatted per second by notifier.i18n.format_range beside the
ceiling of the strftime formatter reminders used before (notifier.times.format_range, which
knows no locale), and reminders composed per second (compose_email: text, HTML, headers and
the calendar file, whose VTIMEZONE from icalendar dominates it, as it did before languages).
Figures only: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from notifier import i18n
from notifier.channels.base import ReminderMessage
from notifier.channels.compose import compose_email
from notifier.events import Session
from notifier.records import LANGUAGES, Language, Registration, ReminderRef
from notifier.times import format_range

START = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
END = START + timedelta(hours=1, minutes=30)
TOKYO = ZoneInfo("Asia/Tokyo")
IDENTITY = {
    "sender": "Reminders <r@example.org>",
    "public_base_url": "https://reminders.example.org",
}


def _rate(call: Callable[[], object], rounds: int) -> float:
    began = time.perf_counter()
    for _ in range(rounds):
        call()
    return rounds / (time.perf_counter() - began)


def _message(language: Language) -> ReminderMessage:
    vienna = ZoneInfo("Europe/Vienna")
    session = Session(
        id="opening",
        title="Opening of the congress",
        when="2026-12-02 07:30",
        start=START.astimezone(vienna),
        end=END.astimezone(vienna),
        zone="Europe/Vienna",
        reminders=(timedelta(hours=1),),
        channels=("email",),
        join_url="https://events.example.org/opening",
        room="Room A",
    )
    registration = Registration(
        id="r1",
        event_id="bench",
        timezone="Asia/Tokyo",
        created_at=START,
        email="reader@example.org",
        language=language,
    )
    return ReminderMessage(
        delivery_key="bench/opening/1",
        ref=ReminderRef("bench", "opening", START, 3600),
        event_id="bench",
        event_name="Congress side events",
        session=session,
        registration=registration,
        offset=timedelta(hours=1),
        now_utc=START - timedelta(hours=1),
        unsubscribe_url="https://reminders.example.org/unsubscribe/t",
        sequence=0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    rounds = parser.parse_args().rounds
    ceiling = _rate(lambda: format_range(START, END, TOKYO), rounds * 5)
    print(f"ceiling: strftime format_range (no locale) {ceiling:10,.0f} /s")
    print("lang  catalog first use   format_range /s   compose_email /s")
    for language in LANGUAGES:
        began = time.perf_counter()
        i18n.translations(language)
        first_ms = (time.perf_counter() - began) * 1000
        formats = _rate(partial(i18n.format_range, START, END, language, TOKYO), rounds)
        composed = _rate(partial(compose_email, _message(language), **IDENTITY), rounds // 10)
        print(f"{language:4}  {first_ms:11.1f} ms   {formats:15,.0f}   {composed:16,.0f}")


if __name__ == "__main__":
    main()
