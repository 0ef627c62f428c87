"""The store contract: every backend (the ``store`` fixture) behaves the same, as specified."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from notifier.errors import RegistrationError, StoreError
from notifier.records import Registration, ReminderRef, delivery_key
from notifier.store import Store

NOW = datetime(2023, 5, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
START = datetime(2023, 5, 23, 7, 10, tzinfo=UTC)
REF = ReminderRef("ccpcj", "side-1", START, 3600)
KEY = delivery_key(REF, "r1", "email")


def _registration(rid: str = "r1", **changes: Any) -> Registration:
    """Ana, registered by email for one CCPCJ side event, with ``changes`` applied."""
    base = Registration(rid, "ccpcj", "Asia/Tokyo", NOW, email="ana@example.org")
    return replace(base, **{"sessions": ("side-1",), **changes})


async def test_added_registration_reads_back_equal(store: Store) -> None:
    """What the API stored is what the fan-out reads, field for field."""
    given = _registration(webhook_url="https://hook.example/x")
    assert await store.add_registration(given) == given
    assert await store.get_registration("r1") == given
    assert await store.list_registrations() == [given]
    assert await store.get_registration("nobody") is None


async def test_remove_registration_deletes_it_and_says_whether_it_existed(store: Store) -> None:
    """Unsubscribe must stop reminders, and a second click must not fail."""
    await store.add_registration(_registration())
    assert await store.remove_registration("r1") is True
    assert await store.remove_registration("r1") is False
    assert await store.get_registration("r1") is None
    assert await store.list_registrations("ccpcj") == []


async def test_same_address_twice_for_one_session_is_one_registration(store: Store) -> None:
    """A double submit must not mail the participant twice; the first id stays theirs."""
    first = await store.add_registration(_registration("r1"))
    again = await store.add_registration(_registration("r2", email="Ana@Example.org"))
    assert again.id == first.id == "r1"
    assert again.created_at == NOW
    assert [r.id for r in await store.list_registrations()] == ["r1"]


async def test_reregistering_merges_sessions_and_updates_details(store: Store) -> None:
    """Registering for one more session adds it, and the latest zone and language win."""
    await store.add_registration(_registration())
    later = _registration("r2", sessions=("side-2",), timezone="Europe/Vienna", language="fr")
    merged = await store.add_registration(replace(later, created_at=LATER, attendance="onsite"))
    assert merged == replace(
        _registration(),
        sessions=("side-1", "side-2"),
        timezone="Europe/Vienna",
        language="fr",
        attendance="onsite",
    )
    assert await store.get_registration("r1") == merged


async def test_whole_event_registration_wins_a_merge_either_way(store: Store) -> None:
    """Whoever asked for the whole event once keeps getting every session."""
    await store.add_registration(_registration())
    assert (await store.add_registration(_registration(sessions=None))).sessions is None
    assert (await store.add_registration(_registration(sessions=("side-9",)))).sessions is None


async def test_merge_keeps_a_channel_not_given_again(store: Store) -> None:
    """Adding a session by email must not silently drop the webhook given before."""
    await store.add_registration(_registration(webhook_url="https://hook.example/x"))
    merged = await store.add_registration(_registration("r2", sessions=("side-2",)))
    assert merged.webhook_url == "https://hook.example/x"
    assert merged.channels == ("email", "webhook")


async def test_webhook_url_is_the_identity_when_there_is_no_email(store: Store) -> None:
    """A webhook-only subscriber is one registration per URL, like an email one."""
    hook = _registration("h1", email=None, webhook_url="https://hook.example/a")
    await store.add_registration(hook)
    await store.add_registration(replace(hook, id="h2", sessions=("side-2",)))
    await store.add_registration(replace(hook, id="h3", webhook_url="https://hook.example/b"))
    found = {r.id: r.sessions for r in await store.list_registrations("ccpcj")}
    assert found == {"h1": ("side-1", "side-2"), "h3": ("side-1",)}


async def test_concurrent_registrations_of_one_address_merge_into_one(store: Store) -> None:
    """Parallel sign-ups of one participant (a double click, API retries) end as one record."""
    sessions = [f"s{n}" for n in range(20)]
    await asyncio.gather(
        *(
            store.add_registration(_registration(f"r{n}", sessions=(s,)))
            for n, s in enumerate(sessions)
        )
    )
    [only] = await store.list_registrations()
    assert sorted(only.sessions or ()) == sorted(sessions)


async def test_registrations_for_lists_followers_and_whole_event_ones(store: Store) -> None:
    """The fan-out reaches exactly those who follow the session, and only in its event."""
    await store.add_registration(_registration("a", email="a@x.org", sessions=("side-1",)))
    await store.add_registration(_registration("b", email="b@x.org", sessions=("side-2",)))
    await store.add_registration(_registration("c", email="c@x.org", sessions=None))
    await store.add_registration(_registration("d", email="d@x.org", event_id="untoc"))
    assert [r.id for r in await store.registrations_for("ccpcj", "side-1")] == ["a", "c"]
    assert [r.id for r in await store.registrations_for("ccpcj", "side-2")] == ["b", "c"]
    assert [r.id for r in await store.list_registrations("untoc")] == ["d"]
    assert len(await store.list_registrations()) == 4


async def test_removed_address_can_register_again_under_a_new_id(store: Store) -> None:
    """After unsubscribing, signing up again must work and start a fresh record."""
    await store.add_registration(_registration("r1"))
    await store.remove_registration("r1")
    assert (await store.add_registration(_registration("r2"))).id == "r2"


async def test_registration_without_an_address_or_with_a_taken_id_is_refused(
    store: Store,
) -> None:
    """Bad input gets an error naming the field, and changes nothing."""
    with pytest.raises(RegistrationError) as no_address:
        await store.add_registration(_registration(email=None))
    await store.add_registration(_registration("r1"))
    with pytest.raises(RegistrationError) as taken:
        await store.add_registration(_registration("r1", email="someone-else@x.org"))
    assert (no_address.value.field, taken.value.field) == ("email", "id")
    assert [r.email for r in await store.list_registrations()] == ["ana@example.org"]


async def test_claim_wins_once_then_refuses(store: Store) -> None:
    """Claim first: whoever claims second must not send the reminder again."""
    assert await store.claim_delivery(KEY, REF, "r1", "email", NOW) is True
    assert await store.claim_delivery(KEY, REF, "r1", "email", LATER) is False
    claimed = await store.get_delivery(KEY)
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.created_at) == ("claimed", 0, NOW)
    assert (claimed.ref, claimed.registration_id, claimed.channel) == (REF, "r1", "email")
    assert (claimed.last_error, claimed.sent_at) == (None, None)


async def test_fifty_concurrent_claims_of_one_key_have_exactly_one_winner(store: Store) -> None:
    """A job that runs twice at once (arq warns it can) still sends once."""
    results = await asyncio.gather(
        *(store.claim_delivery(KEY, REF, "r1", "email", NOW) for _ in range(50))
    )
    assert results.count(True) == 1


async def test_record_delivery_updates_status_attempts_error_and_sent_at(store: Store) -> None:
    """The log shows what happened to each reminder: retries, the last error, when it went."""
    await store.claim_delivery(KEY, REF, "r1", "email", NOW)
    await store.record_delivery(KEY, "claimed", 1, NOW, error="421 try later")
    retrying = await store.get_delivery(KEY)
    assert retrying is not None
    assert (retrying.attempts, retrying.last_error, retrying.sent_at) == (1, "421 try later", None)
    await store.record_delivery(KEY, "sent", 2, LATER)
    sent = await store.get_delivery(KEY)
    assert sent is not None
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert (sent.sent_at, sent.updated_at, sent.created_at) == (LATER, LATER, NOW)


async def test_record_on_a_key_never_claimed_raises_store_error(store: Store) -> None:
    """An outcome without a claim is a bug upstream; it must not pass as history."""
    with pytest.raises(StoreError, match="never claimed"):
        await store.record_delivery(KEY, "sent", 1, NOW)
    assert await store.get_delivery(KEY) is None


async def test_released_claim_can_be_claimed_again_but_a_sent_one_stays(store: Store) -> None:
    """Shutdown hands unsent claims back; a sent reminder must never be handed back."""
    other = delivery_key(REF, "r2", "email")
    await store.claim_delivery(KEY, REF, "r1", "email", NOW)
    await store.claim_delivery(other, REF, "r2", "email", NOW)
    await store.record_delivery(other, "sent", 1, NOW)
    await store.release_delivery(KEY)
    await store.release_delivery(other)
    await store.release_delivery("never/claimed")
    assert [d.key for d in await store.list_deliveries()] == [other]
    assert await store.claim_delivery(KEY, REF, "r1", "email", LATER) is True
    assert await store.claim_delivery(other, REF, "r2", "email", LATER) is False


async def test_list_deliveries_filters_by_event_and_session(store: Store) -> None:
    """Operators read one session's log without the rest of the conference."""
    refs = [REF, replace(REF, session_id="side-2"), replace(REF, event_id="untoc")]
    for ref in refs:
        await store.claim_delivery(delivery_key(ref, "r1", "email"), ref, "r1", "email", NOW)
    assert len(await store.list_deliveries()) == 3
    assert {d.ref for d in await store.list_deliveries("ccpcj")} == set(refs[:2])
    assert [d.ref for d in await store.list_deliveries("ccpcj", "side-2")] == [refs[1]]
    assert [d.ref for d in await store.list_deliveries(session_id="side-2")] == [refs[1]]


