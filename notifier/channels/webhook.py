"""Webhooks: one signed JSON POST per reminder, over pooled HTTP/1.1 (:mod:`.http1`).

Payload version "1" (``application/json``, UTF-8; ``//`` notes are not part of it)::

    {"type": "reminder", "version": "1",
     "delivery_id": "ccpcj-32-gitoc/side-event/20230523T071000Z/3600/reg-1/webhook",
     "event": {"id": "ccpcj-32-gitoc", "name": "The Global Initiative at the 32nd CCPCJ"},
     "session": {
       "id": "side-event", "title": "The dynamics of …", "kind": "session",  // or "deadline"
       "start_utc": "2023-05-23T07:10:00Z",
       "end_utc": "2023-05-23T08:00:00Z",            // null for deadlines and open ends
       "start_local": "2023-05-23T16:10:00+09:00",   // in the participant's zone
       "end_local": "2023-05-23T17:00:00+09:00",     // null when end_utc is
       "timezone": "Asia/Tokyo",                     // the participant's zone
       "venue_zone": "Europe/Vienna", "venue_start": "2023-05-23T09:10:00+02:00",
       "join_url": "https://…",                      // null: none, or not http(s)
       "room": "Board Room B", "venue": "Vienna International Centre"},  // null: not given
     "reminder": {"offset": "1h", "offset_s": 3600,  // as planned
                  "sent_at": "2023-05-23T06:10:00Z", // when composed
                  "starts_in_s": 3600},              // from sent_at; negative once started
     "unsubscribe_url": "https://reminders.example.org/unsubscribe/…",
     "manage_url": "https://reminders.example.org/manage/…",       // change zone, sessions…
     "calendar_url": "https://reminders.example.org/calendar/….ics"}  // the private feed

Headers follow Standard Webhooks (https://www.standardwebhooks.com/): ``webhook-id`` is
``msg_`` plus 32 hex digits of sha256(delivery_id), the same on every retry so receivers can
drop duplicates; ``webhook-timestamp`` is the attempt's Unix time in seconds;
``webhook-signature`` is ``v1,`` plus the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``,
keyed with the registration's ``whsec_`` secret (:func:`webhook_secret`, the text form of
:func:`webhook_key`, which the channel signs with).

Answers: 2xx is delivered; 410 disables the webhook; 3xx and other 4xx fail for good
(redirects are not followed: they could lead past the address guard); 408, 429 and 5xx are
retried, after ``Retry-After`` when the receiver sends one (an hour at most).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import cast
from zoneinfo import ZoneInfo

from notifier.channels.base import ReminderMessage
from notifier.channels.compose import safe_link, zone_for_message
from notifier.channels.http1 import Http1Client, Target
from notifier.channels.ssrf import AddressGuard, GuardedLookup, parse_webhook_url
from notifier.errors import (
    GoneDeliveryError,
    PermanentDeliveryError,
    SettingsError,
    TransientDeliveryError,
)
from notifier.events import Session
from notifier.records import ChannelName, Registration
from notifier.settings import Settings
from notifier.times import format_duration, utc_z

PAYLOAD_VERSION = "1"
_MAX_RETRY_AFTER_S = 3600.0
_MAX_ORIGINS = 1024  # receivers whose URL's origin is kept read (a fan-out reaches a few)
# a path and query yarl would write as they are: taken as written, with no URL parse per send
_PLAIN_PATH = re.compile(r"(?:/[\w\-.~!$&'()*+,;=:@]*)+(?:\?[\w\-.~!$&'()*+,;=:@/?]+)?", re.ASCII)
_PATH_START = re.compile(r"[/?#]")
_MAX_TEMPLATES = 512  # payload skeletons kept (zones x reminders in flight), least recent out
# what differs between participants of one reminder and zone: filled into the skeleton
_Template = tuple[Session, datetime, tuple[str, ...]]  # the session, its start in UTC, literals
_SLOTS = ("delivery_id", "sent_at", "starts_in_s", "unsubscribe_url", "manage_url", "calendar_url")


def webhook_key(server_secret: str, registration_id: str) -> bytes:
    """The HMAC key of one registration, derived from the server's signing secret.

    Nothing to store: every replica with the same NOTIFIER_SIGNING_SECRET derives the same key.
    """
    return hmac.digest(server_secret.encode(), f"webhook:{registration_id}".encode(), "sha256")


def webhook_secret(server_secret: str, registration_id: str) -> str:
    """``whsec_…``: :func:`webhook_key` as receivers configure it (Standard Webhooks' form)."""
    return secret_text(webhook_key(server_secret, registration_id))


def secret_text(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode("ascii")


def build_payload(message: ReminderMessage) -> dict[str, object]:
    """The version "1" JSON document (module docstring); pure, like the email composer."""
    session = message.session
    your_tz = zone_for_message(message.registration.timezone, "the registration's time zone")
    venue_tz = zone_for_message(session.zone, f"session {session.id}'s zone")
    end = None if session.kind == "deadline" else session.end
    return {
        "type": "reminder",
        "version": PAYLOAD_VERSION,
        "delivery_id": message.delivery_key,
        "event": {"id": message.event_id, "name": message.event_name},
        "session": {
            "id": session.id,
            "title": session.title,
            "kind": session.kind,
            "start_utc": utc_z(session.start),
            "end_utc": utc_z(end) if end else None,
            "start_local": _iso(session.start, your_tz),
            "end_local": _iso(end, your_tz) if end else None,
            "timezone": your_tz.key,
            "venue_zone": venue_tz.key,
            "venue_start": _iso(session.start, venue_tz),
            "join_url": safe_link(session.join_url),
            "room": session.room or None,
            "venue": session.venue or None,
        },
        "reminder": {
            "offset": format_duration(message.offset),
            "offset_s": int(message.offset.total_seconds()),
            "sent_at": utc_z(message.now_utc),
            "starts_in_s": round((session.start_utc - message.now_utc).total_seconds()),
        },
        "unsubscribe_url": message.unsubscribe_url,
        "manage_url": message.manage_url,
        "calendar_url": message.calendar_url,
    }


class PayloadTemplates:
    """The JSON body of :func:`build_payload`, written once per reminder and zone.

    Participants of one reminder who share a zone get the same document but for six fields
    (``_SLOTS``); the first one's document is dumped with markers in those fields and cut
    there, and each later body is the literals with the participant's values encoded as
    ``json.dumps`` encodes them. Same bytes as ``json.dumps(build_payload(message),
    ensure_ascii=False, separators=(",", ":"))`` (``tests/channels/test_webhook.py``).
    """

    def __init__(self, max_templates: int = _MAX_TEMPLATES) -> None:
        self._max = max_templates
        # by the session's id, not the session: hashing every field of it per body cost more
        # than the lookup; the value holds the session, so that id is not reused while kept
        self._templates: OrderedDict[Hashable, _Template] = OrderedDict()

    def body(self, message: ReminderMessage) -> bytes:
        start_utc, literals = self._template(message)
        values = _slot_values(message, start_utc)
        pieces = [literals[0]]
        for value, literal in zip(values, literals[1:], strict=True):
            pieces += (value, literal)
        return "".join(pieces).encode()

    def _template(self, message: ReminderMessage) -> tuple[datetime, tuple[str, ...]]:
        """The session's start in UTC (a conversion per body otherwise) and the literals."""
        key = (
            message.event_id,
            message.event_name,
            id(message.session),
            message.registration.timezone,
            message.offset,
        )
        found = self._templates.get(key)
        if found is not None and found[0] is message.session:
            self._templates.move_to_end(key)
            return found[1], found[2]
        template = (message.session, message.session.start_utc, _cut_payload(message))
        self._templates[key] = template
        if len(self._templates) > self._max:
            self._templates.popitem(last=False)
        return template[1], template[2]


def _slot_values(message: ReminderMessage, start_utc: datetime) -> tuple[str, ...]:
    """The six per-participant fields, JSON-encoded (``build_payload``'s order: ``_SLOTS``)."""
    return (
        encode_basestring(message.delivery_key),
        _sent_at(int(message.now_utc.timestamp())),
        int.__repr__(round((start_utc - message.now_utc).total_seconds())),
        encode_basestring(message.unsubscribe_url),
        "null" if message.manage_url is None else encode_basestring(message.manage_url),
        "null" if message.calendar_url is None else encode_basestring(message.calendar_url),
    )


@lru_cache(maxsize=4)  # strftime per delivery cost more than the rest of the slots together
def _sent_at(second: int) -> str:
    """``sent_at`` JSON-encoded: ``utc_z`` of the whole second (it drops the fraction)."""
    return encode_basestring(utc_z(datetime.fromtimestamp(second, UTC)))


def _cut_payload(message: ReminderMessage) -> tuple[str, ...]:
    """The document dumped with a random marker in each slot, cut at the markers."""
    marker = secrets.token_hex(12)  # no title or URL can hold it by chance
    document = build_payload(replace(message, delivery_key=marker))
    reminder = cast(dict[str, object], document["reminder"])  # build_payload's own shape
    document["delivery_id"] = f"{marker}:0"
    reminder["sent_at"] = f"{marker}:1"
    reminder["starts_in_s"] = f"{marker}:2"
    for index, name in enumerate(_SLOTS[3:], start=3):
        document[name] = f"{marker}:{index}"
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    literals = []
    for index in range(len(_SLOTS)):
        before, found, text = text.partition(f'"{marker}:{index}"')
        if not found:  # cannot happen: every slot was set above
            raise RuntimeError(f"webhook payload slot {_SLOTS[index]} not found")
        literals.append(before)
    literals.append(text)
    return tuple(literals)


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), capped at an hour."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        delay = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None  # absent or unreadable: the fan-out's own backoff decides
        delay = when.replace(tzinfo=when.tzinfo or UTC).timestamp() - now_s
    return min(max(delay, 0.0), _MAX_RETRY_AFTER_S)


class WebhookChannel:
    """POSTs signed reminders over pooled HTTP/1.1 connections to guarded addresses only."""

    name: ChannelName = "webhook"

    def __init__(
        self,
        *,
        key_for: Callable[[Registration], bytes],
        guard: AddressGuard,
        timeout_s: float = 10.0,
        pool_size: int = 10,
        user_agent: str = "notifier-webhooks/1",
        clock: Callable[[], float] = time.time,
        ssl_context: ssl.SSLContext | None = None,  # None: the system's CAs, verified
    ) -> None:
        if pool_size < 1 or timeout_s <= 0:
            raise SettingsError("the webhook pool size and timeout must be positive")
        self._key_for, self._guard, self._clock = key_for, guard, clock
        self._http = Http1Client(
            GuardedLookup(guard),
            pool_size=pool_size,
            timeout_s=timeout_s,
            user_agent=user_agent,
            ssl_context=ssl_context,
        )
        self._targets: dict[str, Target] = {}  # by the URL up to its path: scheme://host:port
        self._payloads = PayloadTemplates()

    async def send(self, message: ReminderMessage) -> str:
        """Deliver one reminder; return ``HTTP 200`` (the status) for the delivery log."""
        url = message.registration.webhook_url
        if not url:
            raise PermanentDeliveryError(f"registration {message.registration.id} has no webhook")
        target, path_qs = self._target(url)
        body = self._payloads.body(message)
        key = self._key_for(message.registration)
        fields = _signed_fields(key, message.delivery_key, int(self._clock()), body)
        status, retry_after, _ = await self._http.post(target, path_qs, fields, body)
        if 200 <= status < 300:  # the common answer: no message to build
            return f"HTTP {status}"
        return _judge(status, retry_after, target.where, self._clock())

    async def verify(self, registration: Registration, event_name: str, challenge: str) -> bool:
        """POST a signed verification request; True once the receiver echoes ``challenge``.

        The body carries the registration's ``whsec_`` secret: only the receiver learns it, so
        no API answer has to (and none reveals whether a URL was registered before). The echo
        is the body ``{"challenge": "…"}`` or the bare challenge, with a 2xx status.
        """
        target, path_qs = self._target(registration.webhook_url or "")
        key = self._key_for(registration)
        document = {
            "type": "webhook.verification",
            "version": PAYLOAD_VERSION,
            "challenge": challenge,
            "event": {"id": registration.event_id, "name": event_name},
            "registration_id": registration.id,
            "webhook_secret": secret_text(key),
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        delivery_id = f"verify/{registration.id}/{challenge}"
        fields = _signed_fields(key, delivery_id, int(self._clock()), body)
        status, _, answer = await self._http.post(target, path_qs, fields, body)
        return 200 <= status < 300 and _echoed(answer) == challenge

    async def aclose(self) -> None:
        """Close the pooled connections; a send still in flight fails as a connection error."""
        await self._http.aclose()

    def _target(self, url: str) -> tuple[Target, str]:
        """Where ``url`` goes and its raw path and query.

        Its origin is read once (yarl, then the guard judges an IP-literal host) and kept; a
        path yarl would write as it is (``_PLAIN_PATH``) is taken as written. A fan-out posts
        to thousands of URLs of a few receivers: a full parse each cost 3% of its CPU.
        """
        cut = _PATH_START.search(url, url.find("://") + 3)
        at = cut.start() if cut else len(url)
        target, path_qs = self._targets.get(url[:at]), url[at:]
        if target is not None and _PLAIN_PATH.fullmatch(path_qs) and "/." not in path_qs:
            return target, path_qs
        parsed = parse_webhook_url(url, self._guard)
        if len(self._targets) >= _MAX_ORIGINS:
            self._targets.clear()
        target = self._targets[url[:at]] = Target.of(parsed)
        return target, parsed.raw_path_qs


def _signed_fields(
    key: bytes, delivery_id: str, timestamp_s: int, body: bytes
) -> tuple[tuple[str, str], ...]:
    """Standard Webhooks headers; the id comes from the delivery key, so retries share it."""
    if not key:
        raise PermanentDeliveryError("the webhook signing key is empty; check the secret")
    message_id = "msg_" + hashlib.sha256(delivery_id.encode()).hexdigest()[:32]
    signed = f"{message_id}.{timestamp_s}.".encode() + body
    signature = base64.b64encode(hmac.digest(key, signed, "sha256")).decode()
    return (
        ("content-type", "application/json"),
        ("webhook-id", message_id),
        ("webhook-timestamp", str(timestamp_s)),
        ("webhook-signature", f"v1,{signature}"),
    )


def _judge(status: int, retry_after: str | None, where: str, now_s: float) -> str:
    """The receipt for a 2xx; otherwise the error that says whether a retry may help.

    ``where`` is the target's ``webhook scheme://host:port``.
    """
    where = f"{where}: HTTP {status}"
    if 200 <= status < 300:
        return f"HTTP {status}"
    if status == 410:
        raise GoneDeliveryError(f"{where} Gone: the receiver retired it; the webhook is disabled")
    if 300 <= status < 400:
        raise PermanentDeliveryError(
            f"{where}: redirects are not followed (they could lead past the address guard); "
            "register the final URL"
        )
    if status in (408, 429) or status >= 500:
        delay_s = parse_retry_after(retry_after, now_s)
        raise TransientDeliveryError(f"{where} (temporary)", retry_after_s=delay_s)
    raise PermanentDeliveryError(f"{where}: the receiver refused it; check its URL and logs")


def _echoed(answer: bytes) -> str | None:
    """The challenge a receiver sent back: ``{"challenge": "…"}`` or the bare text."""
    text = answer.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        return text
    value = document.get("challenge") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _iso(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def make_webhook_channel(settings: Settings, signing_secret: str) -> WebhookChannel:
    """Signed POSTs; each registration's ``whsec_`` secret derives from ``signing_secret``."""
    return WebhookChannel(
        key_for=lambda registration: webhook_key(signing_secret, registration.id),
        guard=AddressGuard(settings.webhook_allowed_networks),
        timeout_s=settings.webhook_timeout_s,
        pool_size=settings.send_concurrency,
    )
