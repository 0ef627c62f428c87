"""Double opt-in and dead webhooks: confirmation, disabled webhooks, and older stored data.

The contract tests run over every backend (the ``store`` fixture); the last ones read data as
the previous version wrote it: an SQLite file without the ``confirmed`` column, and a Redis
record without the ``confirmed`` field.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from notifier.records import Registration
from notifier.store import Store, open_store

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
HOOK = "https://hook.example/a"
# the registrations table as the version before double opt-in created it, verbatim
OLD_REGISTRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS notifier_registrations (
    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, address_key TEXT NOT NULL,
    timezone TEXT NOT NULL, created_at TEXT NOT NULL, email TEXT, webhook_url TEXT,
    sessions TEXT NOT NULL, attendance TEXT NOT NULL, language TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS notifier_registrations_address
    ON notifier_registrations (event_id, address_key);
"""
ANA_KEY = hashlib.sha256(b"email:ana@example.org").hexdigest()


def _signup(rid: str = "r1", **changes: Any) -> Registration:
    """Ana, signed up through the API (so not yet confirmed), with ``changes`` applied."""
    base = Registration(rid, "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")
    return replace(base, **{"sessions": ("side-1",), "confirmed": False, **changes})


def _hook(rid: str, url: str = HOOK, **changes: Any) -> Registration:
    """A webhook-only subscriber: the URL is its identity."""
    return replace(_signup(rid, email=None, webhook_url=url, confirmed=True), **changes)


async def test_confirm_sets_the_flag_and_a_second_click_changes_nothing(store: Store) -> None:
    """People click confirmation links twice; the second click must succeed the same way."""
    await store.add_registration(_signup())
    first = await store.confirm_registration("r1")
    assert first == _signup(confirmed=True)
    assert await store.confirm_registration("r1") == first
    assert await store.get_registration("r1") == first


async def test_confirming_an_unknown_registration_returns_none(store: Store) -> None:
    """A link to a removed (or made-up) registration is answered, not an error."""
    assert await store.confirm_registration("nobody") is None
    assert await store.list_registrations() == []


async def test_reregistering_a_confirmed_address_keeps_it_confirmed(store: Store) -> None:
    """Signing up for one more session must not hold back reminders already confirmed."""
    await store.add_registration(_signup())
    await store.confirm_registration("r1")
    merged = await store.add_registration(_signup("r2", sessions=("side-2",)))
    assert (merged.id, merged.confirmed) == ("r1", True)
    assert await store.get_registration("r1") == merged


async def test_reregistering_an_unconfirmed_address_stays_unconfirmed_unless_new_one_is(
    store: Store,
) -> None:
    """An API sign-up confirms nothing; an organizer entering the address does."""
    await store.add_registration(_signup())
    again = await store.add_registration(_signup("r2", sessions=("side-2",)))
    assert (again.id, again.confirmed) == ("r1", False)
    by_organizer = await store.add_registration(_signup("r3", confirmed=True))
    assert (by_organizer.id, by_organizer.confirmed) == ("r1", True)
    assert await store.get_registration("r1") == by_organizer


async def test_confirmation_racing_re_registrations_is_never_lost(store: Store) -> None:
    """A click landing between a merge's read and write must still count."""
    await store.add_registration(_signup())
    signups = [_signup(f"r{n}", sessions=(f"s{n}",)) for n in range(2, 12)]
    await asyncio.gather(
        *(store.add_registration(s) for s in signups), store.confirm_registration("r1")
    )
    [only] = await store.list_registrations()
    assert only.confirmed is True
    assert set(only.sessions or ()) == {"side-1", *(f"s{n}" for n in range(2, 12))}


async def test_disable_webhook_clears_it_once_and_email_keeps_going(store: Store) -> None:
    """After a 410 Gone the webhook stops, but the participant still gets email."""
    await store.add_registration(_signup(webhook_url=HOOK, confirmed=True))
    assert await store.disable_webhook("r1") is True
    assert await store.disable_webhook("r1") is False
    assert await store.disable_webhook("nobody") is False
    disabled = await store.get_registration("r1")
    assert disabled == _signup(confirmed=True)
    assert disabled.channels == ("email",)
    assert [r.id for r in await store.registrations_for("ccpcj", "side-1")] == ["r1"]


