"""The SQLite store's batch steps: a page of claims or outcomes in a few statements.

Each runs inside the caller's ``BEGIN IMMEDIATE`` transaction (the write lock is held, so no
other process changes the rows between the read and the writes): one ``SELECT … IN`` for the
page's records, one ``executemany`` for the new claims or the outcomes, and a statement per
take-over (rare: only claims whose owner died). Every statement is a hop to aiosqlite's
thread, so this is what makes a batch cheaper than a loop of single claims.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from notifier.records import DeliveryWrite, WriteResult
from notifier.store._codec import lease_text, utc_text
from notifier.store._sqlite_schema import CLAIM, RECORD, TAKE_OVER


async def _rows(db: aiosqlite.Connection, keys: Sequence[str]) -> dict[str, sqlite3.Row]:
    found: dict[str, sqlite3.Row] = {}
    for start in range(0, len(keys), 500):  # below SQLite's limit on bound variables
        part = keys[start : start + 500]
        marks = ", ".join("?" * len(part))
        sql = f"SELECT key, status, owner, token, lease_until FROM notifier_deliveries WHERE key IN ({marks})"  # noqa: S608, E501 (only placeholders)
        async with db.execute(sql, part) as cursor:
            found.update({row["key"]: row for row in await cursor.fetchall()})
    return found


async def claim_batch(
    db: aiosqlite.Connection, records: Sequence[dict[str, Any]], owner: str
) -> list[int]:
    """``Store.claim_leases`` for prepared claim records (all with ``owner`` and a lease)."""
    existing = await _rows(db, [r["key"] for r in records])
    new = [r for r in records if r["key"] not in existing]
    await db.executemany(CLAIM, new)
    tokens: list[int] = []
    for record in records:
        row = existing.get(record["key"])
        tokens.append(1 if row is None else await _claim_existing(db, row, record, owner))
    return tokens


async def _claim_existing(
    db: aiosqlite.Connection, row: sqlite3.Row, record: dict[str, Any], owner: str
) -> int:
    if row["status"] != "claimed":
        return 0
    if row["owner"] == owner:
        return int(row["token"])
    now_text = record["updated_at"]
    lease = row["lease_until"]
    if lease is None or lease > now_text:
        return -1  # another owner's live claim
    params = (owner, record["lease_until"], now_text, record["key"], now_text)
    async with db.execute(TAKE_OVER, params) as cursor:
        taken = await cursor.fetchone()
    return -1 if taken is None else int(taken[0])


async def record_batch(
    db: aiosqlite.Connection, writes: Sequence[DeliveryWrite], now: datetime
) -> list[WriteResult]:
    """``Store.record_deliveries``: each write fenced by its token, written in one go."""
    now_text = utc_text(now, "now")
    existing = await _rows(db, [w.key for w in writes])
    results: list[WriteResult] = []
    updates = []
    for write in writes:
        row = existing.get(write.key)
        if row is None:
            results.append("missing")
            continue
        if write.token is not None and int(row["token"]) != write.token:
            results.append("taken_over")
            continue
        lease = lease_text(now, write.lease_s) if write.status == "claimed" else None
        if write.status == "claimed" and lease is None:
            lease = row["lease_until"]  # a progress note without renewal keeps the lease
        sent_at = now_text if write.status == "sent" else None
        updates.append(
            (write.status, write.attempts, now_text, write.error, sent_at, lease, write.key)
        )
        results.append("written")
    await db.executemany(RECORD, updates)
    return results