async def test_fanout_record_reads_back_and_is_replaced(store: Store) -> None:
    """A restarted scheduler sees which fan-outs already ran, with their latest counts."""
    assert await store.get_fanout(REF) is None
    await store.record_fanout(REF, "started", NOW, {})
    await store.record_fanout(REF, "done", LATER, {"sent": 3, "failed": 1})
    fanout = await store.get_fanout(REF)
    assert fanout is not None
    assert (fanout.ref, fanout.status, fanout.updated_at) == (REF, "done", LATER)
    assert fanout.counts == {"sent": 3, "failed": 1}
    assert await store.get_fanout(replace(REF, offset_s=600)) is None


async def test_session_sequence_counts_moves_of_the_start(store: Store) -> None:
    """Calendar clients only replace an event whose SEQUENCE went up."""
    moved = START + timedelta(hours=2)
    seen = [
        await store.session_sequence("ccpcj", "side-1", start)
        for start in (START, START, moved, moved, START)
    ]
    assert seen == [0, 0, 1, 1, 2]
    assert await store.session_sequence("ccpcj", "side-2", moved) == 0


async def test_datetimes_come_back_aware_utc_and_equal_to_what_went_in(store: Store) -> None:
    """An instant given in any zone is the same instant after a round trip, to the µs."""
    tokyo = datetime(2023, 5, 1, 21, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    vienna_start = datetime(2023, 5, 23, 9, 10, tzinfo=ZoneInfo("Europe/Vienna"))
    ref = ReminderRef("ccpcj", "side-1", vienna_start, 600)
    await store.add_registration(_registration(created_at=tokyo))
    key = delivery_key(ref, "r1", "webhook")
    await store.claim_delivery(key, ref, "r1", "webhook", tokyo)
    registration = await store.get_registration("r1")
    delivery = await store.get_delivery(key)
    assert registration is not None
    assert delivery is not None
    got = [registration.created_at, delivery.created_at, delivery.ref.start_utc]
    assert got == [tokyo, tokyo, vienna_start]
    assert [value.utcoffset() for value in got] == [timedelta(0)] * 3


async def test_a_delivery_key_of_another_event_is_refused(store: Store) -> None:
    """The Redis store places a delivery by the event its key starts with (one cluster slot
    with the event's indexes), so both backends refuse a key that names another event."""
    with pytest.raises(StoreError, match="does not start with its event"):
        await store.claim_delivery("other/side-1/x", REF, "r1", "email", NOW)
    assert await store.list_deliveries() == []


async def test_naive_datetimes_are_refused(store: Store) -> None:
    """A naive time would be read in some host's zone; the store refuses to guess."""
    with pytest.raises(StoreError, match="naive"):
        await store.claim_delivery(KEY, REF, "r1", "email", NOW.replace(tzinfo=None))
    assert await store.get_delivery(KEY) is None
