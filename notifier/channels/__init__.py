"""Channels: how a reminder reaches a participant (SMTP email, a file outbox)."""

from notifier.channels.base import Channel, ReminderMessage
from notifier.channels.compose import compose_email
from notifier.channels.email import SmtpChannel, TlsMode
from notifier.channels.outbox import OutboxChannel

__all__ = [
    "Channel",
    "OutboxChannel",
    "ReminderMessage",
    "SmtpChannel",
    "TlsMode",
    "compose_email",
]
