"""The SQLite store's tables, the statements that change them, and the upgrade of older files.

Tables are prefixed ``notifier_`` because APScheduler's SQLAlchemy job store may share the
file. :func:`create_schema` runs inside the immediate transaction that opens the store, so two
processes opening one older file at once upgrade it once: the second waits for the write lock
and then finds the columns already there.
"""

from __future__ import annotations

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifier_registrations (
    id TEXT PRIMARY KEY, event_id TEXT NOT NULL, address_key TEXT NOT NULL,
    timezone TEXT NOT NULL, created_at TEXT NOT NULL, email TEXT, webhook_url TEXT,
    sessions TEXT NOT NULL, attendance TEXT NOT NULL, language TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS notifier_registrations_address
    ON notifier_registrations (event_id, address_key);
CREATE INDEX IF NOT EXISTS notifier_registrations_by_event ON notifier_registrations (event_id, id);
CREATE TABLE IF NOT EXISTS notifier_deliveries (
    key TEXT PRIMARY KEY, event_id TEXT NOT NULL, session_id TEXT NOT NULL,
    start_utc TEXT NOT NULL, offset_s INTEGER NOT NULL, registration_id TEXT NOT NULL,
    channel TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_error TEXT, sent_at TEXT,
    owner TEXT, lease_until TEXT, token INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS notifier_deliveries_by ON notifier_deliveries (event_id, session_id);
CREATE TABLE IF NOT EXISTS notifier_fanouts (
    key TEXT PRIMARY KEY, event_id TEXT NOT NULL, session_id TEXT NOT NULL,
    start_utc TEXT NOT NULL, offset_s INTEGER NOT NULL, status TEXT NOT NULL,
    updated_at TEXT NOT NULL, counts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notifier_limits (
    key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, hits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notifier_session_sequences (
    event_id TEXT NOT NULL, session_id TEXT NOT NULL, start_utc TEXT NOT NULL,
    sequence INTEGER NOT NULL, PRIMARY KEY (event_id, session_id));
"""
# columns added since a table was first shipped: (table, column, definition). The default is
# what every older row meant: registrations before double opt-in were all confirmed.
ADDED_COLUMNS = (
    ("notifier_registrations", "confirmed", "INTEGER NOT NULL DEFAULT 1"),
    ("notifier_deliveries", "owner", "TEXT"),
    ("notifier_deliveries", "lease_until", "TEXT"),
    ("notifier_deliveries", "token", "INTEGER NOT NULL DEFAULT 1"),
    # JSON list of seconds, or NULL: every reminder (what each row meant before the manage page)
    ("notifier_registrations", "reminder_offsets_s", "TEXT"),
    # JSON list of session ids, or NULL: none left
    ("notifier_registrations", "left_sessions", "TEXT"),
)
# indexes on added columns: made once the columns are there
ADDED_INDEXES = (
    """CREATE INDEX IF NOT EXISTS notifier_registrations_pending
    ON notifier_registrations (confirmed, created_at)""",
)

# columns named: a table upgraded by ADD COLUMN and a new one may not list them in one order
INSERT_REGISTRATION = """INSERT INTO notifier_registrations (id, event_id, address_key, timezone,
    created_at, email, webhook_url, sessions, attendance, language, confirmed,
    reminder_offsets_s, left_sessions) VALUES (:id, :event_id, :address_key, :timezone,
    :created_at, :email, :webhook_url, :sessions, :attendance, :language, :confirmed,
    :reminder_offsets_s, :left_sessions)"""
UPDATE_REGISTRATION = """UPDATE notifier_registrations SET timezone = :timezone, email = :email,
    webhook_url = :webhook_url, sessions = :sessions, attendance = :attendance,
    language = :language, confirmed = :confirmed, reminder_offsets_s = :reminder_offsets_s,
    left_sessions = :left_sessions
    WHERE id = :id"""
CONFIRM_REGISTRATION = """UPDATE notifier_registrations SET confirmed = 1 WHERE id = ?
    RETURNING *"""
DISABLE_WEBHOOK = """UPDATE notifier_registrations SET webhook_url = NULL,
    address_key = :address_key WHERE id = :id"""
CLAIM = """INSERT INTO notifier_deliveries (key, event_id, session_id, start_utc, offset_s,
    registration_id, channel, status, attempts, created_at, updated_at, last_error, sent_at,
    owner, lease_until, token) VALUES (:key, :event_id, :session_id, :start_utc, :offset_s,
    :registration_id, :channel, :status, :attempts, :created_at, :updated_at, :last_error,
    :sent_at, :owner, :lease_until, :token) ON CONFLICT (key) DO NOTHING"""
# a claim whose lease ran out changes hands: new owner and lease, the next fencing token
TAKE_OVER = """UPDATE notifier_deliveries SET owner = ?, lease_until = ?, token = token + 1,
    updated_at = ? WHERE key = ? AND status = 'claimed' AND lease_until IS NOT NULL
    AND lease_until <= ? RETURNING token"""
RECORD_FANOUT = """INSERT OR REPLACE INTO notifier_fanouts VALUES (:key, :event_id, :session_id,
    :start_utc, :offset_s, :status, :updated_at, :counts)"""
RECORD = """UPDATE notifier_deliveries SET status = ?, attempts = ?, updated_at = ?,
    last_error = ?, sent_at = COALESCE(?, sent_at), lease_until = ? WHERE key = ?"""
# a keyset page of one event's registrations, in id order (the index by event and id)
PAGE = """SELECT * FROM notifier_registrations WHERE event_id = ? AND id > ?
    ORDER BY id LIMIT ?"""
PAGE_UPTO = """SELECT * FROM notifier_registrations WHERE event_id = ? AND id > ? AND id <= ?
    ORDER BY id LIMIT ?"""
# one statement: a hit in a new window starts its count again at 1
HIT_LIMIT = """INSERT INTO notifier_limits VALUES (?, ?, 1)
    ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN window_start = excluded.window_start THEN hits + 1 ELSE 1 END,
    window_start = excluded.window_start
    RETURNING hits"""
PURGE_PENDING = """DELETE FROM notifier_registrations WHERE confirmed = 0 AND created_at < ?"""
PURGE_LIMITS = """DELETE FROM notifier_limits WHERE window_start < ?"""
# one statement: the stored start is compared and replaced within the same row update
NEXT_SEQUENCE = """INSERT INTO notifier_session_sequences VALUES (?, ?, ?, 0)
    ON CONFLICT (event_id, session_id) DO UPDATE SET
    sequence = sequence + (start_utc != excluded.start_utc), start_utc = excluded.start_utc
    RETURNING sequence"""


async def create_schema(db: aiosqlite.Connection) -> None:
    """Create missing tables, then add the columns an older file lacks (caller's transaction).

    ``executescript`` would commit a transaction already open, so the statements of
    :data:`SCHEMA` run one by one, inside the caller's ``BEGIN IMMEDIATE``.
    """
    for statement in SCHEMA.split(";"):
        if statement.strip():
            await db.execute(statement)
    for table, column, definition in ADDED_COLUMNS:
        async with db.execute(f"PRAGMA table_info({table})") as cursor:
            present = {row[1] for row in await cursor.fetchall()}  # (cid, name, type, …)
        if column not in present:
            await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    for statement in ADDED_INDEXES:
        await db.execute(statement)
