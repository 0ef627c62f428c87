"""The outcome writer's backlog is the process's, shared by every fan-out it runs.

A send gives its slot back before its outcome is written only while fewer than
``Unwritten.LIMIT`` such outcomes wait in the whole process; that limit, plus the send
concurrency, is the README's bound on what a crash can send twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from notifier.channels import SmtpChannel
from notifier.jobs.deps import Unwritten
from notifier.jobs.outcomes import OutcomeWriter
from notifier.jobs.plan import Reminder
from notifier.records import DeliveryWrite, delivery_key
from notifier.store import Store
from tests.support.clock import Clock
from tests.support.events import event_yaml, load_test_event
from tests.support.fanout import NOW, fanout_deps, registration


async def test_two_fanouts_share_one_backlog_and_it_empties_once_written(
    store: Store, smtp_channel: SmtpChannel
) -> None:
    deps = fanout_deps(store, smtp_channel, Clock(NOW))
    event = load_test_event(event_yaml({"talk": NOW + timedelta(minutes=10)}, reminders=("10m",)))
    ref = Reminder(event, event.sessions[0], timedelta(minutes=10)).ref
    ids = [f"p{n:03d}" for n in range(Unwritten.LIMIT)]
    for rid in ids:
        await store.add_registration(registration(rid))
    tokens = await store.claim_leases(
        ref, [(r, "email") for r in ids], NOW, owner="me", lease_s=60.0
    )
    first, second = OutcomeWriter(deps), OutcomeWriter(deps)
    writes = [
        DeliveryWrite(delivery_key(ref, rid, "email"), "sent", 1, token=token)
        for rid, token in zip(ids, tokens, strict=True)
    ]
    half = len(writes) // 2
    tasks = [asyncio.create_task(first.write(w)) for w in writes[:half]]
    tasks += [asyncio.create_task(second.write(w)) for w in writes[half:]]
    await asyncio.sleep(0)  # each write has been taken in; none has reached the store yet
    assert deps.unwritten.count == Unwritten.LIMIT
    assert not first.has_room()
    assert not second.has_room()  # the other fan-out's writes count too
    await asyncio.gather(*tasks)
    assert deps.unwritten.count == 0
    assert first.has_room()
    assert second.has_room()
    statuses = {d.registration_id: d.status for d in await store.list_deliveries(event.id, "talk")}
    assert statuses == dict.fromkeys(ids, "sent")
