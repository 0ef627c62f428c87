"""What both backends share: UTC text for instants, address identity, merging, records.

Records are flat (a reminder's fields sit beside the delivery's) so that one reader serves an
SQLite row and a Redis JSON object alike. Instants are stored as UTC ISO 8601 text with
microseconds always written, so text order is time order and a value read back compares equal
to the one written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from notifier.errors import RegistrationError, StoreError
from notifier.records import (
    ChannelName,
    Delivery,
    Fanout,
    FanoutStatus,
    Registration,
    ReminderRef,
    delivery_key,
)

REGISTRATION_FIELDS = tuple(Registration.__dataclass_fields__)


class Record(Protocol):
    """A stored record by field name: a JSON object or an ``sqlite3.Row``."""

    def __getitem__(self, name: str, /) -> Any: ...


def utc_text(value: datetime, name: str) -> str:
    """``2023-05-23T07:10:00.000000+00:00``; a naive datetime is refused, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"{name}: naive datetime {value.isoformat()}; pass an aware one (UTC)")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def check_registration(registration: Registration) -> None:
    """Refuse a registration the store could not identify or order."""
    if not registration.email and not registration.webhook_url:
        raise RegistrationError("email", "give an email address or a webhook_url")
    if registration.created_at.tzinfo is None:
        raise RegistrationError("created_at", "naive datetime; pass an aware one (UTC)")


def address_key(registration: Registration) -> str:
    """sha256 of the identity address: the email (case-folded), else the webhook URL.

    Hashed so that keys and indexes never hold a whole address (STYLE: never whole addresses).
    A registration left with no address (a webhook-only one whose webhook was disabled) gets
    ``none:{id}``: a key of its own, so no later sign-up merges into it, and never a sha256
    hex, so it collides with no address (all of them hashing ``webhook:`` would break the
    unique index, and would merge strangers).
    """
    if registration.email:
        address = "email:" + registration.email.strip().lower()
    elif registration.webhook_url:
        address = "webhook:" + registration.webhook_url.strip()
    else:
        return f"none:{registration.id}"
    return hashlib.sha256(address.encode()).hexdigest()


def merge_registration(existing: Registration, incoming: Registration) -> Registration:
    """Re-registration of one address: new details win, sessions are a union.

    ``sessions`` None (the whole event) wins over any list. An address left out of
    ``incoming`` (None) keeps the stored one, so registering for one more session by email
    does not drop a webhook given earlier (and giving a disabled webhook again restores it).
    The id and ``created_at`` stay the original's. ``confirmed`` never goes back to False: an
    unconfirmed sign-up of a confirmed address must not hold its reminders back.
    """
    sessions: tuple[str, ...] | None = None
    if existing.sessions is not None and incoming.sessions is not None:
        sessions = tuple(dict.fromkeys(existing.sessions + incoming.sessions))
    return replace(
        existing,
        timezone=incoming.timezone,
        attendance=incoming.attendance,
        language=incoming.language,
        email=incoming.email or existing.email,
        webhook_url=incoming.webhook_url or existing.webhook_url,
        sessions=sessions,
        confirmed=existing.confirmed or incoming.confirmed,
        # chosen on the manage page: a sign-up that says nothing about it keeps the choice
        reminder_offsets_s=(
            existing.reminder_offsets_s
            if incoming.reminder_offsets_s is None
            else incoming.reminder_offsets_s
        ),
        # a session followed again is no longer one they left
        left_sessions=tuple(
            s for s in existing.left_sessions if sessions is not None and s not in sessions
        ),
    )


def update_settings(existing: Registration, changed: Registration) -> Registration:
    """``existing`` with the participant's own settings from ``changed`` (the manage page).

    Unlike a merge, sessions and reminder offsets are replaced, not joined; the address, id,
    ``created_at`` and ``confirmed`` stay the stored ones (a manage link changes no identity).
    """
    return replace(
        existing,
        timezone=changed.timezone,
        attendance=changed.attendance,
        language=changed.language,
        sessions=changed.sessions,
        reminder_offsets_s=changed.reminder_offsets_s,
        left_sessions=changed.left_sessions,
    )


def registration_record(registration: Registration) -> dict[str, Any]:
    """A flat record (a row, a JSON object) with ``address_key`` for the identity index."""
    record = {name: getattr(registration, name) for name in REGISTRATION_FIELDS}
    record["created_at"] = utc_text(registration.created_at, "created_at")
    record["sessions"] = None if registration.sessions is None else list(registration.sessions)
    offsets = registration.reminder_offsets_s
    record["reminder_offsets_s"] = None if offsets is None else list(offsets)
    record["left_sessions"] = list(registration.left_sessions)
    record["address_key"] = address_key(registration)
    return record


