"""CPU per reminder email: composed in full for each participant, or once per variant.

Run: python -m benchmarks.bench_compose [--messages N]
Both write the same bytes (tests/channels/test_wire_bytes.py checks that) for N participants
of one reminder spread over the 12 recorded variants (zones, languages, attendance): the full
composer (``compose_email`` and flattening, what every send did before #15) and the wire
composer the channels use now. Prints CPU ms per message (process time, so a busy neighbour
slows it less than wall time) beside the ceiling we hold. Figures only.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from notifier.channels import ReminderMessage, compose_email
from notifier.channels.wire import WireComposer
from tests.support.reminders import PUBLIC_BASE_URL, SENDER
from tests.support.wire import wire_bytes, wire_participants

CEILING_MS = 0.5  # the raw aiosmtplib send costs about this much CPU per message here


def participants(count: int) -> list[ReminderMessage]:
    recorded = wire_participants()
    messages = []
    for i in range(count):
        _, message = recorded[i % len(recorded)]
        registration = replace(message.registration, id=f"r{i}", email=f"p{i}@example.org")
        messages.append(
            replace(
                message,
                registration=registration,
                delivery_key=f"{message.delivery_key}-{i}",
                unsubscribe_url=f"{PUBLIC_BASE_URL}/unsubscribe/tok-{i:08d}",
            )
        )
    return messages


def cpu_ms_per_message(messages: list[ReminderMessage], compose: object) -> float:
    began = time.process_time()
    for message in messages:
        compose(message)  # type: ignore[operator]
    return (time.process_time() - began) * 1000 / len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    messages = participants(parser.parse_args().messages)
    composer = WireComposer(sender=SENDER, public_base_url=PUBLIC_BASE_URL)

    def full(message: ReminderMessage) -> bytes:
        return wire_bytes(compose_email(message, sender=SENDER, public_base_url=PUBLIC_BASE_URL))

    before = cpu_ms_per_message(messages, full)
    after = cpu_ms_per_message(messages, composer.compose)
    verdict = "ok" if after <= CEILING_MS else "OVER"
    print(f"compose in full, per participant   {before:6.3f} ms CPU per message")
    print(
        f"compose once per variant           {after:6.3f} ms CPU per message  "
        f"ceiling {CEILING_MS} ms  {verdict}  ({before / after:.0f}x less)"
    )


if __name__ == "__main__":
    main()
