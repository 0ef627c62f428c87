"""The embedded store: one SQLite file through aiosqlite (the loop never waits on disk).

Tables, statements and the upgrade of files made by older versions are in ``_sqlite_schema.py``.
WAL lets readers run beside the writer; ``busy_timeout`` makes a second process wait for
the write lock instead of failing. Every write runs in ``BEGIN IMMEDIATE``, so a claim or a
merge is atomic across processes; a lock serialises this store's own coroutines, which share
one connection and so would otherwise share (and could roll back) each other's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from notifier.errors import ClaimLostError, RegistrationError, StoreError
from notifier.records import (
    ChannelName,
    Delivery,
    DeliveryStatus,
    DeliveryWrite,
    Fanout,
    FanoutStatus,
    Registration,
    ReminderRef,
    WriteResult,
)
from notifier.store._codec import (
    check_registration,
    claim_record,
    claim_records,
    delivery_from_record,
    fanout_from_record,
    fanout_record,
    lease_text,
    merge_registration,
    registration_from_record,
    registration_record,
    update_settings,
    utc_text,
)
from notifier.store._sqlite_batch import claim_batch, record_batch
from notifier.store._sqlite_schema import (
    CLAIM,
    CONFIRM_REGISTRATION,
    DISABLE_WEBHOOK,
    HIT_LIMIT,
    INSERT_REGISTRATION,
    NEXT_SEQUENCE,
    PAGE,
    PAGE_UPTO,
    PURGE_LIMITS,
    PURGE_PENDING,
    RECORD,
    RECORD_FANOUT,
    TAKE_OVER,
    UPDATE_REGISTRATION,
    create_schema,
)

Params = Sequence[Any] | Mapping[str, Any]
BUSY_TIMEOUT_MS = 5_000
SETUP_ATTEMPTS = 20
SETUP_RETRY_S = 0.01


async def open_sqlite_store(path: Path) -> SqliteStore:
    """Open the store at ``path``, creating its folder, file and tables, or upgrading them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # registrations hold addresses: a new file is private, and SQLite gives its -wal and
        # -shm files the database file's mode (an existing file keeps the mode ops gave it)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"sqlite store {path}: cannot open ({exc}); check the path") from exc
    db.row_factory = sqlite3.Row
    store = SqliteStore(db, path)
    try:
        await _prepare(store)
    except BaseException:
        await store.aclose()
        raise
    return store


async def _prepare(store: SqliteStore) -> None:
    """WAL, then the schema; again (briefly) while another process holds the file's lock.

    Two processes opening one file at once can meet in a lock upgrade that would deadlock;
    SQLite answers that with "database is locked" at once, without waiting out busy_timeout.
    Both steps are idempotent, so the one that lost simply tries again.
    """
    for attempt in range(1, SETUP_ATTEMPTS + 1):
        try:
            async with store.transaction(begin=False) as conn:  # WAL is set outside one
                pragmas = f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
                await conn.executescript(pragmas)
            async with store.transaction() as conn:
                await create_schema(conn)
            return
        except StoreError as exc:
            locked = isinstance(exc.__cause__, sqlite3.OperationalError) and "locked" in str(
                exc.__cause__
            )
            if not locked or attempt == SETUP_ATTEMPTS:
                raise
            await asyncio.sleep(SETUP_RETRY_S * attempt * random.uniform(0.5, 1.5))  # noqa: S311


