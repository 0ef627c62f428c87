"""What the HTTP API needs from the running service, passed in (no module-level clients)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from notifier.channels.base import EmailSender
from notifier.events import Event
from notifier.metrics import Metrics
from notifier.records import Registration
from notifier.settings import Settings
from notifier.store.base import Store


@dataclass(frozen=True)
class ApiDeps:
    """Made once by the service (or a test) and handed to :func:`notifier.api.create_app`."""

    store: Store
    settings: Settings
    # the live config: a reload shows up on the next request
    events: Callable[[], Mapping[str, Event]]
    mailer: EmailSender  # sends confirmation emails (SMTP or the outbox)
    signing_secret: str  # for confirm/unsubscribe tokens (notifier.signing)
    # raises RegistrationError("webhook_url", ...) if the URL may not be called (SSRF guard)
    check_webhook: Callable[[str], Awaitable[None]]
    webhook_secret: Callable[[str], str]  # registration id -> its whsec_ signing secret
    # POSTs the signed challenge to a new webhook; True once its receiver echoed it
    verify_webhook: Callable[[Registration, Event, str], Awaitable[bool]]
    clock: Callable[[], datetime]
    # (name, ok) per readiness check: the store answers, the scheduler runs
    readiness: Callable[[], Awaitable[dict[str, bool]]]
    metrics: Metrics | None = None  # served at /metrics when given
