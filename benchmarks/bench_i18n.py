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
from notifier.records import LANGUAGES, Language
from notifier.times import format_range
from tests.support.reminders import reminder_message

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
    """The tests' reminder (``tests/support/reminders.py``) in ``language``."""
    return reminder_message(language=language)


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