def registration_from_record(record: Mapping[str, Any]) -> Registration:
    """Read :func:`registration_record` back (``sessions`` already decoded to a list)."""
    optional = ("confirmed", "reminder_offsets_s", "left_sessions")
    fields = {name: record[name] for name in REGISTRATION_FIELDS if name not in optional}
    fields["created_at"] = parse_utc(record["created_at"])
    fields["sessions"] = None if record["sessions"] is None else tuple(record["sessions"])
    # records written before the manage page have no offsets: they wanted every reminder
    offsets = record.get("reminder_offsets_s")
    fields["reminder_offsets_s"] = None if offsets is None else tuple(int(o) for o in offsets)
    fields["left_sessions"] = tuple(record.get("left_sessions") or ())
    # records written before double opt-in have no "confirmed": all of those were confirmed
    # (SQLite gets the same from its column default); SQLite also hands back 0/1, not a bool
    fields["confirmed"] = bool(record.get("confirmed", True))
    return Registration(**fields)


def ref_record(ref: ReminderRef) -> dict[str, Any]:
    return {
        "event_id": ref.event_id,
        "session_id": ref.session_id,
        "start_utc": utc_text(ref.start_utc, "start_utc"),
        "offset_s": ref.offset_s,
    }


def ref_from_record(record: Record) -> ReminderRef:
    start_utc = parse_utc(record["start_utc"])
    return ReminderRef(record["event_id"], record["session_id"], start_utc, int(record["offset_s"]))


def claim_record(
    key: str,
    ref: ReminderRef,
    registration_id: str,
    channel: ChannelName,
    now: datetime,
    owner: str | None = None,
    lease_s: float | None = None,
) -> dict[str, Any]:
    """A new delivery record, status ``claimed``, flat: the ref's fields sit beside the rest."""
    if not key.startswith(f"{ref.event_id}/"):
        # the Redis store finds a delivery's slot from the key alone (its event's hash tag)
        raise StoreError(
            f"delivery key {key!r} does not start with its event {ref.event_id!r}/;"
            " build it with notifier.records.delivery_key"
        )
    now_text = utc_text(now, "now")
    return {
        "key": key,
        **ref_record(ref),
        "registration_id": registration_id,
        "channel": channel,
        "status": "claimed",
        "attempts": 0,
        "created_at": now_text,
        "updated_at": now_text,
        "last_error": None,
        "sent_at": None,
        "owner": owner,
        "lease_until": lease_text(now, lease_s),
        "token": 1,
    }


def claim_records(
    ref: ReminderRef,
    targets: Sequence[tuple[str, ChannelName]],
    now: datetime,
    owner: str | None = None,
    lease_s: float | None = None,
) -> list[dict[str, Any]]:
    """:func:`claim_record` for a page of (registration id, channel): what they share (the
    ref, the times, the owner) is worked out once, not once per target."""
    if not targets:
        return []
    rid, channel = targets[0]
    base = claim_record(delivery_key(ref, rid, channel), ref, rid, channel, now, owner, lease_s)
    return [
        {**base, "key": delivery_key(ref, rid, channel), "registration_id": rid, "channel": channel}
        for rid, channel in targets
    ]


def lease_text(now: datetime, lease_s: float | None) -> str | None:
    """When a lease of ``lease_s`` taken at ``now`` runs out, as stored; None: never."""
    return None if lease_s is None else utc_text(now + timedelta(seconds=lease_s), "now")


def _optional(record: Record, name: str) -> Any:
    """A field records made before it existed lack (a dict, or a row of an upgraded table)."""
    try:
        return record[name]
    except (KeyError, IndexError):
        return None


def delivery_from_record(record: Record) -> Delivery:
    return Delivery(
        key=record["key"],
        ref=ref_from_record(record),
        registration_id=record["registration_id"],
        channel=record["channel"],
        status=record["status"],
        attempts=int(record["attempts"]),
        created_at=parse_utc(record["created_at"]),
        updated_at=parse_utc(record["updated_at"]),
        last_error=record["last_error"],
        sent_at=None if record["sent_at"] is None else parse_utc(record["sent_at"]),
        owner=_optional(record, "owner"),
        lease_until=None
        if not _optional(record, "lease_until")
        else parse_utc(record["lease_until"]),
        token=int(_optional(record, "token") or 1),
    )


def fanout_record(
    ref: ReminderRef, status: FanoutStatus, now: datetime, counts: dict[str, int]
) -> dict[str, Any]:
    """A fan-out record, flat, keyed by the reminder's key; ``counts`` left as a dict."""
    updated_at = utc_text(now, "now")
    return {
        "key": ref.key,
        **ref_record(ref),
        "status": status,
        "updated_at": updated_at,
        "counts": dict(counts),
    }


def fanout_from_record(record: Record, counts: dict[str, Any] | None = None) -> Fanout:
    """Read :func:`fanout_record` back; ``counts`` if the record holds them encoded."""
    counts = record["counts"] if counts is None else counts
    counted = {str(name): int(n) for name, n in counts.items()}
    return Fanout(
        ref_from_record(record), record["status"], parse_utc(record["updated_at"]), counted
    )
