"""Stores over their life: opened by URL, reopened, shared by two replicas, cancelled mid-call."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notifier.errors import StoreError
from notifier.records import Registration, ReminderRef, delivery_key
from notifier.store import Store, open_store

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
REF = ReminderRef("ccpcj", "side-1", datetime(2023, 5, 23, 7, 10, tzinfo=UTC), 3600)
ANA = Registration("r1", "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")


@pytest.fixture
async def two_stores(store_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one backing, as two replicas have: two pools, or two SQLite connections."""
    first = await open_store(store_url)
    try:
        second = await open_store(store_url)
        try:
            yield first, second
        finally:
            await second.aclose()
    finally:
        await first.aclose()


async def test_two_stores_on_one_backing_have_one_winner_per_key(
    two_stores: tuple[Store, Store],
) -> None:
    """Two replicas racing for the same reminders must never both send one."""
    keys = [delivery_key(REF, f"r{n}", "email") for n in range(25)]
    racers = [(key, store) for key in keys for store in two_stores * 2]
    won = await asyncio.gather(*(s.claim_delivery(k, REF, "r", "email", NOW) for k, s in racers))
    winners = Counter(key for (key, _), claimed in zip(racers, won, strict=True) if claimed)
    assert winners == dict.fromkeys(keys, 1)


async def test_two_stores_registering_one_address_keep_one_merged_registration(
    two_stores: tuple[Store, Store],
) -> None:
    """Sign-ups for the same participant landing on two replicas at once still merge."""
    sessions = [f"s{n}" for n in range(20)]
    await asyncio.gather(
        *(
            two_stores[n % 2].add_registration(replace(ANA, id=f"r{n}", sessions=(session,)))
            for n, session in enumerate(sessions)
        )
    )
    [only] = await two_stores[1].list_registrations()
    assert sorted(only.sessions or ()) == sorted(sessions)


async def test_claims_and_registrations_survive_reopening_the_store(store_url: str) -> None:
    """A restart must not forget what was sent, or the next run would send it again."""
    key = delivery_key(REF, "r1", "email")
    before = await open_store(store_url)
    try:
        await before.add_registration(ANA)
        await before.claim_delivery(key, REF, "r1", "email", NOW)
    finally:
        await before.aclose()
    after = await open_store(store_url)
    try:
        await after.ping()
        assert await after.get_registration("r1") == ANA
        assert await after.claim_delivery(key, REF, "r1", "email", NOW) is False
    finally:
        await after.aclose()


@pytest.mark.parametrize("yields", range(8))
async def test_callers_cancelled_mid_call_leave_the_store_usable(store: Store, yields: int) -> None:
    """Shutdown cancels in-flight fan-outs; the store must serve the next run regardless."""
    keys = [delivery_key(REF, f"r{n}", "email") for n in range(12)]
    calls = [store.claim_delivery(k, REF, "r", "email", NOW) for k in keys]
    signups = [replace(ANA, id=f"r{n}", sessions=(key,)) for n, key in enumerate(keys)]
    claims = [asyncio.ensure_future(call) for call in calls]
    added = [asyncio.ensure_future(store.add_registration(signup)) for signup in signups]
    tasks: list[asyncio.Task[bool] | asyncio.Task[Registration]] = [*claims, *added]
    for _ in range(yields):
        await asyncio.sleep(0)  # let the calls get this far into their I/O, then cancel half
    for task in tasks[::2]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert not [t.exception() for t in tasks if not t.cancelled() and t.exception()]
    assert await store.claim_delivery(f"{REF.key}/after/email", REF, "r", "email", NOW) is True
    assert len(await store.list_registrations()) <= 1


@pytest.mark.parametrize("url", ["mysql://u:pw@db/x", "sqlite://", "sqlite:///", "no-scheme"])
async def test_open_store_refuses_what_it_cannot_open_and_says_what_works(url: str) -> None:
    """A typo in settings fails at start with the accepted forms, never echoing a password."""
    with pytest.raises(StoreError, match=r"sqlite:////absolute/path\.db") as refused:
        await open_store(url)
    assert "pw" not in str(refused.value)


async def test_open_store_reads_a_relative_sqlite_path_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqlite:///data/notifier.db`` lands under the working folder, folder created."""
    monkeypatch.chdir(tmp_path)
    opened = await open_store("sqlite:///data/notifier.db")
    await opened.aclose()
    assert (tmp_path / "data" / "notifier.db").is_file()
