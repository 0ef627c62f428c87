"""Claims with a lease and a fencing token (#12), the same on every backend.

A process that dies mid fan-out leaves its claims ``claimed``; once their lease runs out the
catch-up pass takes them over with the next token, and the dead owner's late writes (a paused
replica waking up) are refused by that token.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from notifier.errors import ClaimLostError
from notifier.records import DeliveryStatus, ReminderRef, delivery_key
from notifier.store import Store

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
LEASE_S = 60.0
EXPIRED = NOW + timedelta(seconds=LEASE_S)  # the lease's last instant: it has run out
REF = ReminderRef("ccpcj", "side-1", datetime(2023, 5, 23, 7, 10, tzinfo=UTC), 3600)
KEY = delivery_key(REF, "r1", "email")


async def _claim(store: Store, owner: str, now: datetime, lease_s: float = LEASE_S) -> int:
    return await store.claim_lease(KEY, REF, "r1", "email", now, owner=owner, lease_s=lease_s)


async def test_a_new_claim_records_owner_lease_and_token_one(store: Store) -> None:
    """Whoever reads the log can tell who holds a delivery and until when."""
    assert await _claim(store, "a", NOW) == 1
    delivery = await store.get_delivery(KEY)
    assert delivery is not None
    assert (delivery.status, delivery.owner, delivery.token) == ("claimed", "a", 1)
    assert delivery.lease_until == NOW + timedelta(seconds=LEASE_S)


async def test_the_owner_claiming_again_gets_its_token_back(store: Store) -> None:
    """A claim whose reply was lost to an outage is retried; it must still be ours."""
    assert await _claim(store, "a", NOW) == 1
    assert await _claim(store, "a", NOW + timedelta(seconds=1)) == 1


async def test_a_live_lease_is_not_taken_over(store: Store) -> None:
    """Another replica must not send what a live owner is sending."""
    await _claim(store, "a", NOW)
    assert await _claim(store, "b", EXPIRED - timedelta(seconds=1)) == 0


async def test_an_expired_lease_is_taken_over_with_the_next_token(store: Store) -> None:
    """A dead owner's claim must not strand its delivery: the catch-up pass retakes it."""
    await _claim(store, "a", NOW)
    assert await _claim(store, "b", EXPIRED) == 2
    delivery = await store.get_delivery(KEY)
    assert delivery is not None
    assert (delivery.status, delivery.owner, delivery.token) == ("claimed", "b", 2)


async def test_a_stale_token_write_is_refused_and_changes_nothing(store: Store) -> None:
    """Fencing: the presumed-dead owner waking up must not overwrite the new owner's outcome."""
    await _claim(store, "a", NOW)
    await _claim(store, "b", EXPIRED)
    with pytest.raises(ClaimLostError):
        await store.record_delivery(KEY, "failed", 1, EXPIRED, "late", token=1)
    await store.record_delivery(KEY, "sent", 1, EXPIRED, token=2)
    delivery = await store.get_delivery(KEY)
    assert delivery is not None
    assert (delivery.status, delivery.token, delivery.lease_until) == ("sent", 2, None)


async def test_renewing_the_lease_keeps_the_claim(store: Store) -> None:
    """A delivery waiting to retry for minutes is alive; its progress note extends the lease."""
    await _claim(store, "a", NOW)
    renewed_at = NOW + timedelta(seconds=50)
    await store.record_delivery(KEY, "claimed", 1, renewed_at, "451", token=1, lease_s=LEASE_S)
    assert await _claim(store, "b", EXPIRED) == 0
    assert await _claim(store, "b", renewed_at + timedelta(seconds=LEASE_S)) == 2


@pytest.mark.parametrize("status", ["sent", "failed", "expired", "skipped", "unknown"])
async def test_a_final_outcome_is_never_taken_over(store: Store, status: DeliveryStatus) -> None:
    """Once the log says what happened, no lease expiry makes it go out again."""
    await _claim(store, "a", NOW)
    await store.record_delivery(KEY, status, 1, NOW, token=1)
    assert await _claim(store, "b", EXPIRED + timedelta(days=1)) == 0


async def test_a_claim_without_a_lease_never_expires(store: Store) -> None:
    """claim_delivery (no owner, no lease) keeps its old meaning: at most once, for good."""
    assert await store.claim_delivery(KEY, REF, "r1", "email", NOW) is True
    assert await _claim(store, "b", EXPIRED + timedelta(days=1)) == 0


async def test_racing_takeovers_of_one_expired_claim_leave_one_winner(store: Store) -> None:
    """Two catch-up passes at once: one of them sends, the other sees it held."""
    await _claim(store, "a", NOW)
    tokens = await asyncio.gather(*(_claim(store, f"r{i}", EXPIRED) for i in range(10)))
    assert sorted(tokens) == [0] * 9 + [2]
