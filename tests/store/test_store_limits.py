"""Abuse limits and expiry in the store, one contract over both backends: counts shared by
every process on the store, fixed windows, and pending registrations that expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notifier.records import Registration
from notifier.store.base import Store

NOW = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)  # 10 s into a 60 s window


def _registration(rid: str, email: str, created_at: datetime, confirmed: bool) -> Registration:
    return Registration(
        id=rid,
        event_id="ev",
        timezone="UTC",
        created_at=created_at,
        email=email,
        confirmed=confirmed,
    )


async def test_hits_within_the_limit_pass_and_the_next_is_told_when_the_window_ends(
    store: Store,
) -> None:
    """A 429 must say when to retry: the end of the window, not a guess."""
    answers = [await store.hit_limit("client:a", 3, 60, NOW) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == 50.0  # the window began at :00 and ends at 12:01:00


async def test_each_key_has_its_own_count(store: Store) -> None:
    """One noisy client must not lock out the next one."""
    assert await store.hit_limit("client:a", 1, 60, NOW) is None
    assert await store.hit_limit("client:a", 1, 60, NOW) is not None
    assert await store.hit_limit("client:b", 1, 60, NOW) is None


async def test_a_new_window_starts_counting_again(store: Store) -> None:
    """A cooldown ends: the owner can ask for a new link a quarter of an hour later."""
    assert await store.hit_limit("confirm:x", 1, 900, NOW) is None
    assert await store.hit_limit("confirm:x", 1, 900, NOW + timedelta(minutes=5)) is not None
    assert await store.hit_limit("confirm:x", 1, 900, NOW + timedelta(minutes=15)) is None


async def test_purge_pending_deletes_only_old_unconfirmed_registrations(store: Store) -> None:
    """Expired requests go; a confirmed registration stays however old it is."""
    old = NOW - timedelta(days=3)
    await store.add_registration(_registration("old-pending", "a@example.org", old, False))
    await store.add_registration(_registration("old-active", "b@example.org", old, True))
    await store.add_registration(_registration("new-pending", "c@example.org", NOW, False))
    purged = await store.purge_pending(NOW - timedelta(days=2))
    assert purged == 1
    remaining = {r.id for r in await store.list_registrations("ev")}
    assert remaining == {"old-active", "new-pending"}


async def test_a_confirmed_registration_is_never_purged(store: Store) -> None:
    """Someone who clicked their link a moment before the sweep keeps their reminders."""
    old = NOW - timedelta(days=3)
    await store.add_registration(_registration("r", "a@example.org", old, False))
    await store.confirm_registration("r")
    assert await store.purge_pending(NOW) == 0
    assert await store.get_registration("r") is not None
