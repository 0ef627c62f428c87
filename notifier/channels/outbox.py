"""Email into a folder: one ``.eml`` file per reminder, for the embedded default and for demos.

The file holds the bytes SMTP would carry (the same composer, the same SMTP line endings), so
any mail client opens it and what you see there is what participants get.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from notifier.channels.base import ReminderMessage
from notifier.channels.compose import check_identity, compose_email
from notifier.channels.wire import WireComposer
from notifier.errors import TransientDeliveryError
from notifier.records import ChannelName


class OutboxChannel:
    """Writes ``<outbox>/<UTC timestamp>-<key hash>.eml``; the receipt is that path."""

    name: ChannelName = "email"

    def __init__(
        self, outbox: str | os.PathLike[str], *, sender: str, public_base_url: str
    ) -> None:
        check_identity(sender, public_base_url)
        self._outbox = Path(outbox)
        self._sender = sender
        self._public_base_url = public_base_url
        self._composer = WireComposer(sender=sender, public_base_url=public_base_url)

    async def send(self, message: ReminderMessage) -> str:
        """Write the reminder atomically; return the file's path."""
        wire = self._composer.compose(message)
        if wire is not None:
            return await self._write(wire.data, message.now_utc, message.delivery_key)
        email_message = compose_email(
            message, sender=self._sender, public_base_url=self._public_base_url
        )
        return await self.send_email(email_message, message.now_utc, message.delivery_key)

    async def send_email(
        self, email_message: EmailMessage, now_utc: datetime | None = None, key: str = ""
    ) -> str:
        """Write one composed message as ``<UTC time>-<hash of key or Message-ID>.eml``."""
        key = key or str(email_message["Message-ID"])
        return await self._write(email_message.as_bytes(), now_utc, key)

    async def _write(self, data: bytes, now_utc: datetime | None, key: str) -> str:
        stamp = (now_utc or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        digest = hashlib.sha256(key.encode()).hexdigest()
        digest = digest[:12]
        path = self._outbox / f"{stamp}-{digest}.eml"
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as exc:
            raise TransientDeliveryError(
                f"cannot write {path}: {exc.strerror or exc}; check that the outbox folder "
                "exists, is writable and has space (NOTIFIER_OUTBOX)"
            ) from exc
        return str(path)

    async def aclose(self) -> None:
        """Nothing to close: every write finishes inside its send."""


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: a reader never sees half a message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