class SqliteStore:
    """:class:`~notifier.store.base.Store` on one aiosqlite connection."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self, begin: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """This store's turn on the connection; with ``begin``, one immediate transaction."""
        async with self._lock:
            try:
                if begin:
                    await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                if begin:
                    await self._db.execute("COMMIT")
            except BaseException as exc:
                # always: a cancelled await does not stop a BEGIN already queued on the thread
                await asyncio.shield(self._db.rollback())  # a no-op outside a transaction
                if isinstance(exc, sqlite3.Error):
                    hint = "check that the file is writable and on a local disk"
                    raise StoreError(f"sqlite store {self._path}: {exc}; {hint}") from exc
                raise

    async def _fetch(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.transaction(begin=False) as db, db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _change(self, sql: str, params: Params) -> int:
        async with self.transaction() as db, db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def add_registration(self, registration: Registration) -> Registration:
        check_registration(registration)
        key = registration_record(registration)["address_key"]
        async with self.transaction() as db:
            async with db.execute(
                "SELECT * FROM notifier_registrations WHERE event_id = ? AND address_key = ?",
                (registration.event_id, key),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                stored = merge_registration(_registration(row), registration)
                await db.execute(UPDATE_REGISTRATION, registration_row(stored))
                return stored
            try:
                await db.execute(INSERT_REGISTRATION, registration_row(registration))
            except sqlite3.IntegrityError as exc:
                message = f"{registration.id!r} belongs to another address; use a fresh id"
                raise RegistrationError("id", message) from exc
        return registration

    async def find_registration(self, like: Registration) -> Registration | None:
        sql = "SELECT * FROM notifier_registrations WHERE event_id = ? AND address_key = ?"
        key = registration_record(like)["address_key"]
        rows = await self._fetch(sql, (like.event_id, key))
        return _registration(rows[0]) if rows else None

    async def get_registration(self, registration_id: str) -> Registration | None:
        sql = "SELECT * FROM notifier_registrations WHERE id = ?"
        rows = await self._fetch(sql, (registration_id,))
        return _registration(rows[0]) if rows else None

    async def confirm_registration(self, registration_id: str) -> Registration | None:
        params = (registration_id,)
        async with self.transaction() as db, db.execute(CONFIRM_REGISTRATION, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _registration(row)

    async def disable_webhook(self, registration_id: str) -> bool:
        async with self.transaction() as db:
            sql = "SELECT * FROM notifier_registrations WHERE id = ?"
            async with db.execute(sql, (registration_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None or not row["webhook_url"]:
                return False
            # a webhook-only registration loses its identity with its URL: address_key() gives
            # it a key of its own, so the URL is free to sign up afresh and merges into nothing
            disabled = replace(_registration(row), webhook_url=None)
            await db.execute(DISABLE_WEBHOOK, registration_row(disabled))
        return True

    async def update_registration(self, changed: Registration) -> Registration | None:
        async with self.transaction() as db:
            sql = "SELECT * FROM notifier_registrations WHERE id = ?"
            async with db.execute(sql, (changed.id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            stored = update_settings(_registration(row), changed)
            await db.execute(UPDATE_REGISTRATION, registration_row(stored))
        return stored

    async def remove_registration(self, registration_id: str) -> bool:
        sql = "DELETE FROM notifier_registrations WHERE id = ?"
        return await self._change(sql, (registration_id,)) == 1

    async def purge_pending(self, created_before: datetime) -> int:
        cutoff = utc_text(created_before, "created_before")
        async with self.transaction() as db:
            async with db.execute(PURGE_PENDING, (cutoff,)) as cursor:
                purged = cursor.rowcount
            # limit windows end long before pending registrations expire: drop them here too
            await db.execute(PURGE_LIMITS, (int(created_before.timestamp()),))
        return purged

    async def hit_limit(self, key: str, limit: int, window_s: int, now: datetime) -> float | None:
        window_start = int(now.timestamp()) // window_s * window_s
        async with self.transaction() as db, db.execute(HIT_LIMIT, (key, window_start)) as cursor:
            row = await cursor.fetchone()
        hits = int(row[0]) if row is not None else 1
        return None if hits <= limit else window_start + window_s - now.timestamp()

    async def list_registrations(self, event_id: str | None = None) -> list[Registration]:
        where, params = _where(event_id=event_id)
        sql = f"SELECT * FROM notifier_registrations {where} ORDER BY created_at, id"  # noqa: S608 (see _where)
        return [_registration(row) for row in await self._fetch(sql, params)]

    async def count_registrations(self, event_id: str) -> int:
        sql = "SELECT COUNT(*) FROM notifier_registrations WHERE event_id = ?"
        rows = await self._fetch(sql, (event_id,))
        return int(rows[0][0])

    async def registration_page(
        self, event_id: str, after_id: str = "", limit: int = 500, upto_id: str | None = None
    ) -> list[Registration]:
        sql = PAGE if upto_id is None else PAGE_UPTO
        params = [event_id, after_id, *([] if upto_id is None else [upto_id]), limit]
        return [_registration(row) for row in await self._fetch(sql, params)]

    async def registrations_for(self, event_id: str, session_id: str) -> list[Registration]:
        return [r for r in await self.list_registrations(event_id) if r.follows(session_id)]

    async def claim_delivery(
        self, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName, now: datetime
    ) -> bool:
        return await self._change(CLAIM, claim_record(key, ref, registration_id, channel, now)) == 1

    async def claim_lease(
        self,
        key: str,
        ref: ReminderRef,
        registration_id: str,
        channel: ChannelName,
        now: datetime,
        *,
        owner: str,
        lease_s: float,
    ) -> int:
        record = claim_record(key, ref, registration_id, channel, now, owner, lease_s)
        async with self.transaction() as db:
            return await _claim_in(db, record, owner)

    async def claim_leases(
        self,
        ref: ReminderRef,
        targets: Sequence[tuple[str, ChannelName]],
        now: datetime,
        *,
        owner: str,
        lease_s: float,
    ) -> list[int]:
        records = claim_records(ref, targets, now, owner, lease_s)
        async with self.transaction() as db:  # one transaction: one fsync for the batch
            return await claim_batch(db, records, owner)

    async def record_delivery(
        self,
        key: str,
        status: DeliveryStatus,
        attempts: int,
        now: datetime,
        error: str | None = None,
        *,
        token: int | None = None,
        lease_s: float | None = None,
    ) -> None:
        write = DeliveryWrite(key, status, attempts, error, token, lease_s)
        async with self.transaction() as db:
            result = await _record_in(db, write, now)
        if result == "missing":
            raise StoreError(f"delivery {key!r} was never claimed; claim_delivery first")
        if result == "taken_over":
            raise ClaimLostError(f"delivery {key!r}: its claim was taken over; not written")

    async def record_deliveries(
        self, writes: Sequence[DeliveryWrite], now: datetime
    ) -> list[WriteResult]:
        async with self.transaction() as db:
            return await record_batch(db, writes, now)

    async def release_delivery(self, key: str) -> None:
        # only a bare claim: a sent or failed record is history and must keep its key taken
        sql = "DELETE FROM notifier_deliveries WHERE key = ? AND status = 'claimed'"
        await self._change(sql, (key,))

    async def get_delivery(self, key: str) -> Delivery | None:
        rows = await self._fetch("SELECT * FROM notifier_deliveries WHERE key = ?", (key,))
        return delivery_from_record(rows[0]) if rows else None

    async def list_deliveries(
        self, event_id: str | None = None, session_id: str | None = None
    ) -> list[Delivery]:
        where, params = _where(event_id=event_id, session_id=session_id)
        sql = f"SELECT * FROM notifier_deliveries {where} ORDER BY created_at, key"  # noqa: S608 (see _where)
        return [delivery_from_record(row) for row in await self._fetch(sql, params)]

    async def get_fanout(self, ref: ReminderRef) -> Fanout | None:
        rows = await self._fetch("SELECT * FROM notifier_fanouts WHERE key = ?", (ref.key,))
        return fanout_from_record(rows[0], json.loads(rows[0]["counts"])) if rows else None

    async def record_fanout(
        self, ref: ReminderRef, status: FanoutStatus, now: datetime, counts: dict[str, int]
    ) -> None:
        record = fanout_record(ref, status, now, counts)
        await self._change(RECORD_FANOUT, {**record, "counts": json.dumps(record["counts"])})

    async def session_sequence(self, event_id: str, session_id: str, start_utc: datetime) -> int:
        params = (event_id, session_id, utc_text(start_utc, "start_utc"))
        async with self.transaction() as db, db.execute(NEXT_SEQUENCE, params) as cursor:
            row = await cursor.fetchone()
        if row is None:  # RETURNING always yields the row; this only guards a broken SQLite
            raise StoreError(f"sqlite store {self._path}: no sequence for {session_id!r}")
        return int(row[0])

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    async def aclose(self) -> None:
        await self._db.close()


async def _claim_in(db: aiosqlite.Connection, record: dict[str, Any], owner: str) -> int:
    """One lease claim inside the caller's transaction (see ``Store.claim_lease``)."""
    async with db.execute(CLAIM, record) as cursor:
        if cursor.rowcount == 1:
            return 1
    sql = "SELECT status, owner, token FROM notifier_deliveries WHERE key = ?"
    async with db.execute(sql, (record["key"],)) as cursor:
        row = await cursor.fetchone()
    if row is None or row["status"] != "claimed":
        return 0
    if row["owner"] == owner:
        return int(row["token"])  # ours already: a retry after a lost reply
    now_text = record["updated_at"]
    params = (owner, record["lease_until"], now_text, record["key"], now_text)
    async with db.execute(TAKE_OVER, params) as cursor:
        taken = await cursor.fetchone()
    return 0 if taken is None else int(taken[0])


async def _record_in(db: aiosqlite.Connection, write: DeliveryWrite, now: datetime) -> WriteResult:
    """One outcome inside the caller's transaction, fenced by its token when it has one."""
    now_text = utc_text(now, "now")
    sent_at = now_text if write.status == "sent" else None
    lease = lease_text(now, write.lease_s) if write.status == "claimed" else None
    sql = "SELECT token, lease_until FROM notifier_deliveries WHERE key = ?"
    async with db.execute(sql, (write.key,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return "missing"
    if write.token is not None and int(row["token"]) != write.token:
        return "taken_over"
    if write.status == "claimed" and lease is None:
        lease = row["lease_until"]  # a progress note without renewal keeps the lease
    params = (write.status, write.attempts, now_text, write.error, sent_at, lease, write.key)
    await db.execute(RECORD, params)
    return "written"


def _where(**columns: str | None) -> tuple[str, list[str]]:
    """``WHERE a = ? AND b = ?`` for the columns given a value: names are ours, values bound."""
    given = {name: value for name, value in columns.items() if value is not None}
    if not given:
        return "", []
    return "WHERE " + " AND ".join(f"{name} = ?" for name in given), list(given.values())


def registration_row(registration: Registration) -> dict[str, Any]:
    """The SQL parameters of one registration row (benchmarks seed tables with it too)."""
    record = registration_record(registration)
    offsets = record["reminder_offsets_s"]
    return {
        **record,
        "sessions": json.dumps(record["sessions"]),  # JSON null: whole event
        "reminder_offsets_s": None if offsets is None else json.dumps(offsets),
        "left_sessions": json.dumps(record["left_sessions"]),
    }


def _registration(row: sqlite3.Row) -> Registration:
    offsets = row["reminder_offsets_s"]
    return registration_from_record(
        {
            **dict(row),
            "sessions": json.loads(row["sessions"]),
            "reminder_offsets_s": None if offsets is None else json.loads(offsets),
            "left_sessions": json.loads(row["left_sessions"] or "[]"),
        }
    )
