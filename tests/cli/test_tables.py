"""`notifier register list` and `notifier deliveries` as tables, JSON and "nothing yet" lines.

The real CLI over an embedded SQLite store in the test's folder (tests/cli/conftest.py);
deliveries are written with the store's own API, as the fan-out does.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from notifier.records import ReminderRef, delivery_key
from notifier.store import open_store
from tests.support.cli import EVENT, SMUGGLING, Run, add_registration, stored_registrations

START_UTC = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)
FAILED_AT = datetime(2023, 5, 22, 7, 12, tzinfo=UTC)


def _record_failed_delivery(data_dir: Path, registration_id: str) -> str:
    """A 1-day reminder that failed three times, written as the fan-out writes it."""

    async def write() -> str:
        store = await open_store(f"sqlite:///{data_dir / 'notifier.db'}")
        try:
            ref = ReminderRef(EVENT, SMUGGLING, START_UTC, 86_400)
            key = delivery_key(ref, registration_id, "email")
            assert await store.claim_delivery(key, ref, registration_id, "email", FAILED_AT)
            await store.record_delivery(key, "failed", 3, FAILED_AT, "550 mailbox unavailable")
            return key
        finally:
            await store.aclose()

    return asyncio.run(write())


def test_register_list_is_a_table_with_times_in_the_chosen_zone(run: Run, data_dir: Path) -> None:
    """Organizers read when someone registered in their own zone, under named columns."""
    registration_id, _ = add_registration(run, "--email", "ada@example.org", "--tz", "Asia/Tokyo")
    (stored,) = stored_registrations(data_dir)
    result = run("register", "list", EVENT, "--tz", "America/New_York")
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header.split() == [
        "ID", "EVENT", "ZONE", "ATTENDANCE", "STATUS", "SESSIONS", "REGISTERED", "ADDRESS",
    ]  # fmt: skip
    local = stored.created_at.astimezone(ZoneInfo("America/New_York"))
    shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    assert row.index(shown) == header.index("REGISTERED")  # aligned under its header
    assert row.startswith(f"{registration_id}  {EVENT}  Asia/Tokyo")
    assert row.endswith("  ada@example.org")


def test_register_list_json_is_for_programs(run: Run) -> None:
    """Scripts get every field, times in ISO 8601 with their offset."""
    registration_id, _ = add_registration(run, "--email", "ada@example.org", "--session", SMUGGLING)
    result = run("register", "list", "--json")
    (entry,) = json.loads(result.stdout)
    assert entry["id"] == registration_id
    assert entry["sessions"] == [SMUGGLING]
    assert entry["email"] == "ada@example.org"
    assert entry["confirmed"] is True
    assert datetime.fromisoformat(entry["created_at"]).tzinfo is not None


def test_register_list_says_nothing_yet_instead_of_printing_nothing(run: Run) -> None:
    """Empty output looks like a broken command; say so and say what to do."""
    result = run("register", "list", EVENT)
    assert result.exit_code == 0
    assert result.stdout == (
        f"no registrations yet for {EVENT}; add one with "
        f"`notifier register add {EVENT} --email ADDRESS` or import a CSV\n"
    )
    assert json.loads(run("register", "list", EVENT, "--json").stdout) == []


def test_deliveries_table_shows_status_attempts_and_last_error_in_the_chosen_zone(
    run: Run, data_dir: Path
) -> None:
    """The organizer's question after a failure: what, when (in my zone), and why."""
    registration_id, _ = add_registration(run, "--email", "ada@example.org")
    _record_failed_delivery(data_dir, registration_id)
    result = run("deliveries", EVENT, "--tz", "Asia/Tokyo")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "UPDATED               STATUS  TRIES  CHANNEL  BEFORE  SESSION"
        + " " * (len(EVENT) + len(SMUGGLING) + 1 - len("SESSION"))
        + "  TO"
        + " " * 30
        + "  LAST ERROR",
        f"2023-05-22 16:12 JST  failed  3      email    1d      {EVENT}/{SMUGGLING}  "
        f"{registration_id}  550 mailbox unavailable",
    ]


def test_deliveries_json_carries_the_reminder_and_its_outcome(run: Run, data_dir: Path) -> None:
    """Tools need the session, offset and registration, not only the opaque key."""
    registration_id, _ = add_registration(run, "--email", "ada@example.org")
    key = _record_failed_delivery(data_dir, registration_id)
    (entry,) = json.loads(run("deliveries", "--json").stdout)
    assert entry == {
        "key": key,
        "event_id": EVENT,
        "session_id": SMUGGLING,
        "session_start_utc": "2023-05-23T07:10:00+00:00",
        "offset_s": 86_400,
        "registration_id": registration_id,
        "status": "failed",
        "attempts": 3,
        "channel": "email",
        "last_error": "550 mailbox unavailable",
        "updated_at": "2023-05-22T07:12:00+00:00",
        "sent_at": None,
    }


def test_deliveries_say_nothing_yet_and_where_reminders_come_from(run: Run) -> None:
    """An empty log before the first run is normal; the line says what fills it."""
    result = run("deliveries", EVENT, "--session", SMUGGLING)
    assert result.exit_code == 0
    assert result.stdout == (
        f"no deliveries yet for {EVENT}, session {SMUGGLING}; reminders appear here once "
        "`notifier run` sends them (`notifier schedule` previews when)\n"
    )
