"""``update_registration``: the manage page's write, over every backend (the ``store`` fixture).

It replaces what the participant chose (zone, language, sessions, attendance, reminder
offsets) and nothing else: the address, the id and the confirmation stay as stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from notifier.records import Registration, ReminderRef, wants_reminder
from notifier.store import Store
from notifier.store._codec import registration_from_record, registration_record

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
START = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)


def _registration(rid: str = "r1", **changes: Any) -> Registration:
    base = Registration(rid, "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")
    return replace(base, **{"sessions": ("side-1", "side-2"), **changes})


async def test_update_replaces_sessions_and_settings_instead_of_merging(store: Store) -> None:
    """Leaving a session on the manage page must drop it; a re-registration would keep it."""
    await store.add_registration(_registration())
    wanted = _registration(
        sessions=("side-2",),
        timezone="Africa/Cairo",
        language="ar",
        attendance="onsite",
        reminder_offsets_s=(3600,),
    )
    stored = await store.update_registration(wanted)
    assert stored == wanted
    assert await store.get_registration("r1") == wanted
    assert [r.id for r in await store.registrations_for("ccpcj", "side-1")] == []
    assert [r.id for r in await store.registrations_for("ccpcj", "side-2")] == ["r1"]


async def test_update_keeps_the_address_and_the_confirmation(store: Store) -> None:
    """A manage link changes preferences only: it can never redirect reminders or opt in."""
    await store.add_registration(_registration(confirmed=False))
    forged = _registration(email="mallory@example.org", confirmed=True, timezone="UTC")
    stored = await store.update_registration(forged)
    assert stored is not None
    assert (stored.email, stored.confirmed, stored.timezone) == ("ana@example.org", False, "UTC")
    again = await store.add_registration(_registration("r9", sessions=None))
    assert again.id == "r1"  # the address index still names it


async def test_update_of_a_removed_registration_is_none_and_creates_nothing(store: Store) -> None:
    """A manage link of someone who left must not bring the registration back."""
    assert await store.update_registration(_registration()) is None
    assert await store.list_registrations() == []


async def test_concurrent_updates_leave_one_of_them_whole(store: Store) -> None:
    """Two tabs saving at once: the record is one save or the other, never a mix."""
    await store.add_registration(_registration())
    tokyo = _registration(timezone="Asia/Tokyo", language="ja", sessions=("side-1",))
    cairo = _registration(timezone="Africa/Cairo", language="ar", sessions=("side-2",))
    await asyncio.gather(store.update_registration(tokyo), store.update_registration(cairo))
    assert await store.get_registration("r1") in (tokyo, cairo)


async def test_reregistering_keeps_the_reminders_chosen_on_the_manage_page(store: Store) -> None:
    """A sign-up that says nothing about reminders must not undo an opt-out."""
    await store.add_registration(_registration(reminder_offsets_s=(600,)))
    merged = await store.add_registration(_registration("r2", timezone="Europe/Vienna"))
    assert (merged.timezone, merged.reminder_offsets_s) == ("Europe/Vienna", (600,))


async def test_left_sessions_are_kept_and_a_sign_up_for_one_drops_it(store: Store) -> None:
    """The feed cancels what was left; registering for it again makes it theirs again."""
    await store.add_registration(_registration())
    await store.update_registration(_registration(sessions=("side-2",), left_sessions=("side-1",)))
    stored = await store.get_registration("r1")
    assert stored is not None
    assert stored.left_sessions == ("side-1",)
    merged = await store.add_registration(_registration("r2", sessions=("side-1",)))
    assert (merged.sessions, merged.left_sessions) == (("side-2", "side-1"), ())


def test_a_record_written_before_reminder_choices_wants_every_reminder() -> None:
    """Older records have no ``reminder_offsets_s``: those people asked for every reminder."""
    record = registration_record(_registration())
    del record["reminder_offsets_s"]
    del record["left_sessions"]
    old = registration_from_record(record)
    assert (old.reminder_offsets_s, old.left_sessions) == (None, ())
    assert wants_reminder(old, ReminderRef("ccpcj", "side-1", START, 86_400))


def test_wants_reminder_follows_sessions_and_chosen_offsets() -> None:
    """The fan-out's filter: the session must be followed and the offset chosen."""
    chosen = _registration(sessions=("side-1",), reminder_offsets_s=(600,))
    assert wants_reminder(chosen, ReminderRef("ccpcj", "side-1", START, 600))
    assert not wants_reminder(chosen, ReminderRef("ccpcj", "side-1", START, 3600))
    assert not wants_reminder(chosen, ReminderRef("ccpcj", "side-2", START, 600))
    none_wanted = replace(chosen, reminder_offsets_s=())
    assert not wants_reminder(none_wanted, ReminderRef("ccpcj", "side-1", START, 600))
