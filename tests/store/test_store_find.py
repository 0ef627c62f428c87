"""find_registration: the record a registration would merge into, found without a write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from notifier.records import Registration
from notifier.store.base import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _registration(
    rid: str, *, email: str | None = None, webhook_url: str | None = None
) -> Registration:
    return Registration(
        id=rid, event_id="ev", timezone="UTC", created_at=NOW, email=email, webhook_url=webhook_url
    )


async def test_find_returns_the_registration_of_the_same_address_ignoring_case(
    store: Store,
) -> None:
    """The API asks before merging, so an active registration is never changed by a stranger."""
    stored = await store.add_registration(_registration("r1", email="Ada@Example.org"))
    found = await store.find_registration(_registration("other", email="ada@example.org"))
    assert found == stored


async def test_find_by_webhook_and_misses_are_none(store: Store) -> None:
    """Webhook-only identities are found by URL; another event or address finds nothing."""
    hook = await store.add_registration(_registration("r2", webhook_url="https://h.example/x"))
    assert (
        await store.find_registration(_registration("q", webhook_url="https://h.example/x")) == hook
    )
    assert await store.find_registration(_registration("q", email="nobody@example.org")) is None
    elsewhere = replace(_registration("q", webhook_url="https://h.example/x"), event_id="other")
    assert await store.find_registration(elsewhere) is None
    assert await store.list_registrations("ev") == [hook]  # nothing was written by a find


async def test_count_registrations_counts_one_per_address_per_event(store: Store) -> None:
    """The metrics gauge counts registrations without reading every record."""
    await store.add_registration(_registration("a", email="a@example.org"))
    await store.add_registration(_registration("b", email="A@example.org"))  # merged into a
    await store.add_registration(_registration("c", webhook_url="https://h.example/c"))
    await store.add_registration(replace(_registration("d", email="d@example.org"), event_id="x"))
    assert await store.count_registrations("ev") == 2
    assert await store.count_registrations("x") == 1
    assert await store.count_registrations("none") == 0