async def test_email_identity_survives_a_disabled_webhook(store: Store) -> None:
    """The email is the identity, so signing up again merges, and may give a webhook again."""
    await store.add_registration(_signup(webhook_url=HOOK))
    await store.disable_webhook("r1")
    again = await store.add_registration(_signup("r2", webhook_url="https://hook.example/new"))
    assert (again.id, again.channels) == ("r1", ("email", "webhook"))
    assert [r.id for r in await store.list_registrations()] == ["r1"]


async def test_disabled_webhook_only_registration_frees_its_url(store: Store) -> None:
    """A dead URL's record must not swallow a later sign-up of that URL (or of each other's)."""
    await store.add_registration(_hook("h1"))
    await store.add_registration(_hook("h2", "https://hook.example/b"))
    assert await store.disable_webhook("h1") is True
    assert await store.disable_webhook("h2") is True  # two address-less records coexist
    fresh = await store.add_registration(_hook("h3"))
    assert fresh == _hook("h3")
    assert await store.remove_registration("h1") is True  # must not drop h3's identity
    merged = await store.add_registration(_hook("h4", sessions=("side-2",)))
    assert (merged.id, merged.sessions) == ("h3", ("side-1", "side-2"))
    channels = {r.id: r.channels for r in await store.list_registrations()}
    assert channels == {"h2": (), "h3": ("webhook",)}


def _write_old_sqlite_file(path: Path) -> None:
    """A store file as the previous version left it: no ``confirmed`` column, one row."""
    with sqlite3.connect(path) as db:
        db.executescript(OLD_REGISTRATIONS_TABLE)
        db.execute(
            "INSERT INTO notifier_registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("r1", "ccpcj", ANA_KEY, "Asia/Tokyo", "2023-05-01T12:00:00.000000+00:00",
             "ana@example.org", None, '["side-1"]', "undecided", "en"),
        )  # fmt: skip
    db.close()


async def test_sqlite_file_from_before_confirmation_opens_with_rows_confirmed(
    tmp_path: Path,
) -> None:
    """An upgrade must not hold back reminders for everyone who registered before it."""
    path = tmp_path / "old.db"
    await asyncio.to_thread(_write_old_sqlite_file, path)
    url = f"sqlite:///{path}"
    # two replicas starting on the old file at once: the column is added once, not twice
    first, second = await asyncio.gather(open_store(url), open_store(url))
    try:
        assert await first.get_registration("r1") == _signup(confirmed=True)
        merged = await second.add_registration(_signup("r2", sessions=("side-2",)))
        assert (merged.id, merged.confirmed) == ("r1", True)
        bo = await second.add_registration(_signup("b1", email="bo@example.org"))
        assert await first.get_registration("b1") == bo  # the added column holds False too
        assert await first.confirm_registration("b1") == replace(bo, confirmed=True)
    finally:
        await asyncio.gather(first.aclose(), second.aclose())
    reopened = await open_store(url)
    try:
        assert [r.confirmed for r in await reopened.list_registrations()] == [True, True]
    finally:
        await reopened.aclose()


async def test_redis_record_from_before_confirmation_reads_as_confirmed(redis_url: str) -> None:
    """Records written by the previous version have no ``confirmed`` field; they were."""
    old_record = {
        "id": "r1",
        "event_id": "ccpcj",
        "timezone": "Asia/Tokyo",
        "created_at": "2023-05-01T12:00:00.000000+00:00",
        "email": "ana@example.org",
        "webhook_url": HOOK,
        "sessions": ["side-1"],
        "attendance": "undecided",
        "language": "en",
        "address_key": ANA_KEY,
    }
    client = Redis.from_url(redis_url)
    try:
        await client.set("notifier:reg:r1", json.dumps(old_record))
        await client.sadd("notifier:regs", "r1")
        await client.set(f"notifier:addr:ccpcj:{ANA_KEY}", "r1")
    finally:
        await client.aclose()
    store = await open_store(redis_url)
    try:
        assert await store.get_registration("r1") == _signup(confirmed=True, webhook_url=HOOK)
        assert await store.disable_webhook("r1") is True
        merged = await store.add_registration(_signup("r2"))
        assert (merged.id, merged.confirmed, merged.webhook_url) == ("r1", True, None)
    finally:
        await store.aclose()
