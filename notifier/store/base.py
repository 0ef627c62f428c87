"""The store's interface: registrations and the delivery log, one Protocol, two backends.

Backends (``sqlite.py``, ``redis.py``) sit beside this file, as APScheduler 3's job stores do;
``tests/store/`` runs one contract suite over both.

A ``StoreError`` from ``claim_delivery`` means the outcome is unknown (a timed-out claim may
have landed), so callers must not send. ``claim_lease`` (the fan-out's claim) can be retried
instead: the same owner gets its own claim back, and a claim whose lease ran out is taken over
with the next fencing token, which ``record_delivery(token=…)`` checks.
``release_delivery`` drops only records still ``claimed``; ``record_delivery(error=None)``
clears ``last_error``; email identity ignores case; a re-registration's None fields keep the
stored values.

Delivery keys are claimed before anything is sent (claim first: a crash after SMTP 250 must not
mail 2,000 people twice), so a key is sent at most once by a store's claim. A key carries the
session's instant, so a moved session is announced again under a new key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

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


class Store(Protocol):
    """Registrations, the delivery log and fan-out records. Every method is non-blocking."""

    async def add_registration(self, registration: Registration) -> Registration:
        """Insert, or merge into the registration with the same event and address.

        Returns the stored registration (its ``id`` is the existing one when merged). A merge
        keeps ``confirmed`` True once it was True (re-registering never un-confirms).
        """

    async def get_registration(self, registration_id: str) -> Registration | None: ...

    async def find_registration(self, like: Registration) -> Registration | None:
        """The registration ``add_registration(like)`` would merge into (same event and
        address), without writing anything; None if there is none."""

    async def confirm_registration(self, registration_id: str) -> Registration | None:
        """Mark it confirmed (idempotent); None if there is no such registration."""

    async def disable_webhook(self, registration_id: str) -> bool:
        """Drop its webhook URL (the endpoint answered 410 Gone); True if it had one."""

    async def update_registration(self, changed: Registration) -> Registration | None:
        """Replace the participant's own settings (zone, language, sessions, attendance,
        reminder offsets) of the registration ``changed.id``; its address and ``confirmed``
        stay. Returns the stored registration, or None if there is no such registration."""

    async def remove_registration(self, registration_id: str) -> bool:
        """Delete it; True if it existed. Its delivery records stay (they are history)."""

    async def purge_pending(self, created_before: datetime) -> int:
        """Delete registrations never confirmed and created before ``created_before`` (their
        confirmation link expired with them); returns how many."""

    async def list_registrations(self, event_id: str | None = None) -> list[Registration]: ...

    async def count_registrations(self, event_id: str) -> int:
        """How many registrations the event has (for metrics), without reading them."""

    async def registrations_for(self, event_id: str, session_id: str) -> list[Registration]:
        """Registrations that follow this session (whole-event ones included)."""

    async def registration_page(
        self, event_id: str, after_id: str = "", limit: int = 500, upto_id: str | None = None
    ) -> list[Registration]:
        """Up to ``limit`` of the event's registrations with ids after ``after_id`` (and at
        most ``upto_id``), in id order: a keyset page. The fan-out reads its audience this way,
        so memory stays flat however many follow a session; pass the last id for the next page.
        A registration added or removed meanwhile is seen at most once, never twice."""

    async def claim_delivery(
        self, key: str, ref: ReminderRef, registration_id: str, channel: ChannelName, now: datetime
    ) -> bool:
        """Atomically create the record with status ``claimed``; False if the key exists.

        ``key`` starts with ``ref.event_id/`` (``delivery_key`` builds it so): the Redis store
        finds a delivery's cluster slot from its key alone. Another key is a StoreError."""

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
        """Claim with a lease; the claim's fencing token, or 0 if someone else holds the key.

        Atomically: a new key is created ``claimed`` by ``owner`` until ``now + lease_s``
        (token 1). A key still ``claimed`` by ``owner`` gives its token again (a retried call
        whose first reply was lost). A key still ``claimed`` whose lease ran out (its owner
        died mid fan-out) is taken over: new owner and lease, token + 1. Anything else: 0.
        """

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
        """Update a claimed record's outcome (``sent_at`` is set when status is ``sent``).

        With ``token``: raise :class:`ClaimLostError` (writing nothing) if the claim's token is
        no longer it (taken over: the fencing check). ``lease_s`` with status ``claimed``
        renews the lease from ``now``; any other status ends it.
        """

    async def claim_leases(
        self,
        ref: ReminderRef,
        targets: Sequence[tuple[str, ChannelName]],
        now: datetime,
        *,
        owner: str,
        lease_s: float,
    ) -> list[int]:
        """:meth:`claim_lease` for many (registration id, channel) of one reminder, in one
        round trip and one atomic step; the tokens in the order given: 0 for a key that is no
        longer ``claimed`` (done), -1 for a live claim of another owner (it may still finish,
        or its lease may run out: the caller comes back for it)."""

    async def record_deliveries(
        self, writes: Sequence[DeliveryWrite], now: datetime
    ) -> list[WriteResult]:
        """:meth:`record_delivery` for many claims of one reminder in one atomic step.

        Never raises for one write: each gets ``written``, ``missing`` (never claimed) or
        ``taken_over`` (its token is stale: the fencing check; nothing written for it)."""

    async def release_delivery(self, key: str) -> None:
        """Drop a claim that was never attempted (shutdown hands it back for a later run)."""

    async def get_delivery(self, key: str) -> Delivery | None: ...

    async def list_deliveries(
        self, event_id: str | None = None, session_id: str | None = None
    ) -> list[Delivery]: ...

    async def get_fanout(self, ref: ReminderRef) -> Fanout | None: ...

    async def record_fanout(
        self, ref: ReminderRef, status: FanoutStatus, now: datetime, counts: dict[str, int]
    ) -> None: ...

    async def session_sequence(self, event_id: str, session_id: str, start_utc: datetime) -> int:
        """The iCalendar SEQUENCE for the session: 0 at first, +1 each time its start moves."""

    async def hit_limit(self, key: str, limit: int, window_s: int, now: datetime) -> float | None:
        """Count one hit on ``key`` in the current fixed window of ``window_s`` seconds.

        None while the window holds at most ``limit`` hits, else the seconds until it ends (a
        ``Retry-After``). Shared by every process on the store, so replicas share the limit.
        Keys are hashed by the caller when they name a person (an address, a client).
        """

    async def ping(self) -> None:
        """Raise :class:`StoreError` if the backend is unreachable."""

    async def aclose(self) -> None: ...
