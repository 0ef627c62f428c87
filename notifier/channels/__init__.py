"""Channels: how a reminder reaches a participant (SMTP email or the file outbox, webhooks).

``CHANNELS`` is the extension point: one factory per channel name. The service makes one
channel of each at start (:func:`make_channels`) and shares it between every fan-out; see
:mod:`notifier.channels.base` for the checklist a new channel follows.
"""

from collections.abc import Mapping

from notifier.channels.apprise import AppriseChannel, make_apprise_channel
from notifier.channels.base import Channel, ChannelFactory, EmailSender, ReminderMessage
from notifier.channels.compose import compose_email
from notifier.channels.email import SmtpChannel, TlsMode, make_email_channel
from notifier.channels.outbox import OutboxChannel
from notifier.channels.ssrf import AddressGuard, check_destination, check_url
from notifier.channels.webhook import (
    WebhookChannel,
    make_webhook_channel,
    webhook_key,
    webhook_secret,
)
from notifier.records import ChannelName
from notifier.settings import Settings

CHANNELS: Mapping[ChannelName, ChannelFactory] = {
    "email": make_email_channel,
    "webhook": make_webhook_channel,
    "apprise": make_apprise_channel,  # the event file's broadcasts: (jobs/broadcast.py)
}


def make_channels(settings: Settings, signing_secret: str) -> dict[ChannelName, Channel]:
    """One channel per registered name, as the settings configure it (nothing opened yet)."""
    return {name: make(settings, signing_secret) for name, make in CHANNELS.items()}


__all__ = [
    "CHANNELS",
    "AddressGuard",
    "AppriseChannel",
    "Channel",
    "ChannelFactory",
    "EmailSender",
    "OutboxChannel",
    "ReminderMessage",
    "SmtpChannel",
    "TlsMode",
    "WebhookChannel",
    "check_destination",
    "check_url",
    "compose_email",
    "make_channels",
    "webhook_key",
    "webhook_secret",
]
