"""Channels: how a reminder reaches a participant (SMTP email, a file outbox)."""

from notifier.channels.base import Channel, ReminderMessage
from notifier.channels.compose import compose_email
from notifier.channels.email import SmtpChannel, TlsMode
from notifier.channels.outbox import OutboxChannel
from notifier.channels.ssrf import (
    AddressGuard,
    BlockedDestinationError,
    check_destination,
    check_url,
)
from notifier.channels.webhook import WebhookChannel, webhook_secret

__all__ = [
    "AddressGuard",
    "BlockedDestinationError",
    "Channel",
    "OutboxChannel",
    "ReminderMessage",
    "SmtpChannel",
    "TlsMode",
    "WebhookChannel",
    "check_destination",
    "check_url",
    "compose_email",
    "webhook_secret",
]
